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

        public init() {}
    }

    /// The entries of `GET .../requests` (API.md), newest first, up to `page.limit + 1`.
    public static func list(appID: Int64, filter: Filter, page: Page, db: PostgresConnection) throws -> [RequestLogEntry] {
        try entries(appID: appID, filter: filter, limit: page.limit + 1, cursor: page.cursor, db: db)
    }

    /// The app's entries matching `filter`, newest first: at most `limit`, those with an id below `cursor` when given.
    public static func entries(appID: Int64, filter: Filter, limit: Int, cursor: Int64?, db: PostgresConnection) throws
        -> [RequestLogEntry]
    {
        let rows = try db.query(
            """
            SELECT id, rfc3339(date) AS date, response_code, webhook_url, organization_id, event_type, duration_ms, error_class,
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
            filter.statusRange?.high, filter.since, cursor, limit)
        return try rows.map { row in
            RequestLogEntry(
                id: try row.decode("id", as: Int64.self), date: try row.decode("date", as: String.self),
                responseCode: try row.decode("response_code", as: Int.self),
                webhookURL: try row.decode("webhook_url", as: String.self),
                organizationID: try row.decode("organization_id", as: Int64.self),
                eventType: try row.decode("event_type", as: String.self),
                durationMilliseconds: try row.decode("duration_ms", as: Double.self),
                errorClass: try row.decode("error_class", as: String?.self),
                errorID: try row.decode("error_id", as: String?.self), projectID: try row.decode("project_id", as: String?.self),
                requestHeaders: try row.decode("request_headers", as: String.self),
                requestBody: try row.decode("request_body", as: String.self),
                responseBody: try row.decode("response_body", as: String.self),
                responseHeaders: try row.decode("response_headers", as: String.self),
                deliveryID: try row.decode("delivery_id", as: Int64?.self), attempt: try row.decode("attempt", as: Int.self))
        }
    }

    /// Stored `[[name, value], ...]` as pairs, in order; empty when it cannot be read.
    public static func headerPairs(_ stored: String) -> [(name: String, value: String)] {
        guard case .array(let pairs)? = try? JSONValue.parse(Array(stored.utf8)) else { return [] }
        return pairs.compactMap { pair in
            guard case .array(let items) = pair, items.count == 2, case .string(let name) = items[0],
                case .string(let value) = items[1]
            else { return nil }
            return (name, value)
        }
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

/// One request-log row: one attempt, with what was sent and received (BEHAVIOUR A4, B7).
public struct RequestLogEntry: Sendable, Equatable {
    public var id: Int64
    public var date: String
    /// The HTTP status, 0 when there was none.
    public var responseCode: Int
    public var webhookURL: String
    public var organizationID: Int64
    public var eventType: String
    public var durationMilliseconds: Double
    public var errorClass: String?
    public var errorID: String?
    public var projectID: String?
    /// Headers as stored: a JSON array of `[name, value]` pairs (``RequestLogStore/headerPairs(_:)`` reads them).
    public var requestHeaders: String
    public var requestBody: String
    public var responseBody: String
    public var responseHeaders: String
    public var deliveryID: Int64?
    public var attempt: Int

    public var isError: Bool { responseCode == 0 || responseCode >= 400 }

}
