import AlertRelayLogic
import PostgresClient

/// SQL for reading the request log and the health counters.
public enum RequestLogStore {
    public struct Filter: Sendable {
        public var eventType: String?
        public var errorsOnly = false
        public var organizationID: Int64?
        public var statusRange: (low: Int, high: Int)?
        public var since: String?
    }

    public static func list(appID: Int64, filter: Filter, page: Page, db: PostgresConnection) throws -> [(id: Int64, json: JSONValue)] {
        let rows = try db.query(
            """
            SELECT id, rfc3339(date), response_code, webhook_url, organization_id, event_type, duration_ms, error_class,
                   error_id, project_id, request_headers, request_body, response_body, response_headers,
                   delivery_id, attempt
            FROM request_log
            WHERE app_id = $1
              AND ($2::text IS NULL OR event_type = $2)
              AND (NOT $3::boolean OR response_code = 0 OR response_code >= 400)
              AND ($4::bigint IS NULL OR organization_id = $4)
              AND ($5::int IS NULL OR (response_code >= $5 AND response_code <= $6::int))
              AND ($7::timestamptz IS NULL OR date >= $7::timestamptz)
              AND ($8::bigint IS NULL OR id < $8)
            ORDER BY id DESC LIMIT $9
            """, appID, filter.eventType, filter.errorsOnly, filter.organizationID, filter.statusRange?.low,
            filter.statusRange?.high, filter.since, page.cursor, page.limit + 1)
        return try rows.map { row in
            let id = try row.decode(0, as: Int64.self)
            var object = JSONObject([
                ("id", .int64(id)), ("date", .string(try row.decode(1, as: String.self))),
                ("response_code", .int(try row.decode(2, as: Int.self))), ("webhook_url", .string(try row.decode(3, as: String.self))),
                ("organization_id", .int64(try row.decode(4, as: Int64.self))), ("event_type", .string(try row.decode(5, as: String.self))),
                ("duration_ms", .float(try row.decode(6, as: Double.self))), ("error_class", .optionalString(try row.decode(7, as: String?.self))),
            ])
            if let errorID = try row.decode(8, as: String?.self) { object["error_id"] = .string(errorID) }
            if let projectID = try row.decode(9, as: String?.self) { object["project_id"] = .string(projectID) }
            object["request_headers"] = Self.headerObject(try row.decode(10, as: String.self))
            object["request_body"] = .string(try row.decode(11, as: String.self))
            object["response_body"] = .string(try row.decode(12, as: String.self))
            object["response_headers"] = Self.headerObject(try row.decode(13, as: String.self))
            object["delivery_id"] = try row.decode(14, as: Int64?.self).map(JSONValue.int64) ?? .null
            object["attempt"] = .int(try row.decode(15, as: Int.self))
            return (id, .object(object))
        }
    }

    /// Stored `[[name, value], ...]` as a JSON object (Sentry's shape); a repeated name keeps its last value.
    static func headerObject(_ stored: String) -> JSONValue {
        guard case .array(let pairs)? = try? JSONValue.parse(Array(stored.utf8)) else { return .object(JSONObject()) }
        var object = JSONObject()
        for pair in pairs {
            if case .array(let items) = pair, items.count == 2, case .string(let name) = items[0] {
                object[name] = items[1]
            }
        }
        return .object(object)
    }

    /// The delivery a logged request belongs to.
    public static func deliveryID(logID: Int64, appID: Int64, db: PostgresConnection) throws -> Int64?? {
        let rows = try db.query("SELECT delivery_id FROM request_log WHERE id = $1 AND app_id = $2", logID, appID)
        guard let row = rows.first else { return nil }
        return .some(try row.decode(0, as: Int64?.self))
    }

    /// The app's counters in the organization for the 7 days ending `today`.
    public static func healthDays(appID: Int64, organizationID: Int64, today: UTCDay, db: PostgresConnection) throws -> [HealthDay] {
        try db.query(
            """
            SELECT day::text, success, error, timeout, fatal FROM health_days
            WHERE app_id = $1 AND organization_id = $2 AND day > $3::date - 7 AND day <= $3::date
            """, appID, organizationID, today.description
        ).map { row in
            HealthDay(
                day: UTCDay(try row.decode(0, as: String.self)) ?? today, success: try row.decode(1, as: Int.self),
                error: try row.decode(2, as: Int.self), timeout: try row.decode(3, as: Int.self),
                fatal: try row.decode(4, as: Int.self))
        }
    }
}
