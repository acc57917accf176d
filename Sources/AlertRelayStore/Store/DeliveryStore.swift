import AlertRelayLogic
import PostgresClient

/// SQL for deliveries: recording them, the dispatcher's side of the queue they form (claim, lease, give back), and
/// reading them. Outcomes of attempts are recorded by `AttemptStore`.
public enum DeliveryStore {
    /// The channel idle dispatchers listen on; see `Start.queued(wake:)`.
    public static let wakeChannel = "alert_relay_deliveries"
    /// Extra time beyond the app's timeout before a dispatcher may assume an inline attempt died with its process.
    public static let inlineLeaseMarginSeconds = 60

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

        public init(
            organizationID: Int64, appID: Int64, projectID: Int64?, eventType: String, resource: String,
            requestID: String, webhookID: String, payload: String, redeliveryOf: Int64?
        ) {
            self.organizationID = organizationID
            self.appID = appID
            self.projectID = projectID
            self.eventType = eventType
            self.resource = resource
            self.requestID = requestID
            self.webhookID = webhookID
            self.payload = payload
            self.redeliveryOf = redeliveryOf
        }
    }

    /// How a new delivery starts.
    public enum Start: Sendable, Equatable {
        /// This process attempts it at once: `sending`, leased for the app's timeout + `inlineLeaseMarginSeconds`
        /// (should the process die mid-attempt, a dispatcher attempts it again after that). With `asyncCommit`
        /// its commit is not waited for (`synchronous_commit = off`): the attempt's record, whose commit is,
        /// flushes the WAL up to itself and so this one too, and the caller is told nothing before that; a
        /// database crash in between loses only a delivery nobody was told about.
        case inline(asyncCommit: Bool)
        /// A dispatcher makes the first attempt: `queued`, due now. With `wake`, the statement also notifies
        /// `wakeChannel` (an idle dispatcher then starts at once instead of at its next poll); callers wake
        /// rarely (`DispatchWake`), since every NOTIFY serialises commits on PostgreSQL's notification lock.
        case queued(wake: Bool)

        var isQueued: Bool { if case .queued = self { true } else { false } }
        var wakes: Bool { if case .queued(let wake) = self { wake } else { false } }
        var commitsAsynchronously: Bool { if case .inline(let asyncCommit) = self { asyncCommit } else { false } }
    }

    private static let insertSQL: SQL = """
        WITH d AS (
            INSERT INTO deliveries (organization_id, app_id, project_id, event_type, resource, request_id, webhook_id,
                                    payload, status, due_at, redelivery_of)
            SELECT $1, a.id, $3, $4, $5, $6, $7, $8,
                   CASE WHEN $10 THEN 'queued' ELSE 'sending' END,
                   CASE WHEN $10 THEN now() ELSE now() + make_interval(secs => a.timeout_ms / 1000.0 + $11) END, $9
            FROM apps a WHERE a.id = $2
            RETURNING \(Delivery.columns)
        ), effects AS (
            SELECT (SELECT count(*) FROM (SELECT pg_notify($14, '') FROM d WHERE $12) n) AS woken,
                   (SELECT set_config('synchronous_commit', 'off', true) FROM d WHERE $13) AS commit_mode
        )
        SELECT d.* FROM d CROSS JOIN effects
        """

    /// Records a delivery for an app the caller has read (no installation check here) and returns it.
    public static func insert(_ new: NewDelivery, start: Start, db: PostgresConnection) throws -> Delivery {
        let rows = try db.query(
            composed: Self.insertSQL,
            binds: [new.organizationID, new.appID, new.projectID, new.eventType, new.resource, new.requestID,
            new.webhookID, new.payload, new.redeliveryOf, start.isQueued, inlineLeaseMarginSeconds, start.wakes,
            start.commitsAsynchronously, wakeChannel])
        guard let row = rows.first else { throw PostgresError(kind: .usage, message: "app \(new.appID) does not exist") }
        return try Delivery(row)
    }

    private static let insertForTargetSQL: SQL = """
        WITH a AS (
            SELECT \(AppStore.columnsOfR) FROM app_rows r
            JOIN installations i ON i.app_id = r.id AND i.organization_id = $1 AND i.uuid = $3::uuid
            WHERE r.id = $2
        ), d AS (
            INSERT INTO deliveries (organization_id, app_id, project_id, event_type, resource, request_id, webhook_id,
                                    payload, status, due_at, redelivery_of)
            SELECT $1, a.id, $4, $5, $6, $7, $8, $9,
                   CASE WHEN $11 THEN 'queued' ELSE 'sending' END,
                   CASE WHEN $11 THEN now() ELSE now() + make_interval(secs => a.timeout_ms / 1000.0 + $12) END, $10
            FROM a WHERE a.disabled_at IS NULL
            RETURNING \(Delivery.prefixedColumns)
        ), effects AS (
            SELECT (SELECT count(*) FROM (SELECT pg_notify($15, '') FROM d WHERE $13) n) AS woken,
                   (SELECT set_config('synchronous_commit', 'off', true) FROM d WHERE $14) AS commit_mode
        )
        SELECT \(AppStore.columnsOfA), d.* FROM a LEFT JOIN d ON true CROSS JOIN effects
        """

    /// The alert route's one statement for a known app and installation: re-validates both (the caller's ids may be
    /// stale), reads the app's current state (secrets included, so a rotation applies at once) and, unless the app
    /// is disabled, records the delivery. `nil` when the app or the installation is not what the caller thought;
    /// `delivery == nil` when the app is disabled.
    public static func insertForTarget(
        _ new: NewDelivery, installationUUID: String, start: Start, db: PostgresConnection
    ) throws -> (app: App, delivery: Delivery?)? {
        let rows = try db.query(
            composed: Self.insertForTargetSQL,
            binds: [new.organizationID, new.appID, installationUUID, new.projectID, new.eventType, new.resource,
            new.requestID, new.webhookID, new.payload, new.redeliveryOf, start.isQueued, inlineLeaseMarginSeconds,
            start.wakes, start.commitsAsynchronously, wakeChannel])
        guard let row = rows.first else { return nil }
        let app = try AppStore.app(row)
        return (app, try row.decode("d_id", as: Int64?.self) == nil ? nil : try Delivery(row, prefix: "d_"))
    }

    /// What `enqueueForTarget` did.
    public enum Enqueued: Sendable {
        case queued(Delivery)
        /// The app is disabled: nothing recorded.
        case appDisabled
    }

    private static let enqueueForTargetSQL: SQL = """
        WITH a AS (
            SELECT a.id, a.disabled_at IS NOT NULL AS disabled FROM apps a
            JOIN installations i ON i.app_id = a.id AND i.organization_id = $1 AND i.uuid = $3::uuid
            WHERE a.id = $2
        ), d AS (
            INSERT INTO deliveries (organization_id, app_id, project_id, event_type, resource, request_id, webhook_id,
                                    payload, status, due_at, redelivery_of)
            SELECT $1, a.id, $4, $5, $6, $7, $8, $9, 'queued', now(), $10 FROM a WHERE NOT a.disabled
            RETURNING id, (extract(epoch FROM date_created) * 1000000)::bigint AS created_us
        )
        SELECT a.disabled, d.id, d.created_us,
               (SELECT count(*) FROM (SELECT pg_notify($12, '') FROM d WHERE $11) n) AS woken
        FROM a LEFT JOIN d ON true
        """

    /// The queued alert's one statement for a known app and installation (the ingest path, kept to what it
    /// needs): re-validates both, and unless the app is disabled records the delivery `queued`, due now, waking idle
    /// dispatchers when `wake`. `nil` when the app or the installation is not what the caller thought.
    public static func enqueueForTarget(
        _ new: NewDelivery, installationUUID: String, wake: Bool, db: PostgresConnection
    ) throws -> Enqueued? {
        let rows = try db.query(
            composed: Self.enqueueForTargetSQL,
            binds: [new.organizationID, new.appID, installationUUID, new.projectID, new.eventType, new.resource,
            new.requestID, new.webhookID, new.payload, new.redeliveryOf, wake, wakeChannel])
        guard let row = rows.first else { return nil }
        guard !(try row.decode("disabled", as: Bool.self)),
            let id = try row.decode("id", as: Int64?.self), let created = try row.decode("created_us", as: Int64?.self)
        else { return .appDisabled }
        return .queued(Delivery(
            id: id, organizationID: new.organizationID, appID: new.appID, projectID: new.projectID,
            eventType: new.eventType, resource: new.resource, requestID: new.requestID, webhookID: new.webhookID,
            status: .queued, attempts: 0, responseCode: nil, errorClass: nil,
            dueAt: RFC3339.format(unixMicroseconds: created), dateCreated: RFC3339.format(unixMicroseconds: created)))
    }

    private static let findSQL: SQL = """
        SELECT \(Delivery.columns) FROM deliveries WHERE id = $1
        """

    public static func find(id: Int64, db: PostgresConnection) throws -> Delivery? {
        let rows = try db.query(
            composed: Self.findSQL,
            binds: [id])
        return try rows.first.map { try Delivery($0) }
    }

    private static let findWithPayloadSQL: SQL = """
        SELECT \(Delivery.columns), payload FROM deliveries WHERE id = $1
        """

    /// The delivery and the exact body it sends (for a redelivery of the same message).
    public static func findWithPayload(id: Int64, db: PostgresConnection) throws -> (delivery: Delivery, payload: String)? {
        let rows = try db.query(
            composed: Self.findWithPayloadSQL,
            binds: [id])
        return try rows.first.map { (try Delivery($0), try $0.decode("payload", as: String.self)) }
    }

    /// One attempt of a delivery as the request log holds it.
    public struct AttemptLogEntry: Sendable, Equatable {
        public var attempt: Int
        public var date: String
        public var responseCode: Int
        public var errorClass: String?
        public var durationMilliseconds: Double
    }

    /// The attempts of a delivery, oldest first.
    public static func attemptLog(deliveryID: Int64, db: PostgresConnection) throws -> [AttemptLogEntry] {
        try db.query(
            """
            SELECT attempt, rfc3339(date) AS date, response_code, error_class, duration_ms FROM request_log
            WHERE delivery_id = $1 ORDER BY id
            """, deliveryID
        ).map { row in
            AttemptLogEntry(
                attempt: try row.decode("attempt", as: Int.self), date: try row.decode("date", as: String.self),
                responseCode: try row.decode("response_code", as: Int.self),
                errorClass: try row.decode("error_class", as: String?.self),
                durationMilliseconds: try row.decode("duration_ms", as: Double.self))
        }
    }

    // MARK: - The dispatcher's queue

    /// A delivery a dispatcher claimed: `sending`, leased to it.
    public struct Claimed: Sendable, Equatable {
        public var id: Int64
        public var organizationID: Int64
        public var appID: Int64
        public var eventType: String
        public var resource: String
        public var requestID: String
        public var webhookID: String
        public var payload: String
        /// Attempts recorded so far: this claim makes attempt `attempts + 1`.
        public var attempts: Int
        /// Whether the app is still installed in the delivery's organization.
        public var installed: Bool
    }

    /// Claims due deliveries for a dispatcher: walks the apps with due deliveries in id order starting after
    /// `afterAppID`, and takes each app's oldest due ones (by `due_at`, then id), at most `perAppLimit` minus what
    /// the dispatcher already holds of that app (`held`), at most `limit` in all. Claimed deliveries are `sending`
    /// with a lease of `leaseSeconds`; deliveries locked by a concurrent claim are skipped, never waited for.
    public static func claim(
        afterAppID: Int64, held: [Int64: Int], perAppLimit: Int, limit: Int, leaseSeconds: Int, db: PostgresConnection
    ) throws -> [Claimed] {
        let heldApps = Array(held.keys)
        let heldCounts = heldApps.map { held[$0] ?? 0 }
        // The recursive part finds the next app with a due delivery with one descent of deliveries_due_idx each,
        // so an app with a large backlog costs one step, not a read of its backlog. `attempts >= 0` (always true)
        // makes those steps plain index scans rather than index-only ones: an index-only scan never marks the
        // entries of finished deliveries dead, so every claim would visit them all again until the next vacuum
        // (each delivery leaves one behind when it stops being pending). MATERIALIZED keeps the locking subquery a
        // single scan (the UPDATE cannot re-run it and lock more rows).
        let rows = try db.query(
            """
            WITH RECURSIVE due_apps(app_id) AS (
                (SELECT d.app_id FROM deliveries d
                 WHERE d.status IN ('queued', 'retrying', 'sending') AND d.due_at <= now() AND d.app_id > $1
                   AND d.attempts >= 0
                 ORDER BY d.app_id LIMIT 1)
                UNION ALL
                SELECT (SELECT d.app_id FROM deliveries d
                        WHERE d.status IN ('queued', 'retrying', 'sending') AND d.due_at <= now() AND d.app_id > p.app_id
                          AND d.attempts >= 0
                        ORDER BY d.app_id LIMIT 1)
                FROM due_apps p WHERE p.app_id IS NOT NULL
            ), room AS (
                SELECT p.app_id, greatest(0, $4 - coalesce(h.held, 0)) AS room
                FROM due_apps p LEFT JOIN unnest($2::bigint[], $3::int[]) AS h(app_id, held) ON h.app_id = p.app_id
                WHERE p.app_id IS NOT NULL
            ), claimed AS MATERIALIZED (
                SELECT c.id FROM room r
                CROSS JOIN LATERAL (
                    SELECT d.id FROM deliveries d
                    WHERE d.app_id = r.app_id AND d.status IN ('queued', 'retrying', 'sending') AND d.due_at <= now()
                    ORDER BY d.due_at, d.id LIMIT r.room
                    FOR UPDATE SKIP LOCKED
                ) c
                LIMIT $5
            )
            UPDATE deliveries d SET status = 'sending', due_at = now() + make_interval(secs => $6), date_updated = now()
            FROM claimed WHERE d.id = claimed.id
            RETURNING d.id, d.organization_id, d.app_id, d.event_type, d.resource, d.request_id, d.webhook_id, d.payload,
                      d.attempts,
                      -- installation.deleted is sent after its installation is gone.
                      d.event_type = 'installation.deleted'
                          OR EXISTS (SELECT 1 FROM installations i
                                     WHERE i.app_id = d.app_id AND i.organization_id = d.organization_id) AS installed
            """, afterAppID, heldApps, heldCounts, perAppLimit, limit, leaseSeconds)
        var claimed: [Claimed] = []
        claimed.reserveCapacity(rows.count)
        for row in rows {
            claimed.append(
                Claimed(
                    id: try row.decode("id", as: Int64.self), organizationID: try row.decode("organization_id", as: Int64.self),
                    appID: try row.decode("app_id", as: Int64.self), eventType: try row.decode("event_type", as: String.self),
                    resource: try row.decode("resource", as: String.self),
                    requestID: try row.decode("request_id", as: String.self),
                    webhookID: try row.decode("webhook_id", as: String.self),
                    payload: try row.decode("payload", as: String.self), attempts: try row.decode("attempts", as: Int.self),
                    installed: try row.decode("installed", as: Bool.self)))
        }
        // RETURNING has no order: oldest first within each app (ids grow with time; retries keep their id, which
        // only matters within one claim).
        claimed.sort { $0.id < $1.id }
        return claimed
    }

    // The statements below find deliveries by id; their state conditions are written as NOT IN other states so
    // that the planner cannot prefer reading all of deliveries_due_idx (whose predicate `status IN (queued,
    // retrying, sending)` it would otherwise find implied) to looking the ids up in the primary key.

    /// Extends the lease of deliveries a dispatcher still holds (waiting in memory or in flight).
    @discardableResult
    public static func renewLeases(ids: [Int64], leaseSeconds: Int, db: PostgresConnection) throws -> Int {
        guard !ids.isEmpty else { return 0 }
        return try db.execute(
            """
            UPDATE deliveries SET due_at = now() + make_interval(secs => $2)
            WHERE id = ANY($1::bigint[]) AND status NOT IN ('queued', 'retrying', 'delivered', 'failed')
            """, ids, leaseSeconds)
    }

    /// Gives claimed deliveries that were never attempted back to the queue, due now.
    @discardableResult
    public static func release(ids: [Int64], db: PostgresConnection) throws -> Int {
        guard !ids.isEmpty else { return 0 }
        return try db.execute(
            """
            UPDATE deliveries SET status = CASE WHEN attempts = 0 THEN 'queued' ELSE 'retrying' END, due_at = now(),
                                  date_updated = now()
            WHERE id = ANY($1::bigint[]) AND status NOT IN ('queued', 'retrying', 'delivered', 'failed')
            """, ids)
    }

    /// Fails pending deliveries that will not be attempted (their app was disabled, deleted or uninstalled).
    @discardableResult
    public static func fail(ids: [Int64], errorClass: String, db: PostgresConnection) throws -> Int {
        guard !ids.isEmpty else { return 0 }
        return try db.execute(
            """
            UPDATE deliveries SET status = 'failed', error_class = $2, due_at = NULL, date_updated = now()
            WHERE id = ANY($1::bigint[]) AND status NOT IN ('delivered', 'failed')
            """, ids, errorClass)
    }

    /// Fails the app's deliveries that wait for an attempt (not those being attempted now: their sender records
    /// them), in every organization or only in `organizationID`.
    @discardableResult
    public static func failWaiting(
        appID: Int64, organizationID: Int64? = nil, errorClass: String, db: PostgresConnection
    ) throws -> Int {
        try db.execute(
            """
            UPDATE deliveries SET status = 'failed', error_class = $3, due_at = NULL, date_updated = now()
            WHERE app_id = $1 AND status IN ('queued', 'retrying') AND ($2::bigint IS NULL OR organization_id = $2)
            """, appID, organizationID, errorClass)
    }

    /// Milliseconds until the next pending delivery falls due (0 when one is due now); nil when none is pending.
    public static func millisecondsUntilNextDue(db: PostgresConnection) throws -> Int64? {
        // The earliest due_at of each app is its first entry in deliveries_due_idx: one descent per app (plain index
        // scans, for the reason given in `claim`).
        try db.query(
            """
            WITH RECURSIVE pending(app_id, due_at) AS (
                (SELECT app_id, due_at FROM deliveries
                 WHERE status IN ('queued', 'retrying', 'sending') AND attempts >= 0
                 ORDER BY app_id, due_at LIMIT 1)
                UNION ALL
                SELECT n.app_id, n.due_at FROM pending p
                CROSS JOIN LATERAL (
                    SELECT d.app_id, d.due_at FROM deliveries d
                    WHERE d.status IN ('queued', 'retrying', 'sending') AND d.app_id > p.app_id AND d.attempts >= 0
                    ORDER BY d.app_id, d.due_at LIMIT 1
                ) n
            )
            -- greatest() skips NULLs: without the CASE, nothing pending would read as "due now".
            SELECT CASE WHEN min(due_at) IS NOT NULL
                        THEN greatest(0, ceil(extract(epoch FROM (min(due_at) - clock_timestamp())) * 1000))::bigint END
            FROM pending
            """
        ).first?.decode(0, as: Int64?.self)
    }
}
