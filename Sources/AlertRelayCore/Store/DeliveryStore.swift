import AlertRelayLogic
import PostgresClient

/// One accepted alert and where its delivery stands.
public struct Delivery: Sendable, Equatable {
    public var id: Int64
    public var organizationID: Int64
    public var appID: Int64
    public var projectID: Int64?
    public var eventType: String
    public var resource: String
    public var requestID: String
    public var webhookID: String
    public var payload: String
    public var status: String
    public var attempts: Int
    public var responseCode: Int?
    public var errorClass: String?
    public var nextAttemptAt: String?
    public var dateCreated: String

    /// The delivery record of API.md.
    public var json: JSONValue {
        .object(JSONObject([
            ("id", .int64(id)), ("request_id", .string(requestID)), ("webhook_id", .string(webhookID)),
            ("event_type", .string(eventType)), ("status", .string(status)), ("attempts", .int(attempts)),
            ("response_code", .optionalInt(responseCode)), ("error_class", .optionalString(errorClass)),
            ("next_attempt_at", .optionalString(nextAttemptAt)), ("date_created", .string(dateCreated)),
        ]))
    }
}

/// SQL for deliveries.
public enum DeliveryStore {
    /// The delivery in the columns starting at `offset`.
    static func delivery(_ row: PostgresRow, from offset: Int = 0) throws -> Delivery {
        Delivery(
            id: try row.decode(offset + 0, as: Int64.self), organizationID: try row.decode(offset + 1, as: Int64.self),
            appID: try row.decode(offset + 2, as: Int64.self), projectID: try row.decode(offset + 3, as: Int64?.self),
            eventType: try row.decode(offset + 4, as: String.self), resource: try row.decode(offset + 5, as: String.self),
            requestID: try row.decode(offset + 6, as: String.self), webhookID: try row.decode(offset + 7, as: String.self),
            payload: try row.decode(offset + 8, as: String.self), status: try row.decode(offset + 9, as: String.self),
            attempts: try row.decode(offset + 10, as: Int.self), responseCode: try row.decode(offset + 11, as: Int?.self),
            errorClass: try row.decode(offset + 12, as: String?.self), nextAttemptAt: try row.decode(offset + 13, as: String?.self),
            dateCreated: try row.decode(offset + 14, as: String.self))
    }

    public struct NewDelivery: Sendable {
        public var organizationID: Int64
        public var appID: Int64
        public var projectID: Int64?
        public var eventType: String
        public var resource: String
        public var requestID: String
        public var webhookID: String
        public var payload: String
        public var redeliveryOf: Int64?
    }

    /// Records the delivery durably before any attempt. Inline (`queued == false`) it is `sending` with a lease after
    /// which the worker takes it over should this process die mid-attempt; queued, a first-attempt job is written in the
    /// same statement.
    public static func insert(_ new: NewDelivery, queued: Bool, leaseSeconds: Int, db: PostgresConnection) throws -> Delivery {
        let rows: PostgresResult
        if queued {
            rows = try db.query(
                """
                WITH d AS (
                    INSERT INTO deliveries (organization_id, app_id, project_id, event_type, resource, request_id,
                                            webhook_id, payload, status, redelivery_of)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'queued', $9)
                    RETURNING id, organization_id, app_id, project_id, event_type, resource, request_id, webhook_id,
                              payload, status, attempts, response_code, error_class, next_attempt_at, date_created
                ), job AS (
                    INSERT INTO jobs (kind, payload, max_attempts)
                    SELECT 'webhook', jsonb_build_object('delivery_id', d.id, 'app_id', d.app_id, 'attempt', 1), 5 FROM d
                )
                SELECT id, organization_id, app_id, project_id, event_type, resource, request_id, webhook_id, payload,
                       status, attempts, response_code, error_class, rfc3339(next_attempt_at), rfc3339(date_created)
                FROM d
                """, new.organizationID, new.appID, new.projectID, new.eventType, new.resource, new.requestID,
                new.webhookID, new.payload, new.redeliveryOf)
        } else {
            rows = try db.query(
                """
                INSERT INTO deliveries (organization_id, app_id, project_id, event_type, resource, request_id, webhook_id,
                                        payload, status, lease_until, redelivery_of)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'sending', now() + make_interval(secs => $9), $10)
                RETURNING id, organization_id, app_id, project_id, event_type, resource, request_id, webhook_id, payload,
                          status, attempts, response_code, error_class, rfc3339(next_attempt_at), rfc3339(date_created)
                """, new.organizationID, new.appID, new.projectID, new.eventType, new.resource, new.requestID,
                new.webhookID, new.payload, leaseSeconds, new.redeliveryOf)
        }
        return try delivery(rows[0])
    }

