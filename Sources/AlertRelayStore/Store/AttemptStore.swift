import AlertRelayLogic
import PostgresClient

/// The outcome of one webhook attempt, as it is recorded.
public struct AttemptRecord: Sendable, Equatable {
    public var deliveryID: Int64
    public var appID: Int64
    public var organizationID: Int64
    /// 1 for the first attempt of the delivery.
    public var attempt: Int
    public var eventType: String
    public var webhookURL: String
    /// When the attempt was sent: Unix seconds with a fraction. Its UTC day is the health counter's day.
    public var attemptedAt: Double
    /// The HTTP status, 0 when there was none.
    public var responseCode: Int
    public var durationMilliseconds: Double
    public var errorClass: String?
    /// `Sentry-Hook-Error` / `Sentry-Hook-Project` of the response, kept only when both were present.
    public var errorID: String?
    public var projectID: String?
    /// Headers as a JSON array of `[name, value]` pairs, as sent and as received.
    public var requestHeaders: String
    public var requestBody: String
    public var responseHeaders: String
    public var responseBody: String
    /// What the delivery becomes: `delivered`, `retrying` or `failed`.
    public var status: Delivery.Status
    /// With `retrying`: seconds until the next attempt.
    public var retryDelaySeconds: Double?
    /// The health counter this attempt increments, if any.
    public var counter: HealthCounter?

    public init(
        deliveryID: Int64, appID: Int64, organizationID: Int64, attempt: Int, eventType: String, webhookURL: String,
        attemptedAt: Double, responseCode: Int, durationMilliseconds: Double, errorClass: String? = nil,
        errorID: String? = nil, projectID: String? = nil, requestHeaders: String, requestBody: String,
        responseHeaders: String, responseBody: String, status: Delivery.Status, retryDelaySeconds: Double? = nil,
        counter: HealthCounter? = nil
    ) {
        self.deliveryID = deliveryID
        self.appID = appID
        self.organizationID = organizationID
        self.attempt = attempt
        self.eventType = eventType
        self.webhookURL = webhookURL
        self.attemptedAt = attemptedAt
        self.responseCode = responseCode
        self.durationMilliseconds = durationMilliseconds
        self.errorClass = errorClass
        self.errorID = errorID
        self.projectID = projectID
        self.requestHeaders = requestHeaders
        self.requestBody = requestBody
        self.responseHeaders = responseHeaders
        self.responseBody = responseBody
        self.status = status
        self.retryDelaySeconds = retryDelaySeconds
        self.counter = counter
    }


    /// The UTC day of the attempt.
    public var day: UTCDay { UTCDay(unixSeconds: Int64(attemptedAt.rounded(.down))) }
}

/// The one place where attempts are recorded: a batch of attempts (one for an inline attempt, hundreds for a
/// dispatcher) is written by one statement with the batch's columns bound once as arrays: its request-log rows,
/// the delivery updates (with their retries) and the health counters, summed per app, organization and day.
public enum AttemptStore {
    private static let recordSQL: SQL = """
        WITH input AS (
            SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::int[], $5::text[], $6::text[],
                                 $7::float8[], $8::int[], $9::float8[], $10::text[], $11::text[], $12::text[],
                                 $13::text[], $14::text[], $15::text[], $16::text[], $17::text[], $18::float8[],
                                 $19::text[])
                AS i(delivery_id, app_id, organization_id, attempt, event_type, webhook_url, attempted_at,
                     response_code, duration_ms, error_class, error_id, project_id, request_headers, request_body,
                     response_headers, response_body, status, retry_delay, counter)
        ), logged AS (
            INSERT INTO request_log (app_id, organization_id, delivery_id, attempt, date, event_type, webhook_url,
                                     response_code, duration_ms, error_class, error_id, project_id, request_headers,
                                     request_body, response_headers, response_body)
            SELECT app_id, organization_id, delivery_id, attempt, to_timestamp(attempted_at), event_type, webhook_url,
                   response_code, duration_ms, error_class, error_id, project_id, request_headers, request_body,
                   response_headers, response_body
            FROM input
        ), counted AS (
            INSERT INTO health_counters AS h (app_id, organization_id, day, shard, success, error, timeout, fatal)
            SELECT i.app_id, i.organization_id, (to_timestamp(i.attempted_at) AT TIME ZONE 'UTC')::date, $20,
                   count(*) FILTER (WHERE i.counter = 'success'), count(*) FILTER (WHERE i.counter = 'error'),
                   count(*) FILTER (WHERE i.counter = 'timeout'), count(*) FILTER (WHERE i.counter = 'fatal')
            FROM input i
            WHERE i.counter IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM apps a WHERE a.id = i.app_id AND a.disabled_at IS NOT NULL)
            GROUP BY 1, 2, 3
            ORDER BY 1, 2, 3
            ON CONFLICT (app_id, organization_id, day, shard) DO UPDATE
                SET success = h.success + excluded.success, error = h.error + excluded.error,
                    timeout = h.timeout + excluded.timeout, fatal = h.fatal + excluded.fatal
        )
        -- Each delivery by primary key (`id = ANY`), its new values found by position in the bound arrays: no join
        -- for the planner to get wrong (a hash join would read every pending delivery; a nested loop over the
        -- batch, the batch once per row). "Pending" is written as NOT IN the final states so that the planner
        -- cannot use deliveries_due_idx, whose predicate it would imply, to read every pending delivery instead.
        UPDATE deliveries d
        SET status = ($17::text[])[array_position($1::bigint[], d.id)],
            attempts = ($4::int[])[array_position($1::bigint[], d.id)],
            response_code = ($8::int[])[array_position($1::bigint[], d.id)],
            error_class = ($10::text[])[array_position($1::bigint[], d.id)],
            due_at = now() + make_interval(secs => ($18::float8[])[array_position($1::bigint[], d.id)]),
            date_updated = now()
        WHERE d.id = ANY($1::bigint[]) AND d.status NOT IN ('delivered', 'failed')
          AND d.attempts = ($4::int[])[array_position($1::bigint[], d.id)] - 1
        RETURNING \(Delivery.columnsOfD)
        """

