import AlertRelayLogic
import PostgresClient

/// An installation with what integrations are told about it (its app and organization).
public struct Installation: Sendable, Equatable {
    public var id: Int64
    public var appID: Int64
    public var organizationID: Int64
    public var view: InstallationView
}

/// SQL for reading installations by uuid and for their status (installing and uninstalling: `AppStore`).
public enum InstallationStore {
    /// The installation with this uuid (already validated as a UUID), if any.
    public static func find(uuid: String, db: PostgresConnection) throws -> Installation? {
        try db.query(
            """
            SELECT i.id, i.app_id, i.organization_id, i.uuid::text, i.status, a.uuid::text, a.slug, o.slug
            FROM installations i JOIN apps a ON a.id = i.app_id JOIN organizations o ON o.id = i.organization_id
            WHERE i.uuid = $1::uuid
            """, uuid
        ).first.map(installation)
    }

    /// The installation by id, if it still exists.
    public static func find(id: Int64, db: PostgresConnection) throws -> Installation? {
        try db.query(
            """
            SELECT i.id, i.app_id, i.organization_id, i.uuid::text, i.status, a.uuid::text, a.slug, o.slug
            FROM installations i JOIN apps a ON a.id = i.app_id JOIN organizations o ON o.id = i.organization_id
            WHERE i.id = $1
            """, id
        ).first.map(installation)
    }

    /// Marks a pending installation installed; false when it was installed already (or is gone).
    @discardableResult
    public static func markInstalled(id: Int64, db: PostgresConnection) throws -> Bool {
        try db.execute("UPDATE installations SET status = 'installed' WHERE id = $1 AND status = 'pending'", id) > 0
    }

    private static func installation(_ row: PostgresRow) throws -> Installation {
        Installation(
            id: try row.decode(0, as: Int64.self), appID: try row.decode(1, as: Int64.self),
            organizationID: try row.decode(2, as: Int64.self),
            view: InstallationView(
                uuid: try row.decode(3, as: String.self), status: try row.decode(4, as: String.self),
                appUUID: try row.decode(5, as: String.self), appSlug: try row.decode(6, as: String.self),
                organizationSlug: try row.decode(7, as: String.self), organizationID: try row.decode(2, as: Int64.self)))
    }
}
