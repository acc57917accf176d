import AlertRelayLogic
import PostgresClient

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
    ) throws -> [(id: Int64, json: JSONValue)] {
        let rows = try db.query(
            """
            SELECT id, event, data::text, actor, rfc3339(date_created) FROM audit_log
            WHERE organization_id = $1 AND ($2::text IS NULL OR event = $2) AND ($3::bigint IS NULL OR id < $3)
            ORDER BY id DESC LIMIT $4
            """, organizationID, event, page.cursor, page.limit + 1)
        return try rows.map { row in
            let id = try row.decode(0, as: Int64.self)
            let data = (try? JSONValue.parse(Array(try row.decode(2, as: String.self).utf8))) ?? .null
            return (id, .object(JSONObject([
                ("id", .int64(id)), ("event", .string(try row.decode(1, as: String.self))), ("data", data),
                ("actor", .string(try row.decode(3, as: String.self))), ("date_created", .string(try row.decode(4, as: String.self))),
            ])))
        }
    }
}
