import AlertRelayLogic
import PostgresClient

/// SQL for organizations and projects, read through the model cache (`cache`: the process's ``ModelCache``).
public enum OrganizationStore {
    static func organization(_ row: PostgresRow) throws -> Organization {
        Organization(
            id: try row.decode(0, as: Int64.self), slug: try row.decode(1, as: String.self),
            name: try row.decode(2, as: String.self), dateCreated: try row.decode(3, as: String.self))
    }

    public static func create(slug: String, name: String, db: PostgresConnection, cache: ModelCache) throws -> Organization {
        let rows = try db.query(
            "INSERT INTO organizations (slug, name) VALUES ($1, $2) RETURNING id, slug, name, rfc3339(date_created)",
            slug, name)
        let organization = try organization(rows[0])
        cache.store(organization)
        return organization
    }

    public static func find(slug: String, db: PostgresConnection, cache: ModelCache) throws -> Organization? {
        if let cached = cache.organization(.organizationSlug(slug)) { return cached }
        let generation = cache.generation
        let rows = try db.query(
            "SELECT id, slug, name, rfc3339(date_created) FROM organizations WHERE slug = $1", slug)
        guard let row = rows.first else { return nil }
        let found = try organization(row)
        cache.store(found, readIn: generation)
        return found
    }

    /// The organization with this id; through `cache` when given (the responder), straight from the table when not
    /// (the worker's flows, which keep no model cache).
    public static func find(id: Int64, db: PostgresConnection, cache: ModelCache? = nil) throws -> Organization? {
        if let cached = cache?.organization(.organizationID(id)) { return cached }
        let generation = cache?.generation
        let rows = try db.query(
            "SELECT id, slug, name, rfc3339(date_created) FROM organizations WHERE id = $1", id)
        guard let row = rows.first else { return nil }
        let found = try organization(row)
        if let cache, let generation { cache.store(found, readIn: generation) }
        return found
    }

    /// The organization named `slug` when the owners of `app` may act in it: their own, or one the app is installed
    /// in. nil for every other slug, existing or not, malformed or not, so that a caller's one "not found" answer
    /// cannot be used to probe for organizations.
    public static func find(slug: String, whereAppActs app: App, db: PostgresConnection, cache: ModelCache) throws
        -> Organization?
    {
        guard Slug.isValid(slug), let organization = try find(slug: slug, db: db, cache: cache) else { return nil }
        if organization.id == app.organizationID { return organization }
        return try AppStore.isInstalled(appID: app.id, organizationID: organization.id, db: db) ? organization : nil
    }

    // MARK: Projects

    static func project(_ row: PostgresRow) throws -> Project {
        Project(
            id: try row.decode(0, as: Int64.self), organizationID: try row.decode(1, as: Int64.self),
            slug: try row.decode(2, as: String.self), name: try row.decode(3, as: String.self),
            dateCreated: try row.decode(4, as: String.self))
    }

    public static func createProject(organizationID: Int64, slug: String, name: String, db: PostgresConnection, cache: ModelCache) throws -> Project {
        let rows = try db.query(
            """
            INSERT INTO projects (organization_id, slug, name) VALUES ($1, $2, $3)
            RETURNING id, organization_id, slug, name, rfc3339(date_created)
            """, organizationID, slug, name)
        let created = try project(rows[0])
        cache.store(created)
        return created
    }

    /// A project of the organization by numeric id or slug, through the cache.
    public static func findProject(organizationID: Int64, reference: String, db: PostgresConnection, cache: ModelCache) throws -> Project? {
        if let id = Int64(reference) {
            // All digits: the id first, then (a slug may be all digits too) the slug. A cached project of another
            // organization is an answer too: it is not this organization's, so look up the slug.
            var byID = cache.project(.projectID(id))
            let generation = cache.generation
            if byID == nil, let row = try db.query(
                "SELECT id, organization_id, slug, name, rfc3339(date_created) FROM projects WHERE id = $1", id
            ).first {
                let found = try project(row)
                cache.store(found, readIn: generation)
                byID = found
            }
            if let byID, byID.organizationID == organizationID { return byID }
        }
        if let cached = cache.project(.projectSlug(organizationID: organizationID, slug: reference)) {
            return cached
        }
        let generation = cache.generation
        let rows = try db.query(
            """
            SELECT id, organization_id, slug, name, rfc3339(date_created) FROM projects
            WHERE organization_id = $1 AND slug = $2
            """, organizationID, reference)
        guard let row = rows.first else { return nil }
        let found = try project(row)
        cache.store(found, readIn: generation)
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

    /// Deletes the project with this id; its cached copies go with the next cache notification (sql/012).
    public static func deleteProject(id: Int64, db: PostgresConnection) throws {
        try db.execute("DELETE FROM projects WHERE id = $1", id)
    }
}