    /// Records `attempts` and returns the deliveries they moved on. An attempt whose number is not the one after
    /// its delivery's recorded attempts (a duplicate: its sender's lease had been taken over) is logged and
    /// counted but moves nothing. Attempts for apps that are disabled by now are logged but not counted (the
    /// disable cleared the counters, and enabling clears them again).
    public static func record(_ attempts: [AttemptRecord], shard: Int, db: PostgresConnection) throws -> [Delivery] {
        guard !attempts.isEmpty else { return [] }
        // Counter rows are upserted in key order, so concurrent batches lock shared rows in the same order.
        let rows = try db.query(
            composed: recordSQL,
            binds: [
                attempts.map(\.deliveryID), attempts.map(\.appID), attempts.map(\.organizationID), attempts.map(\.attempt),
                attempts.map(\.eventType), attempts.map(\.webhookURL), attempts.map(\.attemptedAt),
                attempts.map(\.responseCode), attempts.map(\.durationMilliseconds), attempts.map(\.errorClass),
                attempts.map(\.errorID), attempts.map(\.projectID), attempts.map(\.requestHeaders),
                attempts.map(\.requestBody), attempts.map(\.responseHeaders), attempts.map(\.responseBody),
                attempts.map(\.status.rawValue), attempts.map(\.retryDelaySeconds), attempts.map(\.counter?.rawValue),
                shard,
            ])
        return try rows.map { try Delivery($0) }
    }

    /// The 7-day health window (`today` and the six days before) of each (app, organization) pair, every shard
    /// summed; pairs without counters get an empty list.
    public static func healthWindows(
        _ pairs: [(appID: Int64, organizationID: Int64)], today: UTCDay, db: PostgresConnection
    ) throws -> [AppOrganization: [HealthDay]] {
        guard !pairs.isEmpty else { return [:] }
        var windows: [AppOrganization: [HealthDay]] = [:]
        for pair in pairs { windows[AppOrganization(appID: pair.appID, organizationID: pair.organizationID)] = [] }
        let rows = try db.query(
            """
            SELECT h.app_id, h.organization_id, h.day::text AS day, sum(h.success)::int AS success,
                   sum(h.error)::int AS error, sum(h.timeout)::int AS timeout, sum(h.fatal)::int AS fatal
            FROM unnest($1::bigint[], $2::bigint[]) AS p(app_id, organization_id)
            JOIN health_counters h ON h.app_id = p.app_id AND h.organization_id = p.organization_id
            WHERE h.day >= $3::date - 6 AND h.day <= $3::date
            GROUP BY 1, 2, 3
            """, pairs.map(\.appID), pairs.map(\.organizationID), today.description)
        for row in rows {
            let key = AppOrganization(
                appID: try row.decode("app_id", as: Int64.self), organizationID: try row.decode("organization_id", as: Int64.self))
            let dayText = try row.decode("day", as: String.self)
            guard let day = UTCDay(dayText) else {
                throw PostgresError(kind: .decoding, message: "unreadable day '\(dayText)'")
            }
            windows[key, default: []].append(
                HealthDay(
                    day: day, success: try row.decode("success", as: Int.self), error: try row.decode("error", as: Int.self),
                    timeout: try row.decode("timeout", as: Int.self), fatal: try row.decode("fatal", as: Int.self)))
        }
        return windows
    }
}

/// An app in one organization: the key of the health counters.
public struct AppOrganization: Sendable, Hashable {
    public var appID: Int64
    public var organizationID: Int64

    public init(appID: Int64, organizationID: Int64) {
        self.appID = appID
        self.organizationID = organizationID
    }
}
