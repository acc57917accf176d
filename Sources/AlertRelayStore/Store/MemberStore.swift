import PostgresClient

/// A member of an organization: who gets its e-mails and may sign in to its owner pages.
public struct Member: Sendable, Equatable {
    public var id: Int64
    public var email: String
    public var name: String?
    /// `owner`, `manager` or `member` (sql/001 `members_role_check`).
    public var role: String
    public var dateCreated: String

    /// Owners and managers administer the organization; sign-in links are for them.
    public var mayManageApps: Bool { role == "owner" || role == "manager" }
}

/// SQL for an organization's members.
public enum MemberStore {
    /// The member `id` of organization `organizationID`, if it (still) exists.
    public static func find(id: Int64, organizationID: Int64, db: PostgresConnection) throws -> Member? {
        try db.query(composed: findSQL, binds: [id, organizationID]).first.map(member)
    }

    /// The organization's owners, who get its disable and warning e-mails.
    public static func owners(organizationID: Int64, db: PostgresConnection) throws -> [Member] {
        try db.query(composed: ownersSQL, binds: [organizationID]).map(member)
    }

    public static func add(
        organizationID: Int64, email: String, name: String?, role: String, db: PostgresConnection
    ) throws -> Member {
        try member(db.query(composed: addSQL, binds: [organizationID, email, name, role])[0])
    }

    /// A page of the organization's members, newest first (`page.limit + 1` rows: one more tells of a next page).
    public static func list(organizationID: Int64, page: Page, db: PostgresConnection) throws -> [Member] {
        try db.query(composed: listSQL, binds: [organizationID, page.cursor, page.limit + 1]).map(member)
    }

    /// Deletes a member of the organization; false when there is none with that id.
    public static func delete(organizationID: Int64, id: Int64, db: PostgresConnection) throws -> Bool {
        try db.execute("DELETE FROM members WHERE organization_id = $1 AND id = $2", organizationID, id) > 0
    }

    /// The columns `member` reads, by name.
    private static let columns: SQL = "id, email, name, role, rfc3339(date_created) AS date_created"
    private static let findSQL: SQL = "SELECT \(columns) FROM members WHERE id = $1 AND organization_id = $2"
    private static let ownersSQL: SQL =
        "SELECT \(columns) FROM members WHERE organization_id = $1 AND role = 'owner' ORDER BY id"
    private static let addSQL: SQL =
        "INSERT INTO members (organization_id, email, name, role) VALUES ($1, $2, $3, $4) RETURNING \(columns)"
    private static let listSQL: SQL = """
        SELECT \(columns) FROM members WHERE organization_id = $1 AND ($2::bigint IS NULL OR id < $2)
        ORDER BY id DESC LIMIT $3
        """

    static func member(_ row: PostgresRow) throws -> Member {
        Member(
            id: try row.decode("id", as: Int64.self), email: try row.decode("email", as: String.self),
            name: try row.decode("name", as: String?.self), role: try row.decode("role", as: String.self),
            dateCreated: try row.decode("date_created", as: String.self))
    }
}