    /// The inline path's one statement for a known app and installation: re-validates both (the caller's ids
    /// may be stale), reads the app's current state (secrets included, so a rotation applies at once) and,
    /// unless the app is disabled, records the delivery (`sending`, leased). `nil` when the app or the
    /// installation is not what the caller thought; `delivery == nil` when the app is disabled.
    public static func insertForApp(
        _ new: NewDelivery, installationUUID: String, leaseMarginSeconds: Int, db: PostgresConnection
    ) throws -> (app: App, delivery: Delivery?)? {
        let rows = try db.query(
            """
            WITH a AS (
                SELECT r.* FROM app_rows r
                JOIN installations i ON i.app_id = r.id AND i.organization_id = $1 AND i.uuid = $3::uuid
                WHERE r.id = $2
            ), d AS (
                INSERT INTO deliveries (organization_id, app_id, project_id, event_type, resource, request_id, webhook_id,
                                        payload, status, lease_until, redelivery_of)
                SELECT $1, a.id, $4, $5, $6, $7, $8, $9, 'sending',
                       now() + make_interval(secs => a.timeout_ms / 1000 + $10), $11
                FROM a WHERE a.disabled_at IS NULL
                RETURNING id, organization_id, app_id, project_id, event_type, resource, request_id, webhook_id,
                          payload, status, attempts, response_code, error_class, rfc3339(next_attempt_at),
                          rfc3339(date_created)
            )
            SELECT a.*, d.* FROM a LEFT JOIN d ON true
            """, new.organizationID, new.appID, installationUUID, new.projectID, new.eventType, new.resource,
            new.requestID, new.webhookID, new.payload, leaseMarginSeconds, new.redeliveryOf)
        guard let row = rows.first else { return nil }
        let app = try AppStore.app(row)
        return (app, row.isNull(14) ? nil : try delivery(row, from: 14))
    }

    public static func find(id: Int64, db: PostgresConnection) throws -> Delivery? {
        let rows = try db.query(
            """
            SELECT id, organization_id, app_id, project_id, event_type, resource, request_id, webhook_id, payload,
                   status, attempts, response_code, error_class, rfc3339(next_attempt_at), rfc3339(date_created)
            FROM deliveries WHERE id = $1
            """, id)
        return try rows.first.map { try delivery($0) }
    }

    /// The attempts of a delivery, oldest first.
    public static func attemptLog(deliveryID: Int64, db: PostgresConnection) throws -> [JSONValue] {
        try db.query(
            """
            SELECT attempt, rfc3339(date), response_code, error_class, duration_ms FROM request_log
            WHERE delivery_id = $1 ORDER BY id
            """, deliveryID
        ).map { row in
            .object(JSONObject([
                ("attempt", .int(try row.decode(0, as: Int.self))), ("date", .string(try row.decode(1, as: String.self))),
                ("response_code", .int(try row.decode(2, as: Int.self))),
                ("error_class", .optionalString(try row.decode(3, as: String?.self))),
                ("duration_ms", .float(try row.decode(4, as: Double.self))),
            ]))
        }
    }

    /// Marks a delivery that will not be attempted again (its app was disabled or deleted).
    public static func markFailed(id: Int64, errorClass: String, db: PostgresConnection) throws {
        try db.execute(
            """
            UPDATE deliveries SET status = 'failed', error_class = $2, next_attempt_at = NULL, lease_until = NULL,
                                  date_updated = now()
            WHERE id = $1 AND status IN ('queued', 'sending', 'retrying')
            """, id, errorClass)
    }
}
