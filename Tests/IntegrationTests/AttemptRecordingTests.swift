import AlertRelayAPI
import AlertRelayDelivery
import AlertRelayStore
import AlertRelayLogic
import CurlClient
import Foundation
import Logging
import PostgresClient
import Testing

/// The one recording path against a real PostgreSQL: a batch of attempts with mixed outcomes is recorded exactly as
/// the same attempts recorded one by one, and the deliveries queue's statements (claim, lease, give back) behave as
/// the dispatcher relies on.
@Suite(.usesDatabase, .enabled(if: TestEnvironment.databaseTestsEnabled, "needs DATABASE_URL (scripts/test.sh)"))
struct AttemptRecordingTests {
    /// One app per outcome, two deliveries each; the same attempts recorded as one batch in one database and one at
    /// a time in another must leave the same rows behind.
    @Test func aMixedBatchIsRecordedAsTheSameAttemptsOneByOne() throws {
        let server = try TestEnvironment.requireDatabase()
        let batched = try ScratchDatabase.create(serverURL: server, prefix: "record_batch")
        defer { batched.drop() }
        let single = try ScratchDatabase.create(serverURL: server, prefix: "record_single")
        defer { single.drop() }
        let config = try Config(environment: ["ALERT_RELAY_RETRY_SCHEDULE": "10,60"])
        let recorder = AttemptRecorder(config: config, metrics: Metrics(), logger: Logger(label: "test"))
        let sentAt = Date().timeIntervalSince1970 - 1

        let batch = try Self.attempts(in: batched.db, sentAt: sentAt)
        let result = try recorder.record(batch, shard: 0, db: batched.db)
        #expect(result.deliveries.count == batch.count)
        #expect(result.disabledApps.count == 1, "the 410 app, once")

        for attempt in try Self.attempts(in: single.db, sentAt: sentAt) {
            _ = try recorder.record([attempt], shard: 0, db: single.db)
        }

        let tables: [StaticString] = [
            """
            SELECT a.slug, d.webhook_id, l.attempt, l.date::text, l.event_type, l.webhook_url, l.response_code, l.duration_ms,
                   l.error_class, l.error_id, l.project_id, l.request_headers, l.request_body, l.response_headers, l.response_body
            FROM request_log l JOIN apps a ON a.id = l.app_id JOIN deliveries d ON d.id = l.delivery_id
            ORDER BY 1, 2, 3
            """,
            """
            SELECT a.slug, d.webhook_id, d.status, d.attempts, d.response_code, d.error_class, d.due_at IS NULL
            FROM deliveries d JOIN apps a ON a.id = d.app_id ORDER BY 1, 2
            """,
            "SELECT a.slug, h.day::text, h.success, h.error, h.timeout, h.fatal FROM health_days h JOIN apps a ON a.id = h.app_id ORDER BY 1, 2",
            "SELECT event, data::text, actor FROM audit_log ORDER BY 1, 2",
            "SELECT kind, payload ->> 'to', payload ->> 'subject', state FROM jobs ORDER BY 1, 2",
            "SELECT slug, disabled_at IS NOT NULL, disabled_reason FROM apps ORDER BY 1",
        ]
        for sql in tables {
            let left = try Self.rows(sql, batched.db)
            let right = try Self.rows(sql, single.db)
            #expect(left == right, "\(sql)\nbatched: \(left)\none by one: \(right)")
        }

        // What the rows must say, beyond being equal.
        let deliveries = try Self.rows(
            "SELECT a.slug, d.status, d.error_class FROM deliveries d JOIN apps a ON a.id = d.app_id ORDER BY 1, 2", batched.db)
        #expect(deliveries == [
            ["blocked", "failed", "blocked"], ["blocked", "failed", "blocked"],
            ["error", "retrying", "http"], ["error", "retrying", "http"],
            ["gone", "failed", "http"], ["gone", "failed", "http"],
            ["ok", "delivered", nil], ["ok", "delivered", nil],
            ["timeout", "retrying", "timeout"], ["timeout", "retrying", "timeout"],
        ])
        let days = try Self.rows(
            "SELECT a.slug, h.success, h.error, h.timeout, h.fatal FROM health_days h JOIN apps a ON a.id = h.app_id ORDER BY 1",
            batched.db)
        // Blocked attempts count nowhere; the 410's fatal counts were cleared by the disable.
        #expect(days == [["error", "0", "2", "0", "0"], ["ok", "2", "0", "0", "0"], ["timeout", "0", "0", "2", "0"]])
        #expect(try Self.rows("SELECT count(*) FROM audit_log WHERE event = 'internal-integration.disable'", batched.db) == [["1"]])
        #expect(try Self.rows("SELECT count(*) FROM jobs WHERE kind = 'email'", batched.db) == [["2"]], "one e-mail per owner")
        // Retries are due within the first delay's ±20 % after the attempt was recorded.
        let retries = try batched.db.query(
            "SELECT extract(epoch FROM due_at - now())::float8 FROM deliveries WHERE status = 'retrying'")
        #expect(retries.count == 4)
        for row in retries {
            let seconds = try row.decode(0, as: Double.self)
            #expect(seconds > 7 && seconds <= 12, "retry due in \(seconds) s")
        }
        // The Sentry-Hook-Error/Project pair is kept when both came.
        #expect(try Self.rows("SELECT DISTINCT error_id, project_id FROM request_log WHERE response_code = 500", batched.db)
                == [["err-1", "proj-1"]])
    }

    /// An organization with two owners and one internal app per outcome, each with two deliveries being attempted;
    /// returns the attempts made, each with its outcome.
    static func attempts(in db: PostgresConnection, sentAt: Double) throws -> [SentAttempt] {
        let organizationID = try db.query(
            "INSERT INTO organizations (slug, name) VALUES ('record', 'Record') RETURNING id")[0].decode(0, as: Int64.self)
        for owner in ["one@example.com", "two@example.com"] {
            try db.execute(
                "INSERT INTO members (organization_id, email, role) VALUES ($1, $2, 'owner')", organizationID, owner)
        }
        let outcomes: [(slug: String, response: OutboundResponse)] = [
            ("ok", OutboundResponse(status: 200, headers: [("Content-Type", "application/json")], body: Array(#"{"ok":true}"#.utf8),
                                    durationMilliseconds: 3.5)),
            ("error", OutboundResponse(status: 500, headers: [("Sentry-Hook-Error", "err-1"), ("Sentry-Hook-Project", "proj-1")],
                                       body: Array("boom".utf8), durationMilliseconds: 4.25)),
            ("gone", OutboundResponse(status: 410, body: Array("gone".utf8), durationMilliseconds: 2)),
            ("timeout", OutboundResponse(durationMilliseconds: 1000, failure: .timeout)),
            // A value only: the SSRF guard's refusal as the sender reports it; nothing is sent anywhere.
            ("blocked", OutboundResponse(failure: .blocked(try #require(ConnectAddress(ip: "10.1.2.3", port: 80))))),
        ]
        var attempts: [SentAttempt] = []
        for (slug, response) in outcomes {
            let appID = try db.query(
                """
                INSERT INTO apps (uuid, organization_id, slug, name, status, webhook_url, client_secret)
                VALUES (gen_random_uuid(), $1, $2, $2, 'internal', 'http://127.0.0.2:9/' || $2, 'secret') RETURNING id
                """, organizationID, slug)[0].decode(0, as: Int64.self)
            try db.execute(
                "INSERT INTO installations (uuid, app_id, organization_id) VALUES (gen_random_uuid(), $1, $2)",
                appID, organizationID)
            let app = try #require(try AppStore.find(id: appID, db: db))
            for index in 1...2 {
                let payload = #"{"app":"\#(slug)","n":\#(index)}"#
                let deliveryID = try db.query(
                    """
                    INSERT INTO deliveries (organization_id, app_id, event_type, resource, request_id, webhook_id, payload,
                                            status, due_at)
                    VALUES ($1, $2, 'event_alert.triggered', 'event_alert', $3, $4, $5, 'sending', now() + interval '1 minute')
                    RETURNING id
                    """, organizationID, appID, "req\(slug)\(index)", "msg_\(slug)_\(index)", payload
                )[0].decode(0, as: Int64.self)
                let headers = DeliveryAttempt.headers(
                    resource: "event_alert", webhookID: "msg_\(slug)_\(index)", app: app, body: Array(payload.utf8),
                    requestID: "req\(slug)\(index)", timestamp: Int64(sentAt))
                attempts.append(SentAttempt(
                    deliveryID: deliveryID, organizationID: organizationID, attempt: 1, eventType: "event_alert.triggered",
                    app: app, requestHeaders: headers, requestBody: payload, sentAt: sentAt, response: response))
            }
        }
        return attempts
    }

    static func rows(_ sql: StaticString, _ db: PostgresConnection) throws -> [[String?]] {
        try db.query(sql).map { row in (0..<row.columnNames.count).map { row.text($0) } }
    }
}

/// The deliveries queue's statements as the dispatcher uses them.
@Suite(.usesDatabase, .enabled(if: TestEnvironment.databaseTestsEnabled, "needs DATABASE_URL (scripts/test.sh)"))
struct DeliveryQueueTests {
    /// A scratch database with one organization and `apps` internal apps; returns their ids.
    static func queue(apps: Int) throws -> (ScratchDatabase, organizationID: Int64, appIDs: [Int64]) {
        let server = try TestEnvironment.requireDatabase()
        let database = try ScratchDatabase.create(serverURL: server, prefix: "queue_test")
        let db = database.db
        let organizationID = try db.query("INSERT INTO organizations (slug, name) VALUES ('q', 'Q') RETURNING id")[0]
            .decode(0, as: Int64.self)
        var ids: [Int64] = []
        for index in 0..<apps {
            let id = try db.query(
                """
                INSERT INTO apps (uuid, organization_id, slug, name, status, webhook_url, client_secret)
                VALUES (gen_random_uuid(), $1, $2, $2, 'internal', 'http://127.0.0.2:9/', 's') RETURNING id
                """, organizationID, "app-\(index)")[0].decode(0, as: Int64.self)
            try db.execute(
                "INSERT INTO installations (uuid, app_id, organization_id) VALUES (gen_random_uuid(), $1, $2)", id,
                organizationID)
            ids.append(id)
        }
        return (database, organizationID, ids)
    }

    /// Adds a delivery due `seconds` from now; returns its id.
    @discardableResult
    static func add(
        _ db: PostgresConnection, organizationID: Int64, appID: Int64, status: String = "queued", attempts: Int = 0,
        dueInSeconds seconds: Double
    ) throws -> Int64 {
        try db.query(
            """
            INSERT INTO deliveries (organization_id, app_id, event_type, resource, request_id, webhook_id, payload, status,
                                    attempts, due_at)
            VALUES ($1, $2, 'event_alert.triggered', 'event_alert', 'r', 'msg', '{}', $3, $4,
                    now() + make_interval(secs => $5::float8))
            RETURNING id
            """, organizationID, appID, status, attempts, seconds)[0].decode(0, as: Int64.self)
    }

    @Test func aClaimTakesEachAppsOldestDueDeliveriesWithinItsRoom() throws {
        let (database, organizationID, apps) = try Self.queue(apps: 3)
        defer { database.drop() }
        let db = database.db
        // App 0: ten due, oldest first by due time (not by id); app 1: three due; app 2: retries due in an hour.
        var first: [Int64] = []
        for index in 0..<10 {
            first.append(try Self.add(db, organizationID: organizationID, appID: apps[0], dueInSeconds: Double(-index)))
        }
        for _ in 0..<3 { try Self.add(db, organizationID: organizationID, appID: apps[1], dueInSeconds: -1) }
        for _ in 0..<2 {
            try Self.add(db, organizationID: organizationID, appID: apps[2], status: "retrying", attempts: 1, dueInSeconds: 3600)
        }

        // Two of app 0 are held already: room for two more of it.
        let claimed = try DeliveryStore.claim(
            afterAppID: 0, held: [apps[0]: 2], perAppLimit: 4, limit: 100, leaseSeconds: 30, db: db)
        #expect(Set(claimed.filter { $0.appID == apps[0] }.map(\.id)) == Set(first.suffix(2)), "the two due longest")
        #expect(claimed.filter { $0.appID == apps[1] }.count == 3)
        #expect(!claimed.contains { $0.appID == apps[2] }, "not due yet")
        #expect(claimed.allSatisfy { $0.installed })
        let leased = try db.query(
            "SELECT count(*)::int FROM deliveries WHERE status = 'sending' AND due_at > now() + interval '25 seconds'")
        #expect(try leased[0].decode(0, as: Int.self) == 5)

        // Full: nothing more for app 0, nothing left of app 1.
        let none = try DeliveryStore.claim(
            afterAppID: 0, held: [apps[0]: 4, apps[1]: 3], perAppLimit: 4, limit: 100, leaseSeconds: 30, db: db)
        #expect(none.isEmpty)
        // After app 0 in the turn: app 0 is not visited.
        let after = try DeliveryStore.claim(
            afterAppID: apps[0], held: [:], perAppLimit: 4, limit: 100, leaseSeconds: 30, db: db)
        #expect(after.isEmpty, "app 1 has nothing left and app 2 nothing due")
        // The overall limit holds.
        let limited = try DeliveryStore.claim(afterAppID: 0, held: [:], perAppLimit: 100, limit: 3, leaseSeconds: 30, db: db)
        #expect(limited.count == 3)
        #expect(try DeliveryStore.millisecondsUntilNextDue(db: db) == 0, "app 0 still has due deliveries")
    }

    @Test func aPassedLeaseMakesADeliveryClaimableAgainWithItsAttemptNumber() throws {
        let (database, organizationID, apps) = try Self.queue(apps: 1)
        defer { database.drop() }
        let db = database.db
        #expect(try DeliveryStore.millisecondsUntilNextDue(db: db) == nil, "nothing pending")
        let id = try Self.add(db, organizationID: organizationID, appID: apps[0], status: "retrying", attempts: 1, dueInSeconds: 0)
        let claimed = try DeliveryStore.claim(afterAppID: 0, held: [:], perAppLimit: 4, limit: 10, leaseSeconds: 30, db: db)
        #expect(claimed.map(\.id) == [id])
        #expect(claimed.first?.attempts == 1, "the claim makes attempt 2")
        #expect(try DeliveryStore.claim(afterAppID: 0, held: [:], perAppLimit: 4, limit: 10, leaseSeconds: 30, db: db).isEmpty,
                "leased")
        let due = try #require(try DeliveryStore.millisecondsUntilNextDue(db: db))
        #expect(due > 25_000 && due <= 30_000, "the lease's end is when it falls due again: \(due) ms")

        // Renewed, then the holder dies: once the lease has passed, another claim takes it, attempt number unchanged.
        #expect(try DeliveryStore.renewLeases(ids: [id], leaseSeconds: 60, db: db) == 1)
        let renewed = try #require(try DeliveryStore.millisecondsUntilNextDue(db: db))
        #expect(renewed > 55_000)
        try db.execute("UPDATE deliveries SET due_at = now() - interval '1 second' WHERE id = $1", id)
        let again = try DeliveryStore.claim(afterAppID: 0, held: [:], perAppLimit: 4, limit: 10, leaseSeconds: 30, db: db)
        #expect(again.map(\.id) == [id] && again.first?.attempts == 1)

        // Given back unattempted: due now, as it was.
        #expect(try DeliveryStore.release(ids: [id], db: db) == 1)
        let row = try db.query("SELECT status, due_at <= now() FROM deliveries WHERE id = $1", id)[0]
        #expect(try row.decode(0, as: String.self) == "retrying")
        #expect(try row.decode(1, as: Bool.self))
        #expect(try DeliveryStore.fail(ids: [id], errorClass: "app_disabled", db: db) == 1)
        #expect(try DeliveryStore.millisecondsUntilNextDue(db: db) == nil)
    }
}
