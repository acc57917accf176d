import AlertRelayLogic
import PostgresClient

/// SQL for organizations, members and projects, read through the model cache.
public enum OrganizationStore {
    static func organization(_ row: PostgresRow) throws -> Organization {
        Organization(
            id: try row.decode(0, as: Int64.self), slug: try row.decode(1, as: String.self),
            name: try row.decode(2, as: String.self), dateCreated: try row.decode(3, as: String.self))
    }

    public static func create(slug: String, name: String, context: RequestContext) throws -> Organization {
        let rows = try context.db.query(
            "INSERT INTO organizations (slug, name) VALUES ($1, $2) RETURNING id, slug, name, rfc3339(date_created)",
            slug, name)
        let organization = try organization(rows[0])
        context.app.cache.store(organization)
        return organization
    }

    public static func find(slug: String, context: RequestContext) throws -> Organization? {
        if let cached = context.app.cache.organization(.organizationSlug(slug)) { return cached }
        let generation = context.app.cache.generation
        let rows = try context.db.query(
            "SELECT id, slug, name, rfc3339(date_created) FROM organizations WHERE slug = $1", slug)
        guard let row = rows.first else { return nil }
        let found = try organization(row)
        context.app.cache.store(found, readIn: generation)
        return found
    }

    public static func find(id: Int64, context: RequestContext) throws -> Organization? {
        if let cached = context.app.cache.organization(.organizationID(id)) { return cached }
        let generation = context.app.cache.generation
        let rows = try context.db.query(
            "SELECT id, slug, name, rfc3339(date_created) FROM organizations WHERE id = $1", id)
        guard let row = rows.first else { return nil }
        let found = try organization(row)
        context.app.cache.store(found, readIn: generation)
        return found
    }

    // MARK: Projects

    static func project(_ row: PostgresRow) throws -> Project {
        Project(
            id: try row.decode(0, as: Int64.self), organizationID: try row.decode(1, as: Int64.self),
            slug: try row.decode(2, as: String.self), name: try row.decode(3, as: String.self),
            dateCreated: try row.decode(4, as: String.self))
    }

    public static func createProject(organizationID: Int64, slug: String, name: String, context: RequestContext) throws -> Project {
        let rows = try context.db.query(
            """
            INSERT INTO projects (organization_id, slug, name) VALUES ($1, $2, $3)
            RETURNING id, organization_id, slug, name, rfc3339(date_created)
            """, organizationID, slug, name)
        let created = try project(rows[0])
        context.app.cache.store(created)
        return created
    }

    /// A project of the organization by numeric id or slug, through the cache.
    public static func findProject(organizationID: Int64, reference: String, context: RequestContext) throws -> Project? {
        if let id = Int64(reference) {
            // All digits: the id first, then (a slug may be all digits too) the slug. A cached project of another
            // organization is an answer too: it is not this organization's, so look up the slug.
            var byID = context.app.cache.project(.projectID(id))
            let generation = context.app.cache.generation
            if byID == nil, let row = try context.db.query(
                "SELECT id, organization_id, slug, name, rfc3339(date_created) FROM projects WHERE id = $1", id
            ).first {
                let found = try project(row)
                context.app.cache.store(found, readIn: generation)
                byID = found
            }
            if let byID, byID.organizationID == organizationID { return byID }
        }
        if let cached = context.app.cache.project(.projectSlug(organizationID: organizationID, slug: reference)) {
            return cached
        }
        let generation = context.app.cache.generation
        let rows = try context.db.query(
            """
            SELECT id, organization_id, slug, name, rfc3339(date_created) FROM projects
            WHERE organization_id = $1 AND slug = $2
            """, organizationID, reference)
        guard let row = rows.first else { return nil }
        let found = try project(row)
        context.app.cache.store(found, readIn: generation)
        return found
    }

    public static func listProjects(organizationID: Int64, page: Page, db: PostgresConnection) throws -> [Project] {
        let rows = try db.query(
            """
            SELECT id, organization_id, slug, name, rfc3339(date_created) FROM projects
            WHERE organization_id = $1 AND ($2::bigint IS NULL OR id < $2)
            ORDER BY id DESC LIMIT $3
            """, organizationID, page.cursor, page.limit + 1)
        return try rows.map(project)
    }

    // MARK: Members

    public static func addMember(
        organizationID: Int64, email: String, name: String?, role: String, db: PostgresConnection
    ) throws -> JSONValue {
        let rows = try db.query(
            """
            INSERT INTO members (organization_id, email, name, role) VALUES ($1, $2, $3, $4)
            RETURNING id, email, name, role, rfc3339(date_created)
            """, organizationID, email, name, role)
        return try member(rows[0])
    }

    static func member(_ row: PostgresRow) throws -> JSONValue {
        .object(JSONObject([
            ("id", .int64(try row.decode(0, as: Int64.self))), ("email", .string(try row.decode(1, as: String.self))),
            ("name", .optionalString(try row.decode(2, as: String?.self))), ("role", .string(try row.decode(3, as: String.self))),
            ("date_created", .string(try row.decode(4, as: String.self))),
        ]))
    }

    public static func listMembers(organizationID: Int64, page: Page, db: PostgresConnection) throws -> [(id: Int64, json: JSONValue)] {
        let rows = try db.query(
            """
            SELECT id, email, name, role, rfc3339(date_created) FROM members
            WHERE organization_id = $1 AND ($2::bigint IS NULL OR id < $2)
            ORDER BY id DESC LIMIT $3
            """, organizationID, page.cursor, page.limit + 1)
        return try rows.map { (try $0.decode(0, as: Int64.self), try member($0)) }
    }

    /// Deletes a member of the organization; false when there is none with that id.
    public static func deleteMember(organizationID: Int64, id: Int64, db: PostgresConnection) throws -> Bool {
        try db.execute("DELETE FROM members WHERE organization_id = $1 AND id = $2", organizationID, id) > 0
    }
}
