import PostgresClient

/// A member of an organization as sign-in links need it.
public struct Member: Sendable, Equatable {
    public var id: Int64
    public var email: String
    public var role: String

    /// Owners and managers administer the organization; sign-in links are for them.
    public var mayManageApps: Bool { role == "owner" || role == "manager" }
}

/// SQL for members as the owner pages and their e-mails read them.
public enum MemberStore {
    /// The member `id` of organization `organizationID`, if it (still) exists.
    public static func find(id: Int64, organizationID: Int64, db: PostgresConnection) throws -> Member? {
        try db.query(
            "SELECT id, email, role FROM members WHERE id = $1 AND organization_id = $2", id, organizationID
        ).first.map(member)
    }

    /// The organization's owners, who get its disable and warning e-mails.
    public static func owners(organizationID: Int64, db: PostgresConnection) throws -> [Member] {
        try db.query(
            "SELECT id, email, role FROM members WHERE organization_id = $1 AND role = 'owner' ORDER BY id", organizationID
        ).map(member)
    }

    static func member(_ row: PostgresRow) throws -> Member {
        Member(id: try row.decode(0, as: Int64.self), email: try row.decode(1, as: String.self),
               role: try row.decode(2, as: String.self))
    }
}
