import AlertRelayLogic
import PostgresClient

/// One entry of an organization's audit log.
public struct AuditEntry: Sendable, Equatable {
    public var id: Int64
    public var event: String
    /// What the event was about, as written (null if it no longer parses).
    public var data: JSONValue
    /// Who did it: `member:<id>`, `token:<id>`, `admin` or ``AuditStore/systemActor``.
    public var actor: String
    public var dateCreated: String
}

/// SQL for the audit log.
public enum AuditStore {
    public static let systemActor = "Sentry"

    public static func write(
        organizationID: Int64, event: String, data: JSONValue, actor: String, db: PostgresConnection
    ) throws {
        try db.execute(
            "INSERT INTO audit_log (organization_id, event, data, actor) VALUES ($1, $2, $3::jsonb, $4)",
            organizationID, event, String(decoding: data.serialized(), as: UTF8.self), actor)
    }

    public static func list(
        organizationID: Int64, event: String?, page: Page, db: PostgresConnection
    ) throws -> [AuditEntry] {
        let rows = try db.query(
            """
            SELECT id, event, data::text AS data, actor, rfc3339(date_created) AS date_created FROM audit_log
            WHERE organization_id = $1 AND ($2::text IS NULL OR event = $2) AND ($3::bigint IS NULL OR id < $3)
            ORDER BY id DESC LIMIT $4
            """, organizationID, event, page.cursor, page.limit + 1)
        return try rows.map { row in
            AuditEntry(
                id: try row.decode("id", as: Int64.self), event: try row.decode("event", as: String.self),
                data: (try? JSONValue.parse(Array(try row.decode("data", as: String.self).utf8))) ?? .null,
                actor: try row.decode("actor", as: String.self), dateCreated: try row.decode("date_created", as: String.self))
        }
    }
}
