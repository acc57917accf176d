import AlertRelayAPI
import AlertRelayDelivery
import AlertRelayStore
import AlertRelayLogic
import Foundation
import Logging
import PostgresClient
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The worker process (`alert-relay-worker`) against a real PostgreSQL and a real SMTP server.
///
/// Isolation: `scripts/test.sh` runs a worker of its own on `DATABASE_URL`, which would drain our jobs too, and other
/// suites rely on the shared SMTP sink. So each test here creates its own database (migrated from `sql/`) on the
/// same server, and starts its own `scripts/smtp_sink.py` (with `ALERT_RELAY_TEST_PYTHON`), which it may stop and
/// restart freely. Exactly-once is checked without test-only behaviour in the product: every job must end `done`
/// with `attempts = 1`, and the workers' own per-job log lines (`job done job=ID`, at debug level for `noop`) must
/// name each job exactly once.
@Suite(
    .serialized, .usesDatabase,
    .enabled(
        if: TestEnvironment.isCI || WorkerTestEnvironment.requiredVariables.allSatisfy { TestEnvironment.variable($0) != nil },
        "needs DATABASE_URL, ALERT_RELAY_TEST_BIN_DIR and ALERT_RELAY_TEST_PYTHON (scripts/test.sh)"))
struct WorkerTests {
    // MARK: - E-mail

    @Test func disableEmailArrivesWithSubjectLinksAndWebhookURL() async throws {
        let env = try WorkerTestEnvironment.make()
        let database = try env.createDatabase()
        defer { database.drop() }
        let sink = try env.startSink()
        defer { sink.stop() }

        let email = DisableNoticeEmail.render(
            appName: "my app2go", orgSlug: "acme-corp", appSlug: "my-app2go",
            webhookURL: "https://hooks.example.com/sentry?x=1", urlPrefix: "https://relay.example.com")
        try JobStore.enqueueEmail(
            to: "owner@example.com", from: "alert-relay@example.com", email: email, maxAttempts: 3, db: database.db)
        let messageID = try #require(
            try database.db.query("SELECT payload ->> 'message_id' FROM jobs WHERE kind = 'email'").first?
                .decode(0, as: String.self))

        let worker = try env.startWorker(database: database, sink: sink, arguments: ["--drain-and-exit"])
        #expect(try await worker.waitForExit(seconds: 30) == 0)

        let mails = try sink.messages()
        try #require(mails.count == 1)
        let mail = mails[0]
        #expect(mail.header("Subject") == "Action required: Fix your My App2Go integration")
        #expect(mail.header("From") == "alert-relay@example.com")
        #expect(mail.header("To") == "owner@example.com")
        #expect(mail.header("Message-ID") == messageID)
        #expect(mail.header("Date")?.hasSuffix("+0000") == true)
        #expect(mail.header("Content-Type")?.hasPrefix("multipart/alternative;") == true)
        let parts = mail.parts()
        try #require(parts.count == 2)
        #expect(parts[0].contentType.hasPrefix("text/plain"))
        #expect(parts[1].contentType.hasPrefix("text/html"))
        let settings = "https://relay.example.com/settings/acme-corp/developer-settings/my-app2go/"
        #expect(parts[0].body.contains(settings + "?referrer=disabled-sentry-app"))
        #expect(parts[0].body.contains(settings + "dashboard/?referrer=disabled-sentry-app"))
        #expect(parts[0].body.contains("https://hooks.example.com/sentry?x=1"))
        #expect(parts[1].body.contains("href=\"\(settings)?referrer=disabled-sentry-app\""))
        #expect(parts[1].body.contains("href=\"\(settings)dashboard/?referrer=disabled-sentry-app\""))
        #expect(parts[1].body.contains("https://hooks.example.com/sentry?x=1"))

        let row = try #require(try database.db.query("SELECT state, attempts FROM jobs").first)
        #expect(try row.decode(0, as: String.self) == "done")
        #expect(try row.decode(1, as: Int.self) == 1)
    }

    @Test func smtpServerDownRetriesThenDeliversWhenBack() async throws {
        let env = try WorkerTestEnvironment.make()
        let database = try env.createDatabase()
        defer { database.drop() }
        // The sink's port is reserved, but nothing listens on it yet: the server is "down".
        let sink = try env.prepareSink()
        defer { sink.stop() }
        let worker = try env.startWorker(database: database, sink: sink, arguments: [])
        defer { worker.kill() }

        try enqueueEmails(1, prefix: "down", db: database.db)
        let failedTwice = try await waitUntil(seconds: 30) {
            let row = try database.db.query("SELECT state, attempts, last_error FROM jobs").first
            return try row.map { try $0.decode(1, as: Int.self) >= 2 && $0.decode(0, as: String.self) == "queued" }
                ?? false
        }
        #expect(failedTwice)
        let lastError = try database.db.query("SELECT last_error FROM jobs").first?.decode(0, as: String?.self)
        #expect(lastError?.hasPrefix("smtp") == true)
        #expect(try sink.messages().isEmpty)

        try sink.start()
        let delivered = try await waitUntil(seconds: 30) {
            try database.db.query("SELECT 1 FROM jobs WHERE state = 'done'").count == 1
        }
        #expect(delivered)
        #expect(try sink.messages().count == 1)
        #expect(try worker.stop(seconds: 20) == 0)
    }

    @Test func permanentRejectionMakesTheJobDeadWithItsError() async throws {
        let env = try WorkerTestEnvironment.make()
        let database = try env.createDatabase()
        defer { database.drop() }
        let sink = try env.startSink(rejecting: ["rejected@example.com"])
        defer { sink.stop() }

        let email = RenderedEmail(subject: "s", text: "t", html: "<p>h</p>")
        try JobStore.enqueueEmail(
            to: "rejected@example.com", from: "alert-relay@example.com", email: email, maxAttempts: 8, db: database.db)
        try JobStore.enqueueEmail(
            to: "fine@example.com", from: "alert-relay@example.com", email: email, maxAttempts: 8, db: database.db)
        let worker = try env.startWorker(database: database, sink: sink, arguments: ["--drain-and-exit"])
        #expect(try await worker.waitForExit(seconds: 30) == 0)

        let rows = try database.db.query(
            "SELECT payload ->> 'to', state, attempts, last_error, finished_at IS NOT NULL FROM jobs ORDER BY id")
        try #require(rows.count == 2)
        #expect(try rows[0].decode(1, as: String.self) == "dead")
        #expect(try rows[0].decode(2, as: Int.self) == 1)
        #expect(try rows[0].decode(3, as: String?.self)?.contains("550") == true)
        #expect(try rows[0].decode(4, as: Bool.self))
        #expect(try rows[1].decode(1, as: String.self) == "done")
        #expect(try sink.messages().map(\.recipientHeader) == ["fine@example.com"])
    }

    // MARK: - Crash safety and shutdown

    @Test func killedMidDrainLosesNothingAndResendsKeepTheirMessageID() async throws {
        let env = try WorkerTestEnvironment.make()
        let database = try env.createDatabase()
        defer { database.drop() }
        let sink = try env.startSink()
        defer { sink.stop() }
        let total = 500
        let concurrency = 4
        try enqueueEmails(total, prefix: "crash", db: database.db)
        let expectedIDs = Set(
            try database.db.query("SELECT payload ->> 'message_id' FROM jobs").map { try $0.decode(0, as: String.self) })
        #expect(expectedIDs.count == total)

        let lease = ["ALERT_RELAY_JOB_LEASE_SECONDS": "3"]
        let first = try env.startWorker(
            database: database, sink: sink, arguments: ["--concurrency", "\(concurrency)"], environment: lease)
        let midway = try await waitUntil(seconds: 60) { try sink.messages().count >= 100 }
        first.kill()
        try #require(midway)
        let deliveredBeforeKill = try sink.messages().count
        let runningAtKill = try database.db.query("SELECT count(*) FROM jobs WHERE state = 'running'")
            .first?.decode(0, as: Int.self) ?? -1
        #expect(deliveredBeforeKill < total, "the worker must be killed mid-drain")

        let second = try env.startWorker(
            database: database, sink: sink, arguments: ["--concurrency", "\(concurrency)"], environment: lease)
        let secondStarted = Date()
        let allDone = try await waitUntil(seconds: 90) {
            try database.db.query("SELECT count(*) FROM jobs WHERE state = 'done'").first?.decode(0, as: Int.self)
                == total
        }
        #expect(allDone)
        // The dead worker's jobs are taken over within about one lease (3 s here; the lease is checked every
        // second), not after some longer timeout: the rest is sending the remaining e-mails.
        let recovery = Date().timeIntervalSince(secondStarted)
        #expect(recovery < 3 + 1 + 5, "everything done \(recovery) s after the second worker started")
        #expect(try second.stop(seconds: 20) == 0)

        let mails = try sink.messages()
        var perID: [String: Int] = [:]
        for mail in mails { perID[mail.header("Message-ID") ?? "", default: 0] += 1 }
        #expect(Set(perID.keys) == expectedIDs, "every e-mail delivered, each with its job's Message-ID")
        let duplicates = mails.count - perID.count
        // Only a job in flight at the kill can be sent twice: one per sender thread.
        #expect(duplicates <= concurrency)
        #expect(perID.values.allSatisfy { $0 <= 2 })
        print(
            "worker crash test: \(total) e-mails, \(deliveredBeforeKill) delivered before kill -9, "
                + "\(runningAtKill) jobs running at the kill, \(duplicates) delivered twice (same Message-ID), "
                + "all done \(String(format: "%.1f", recovery)) s after the second worker started")
    }

    @Test func sigtermDuringDrainFinishesRunningJobsAndExitsZero() async throws {
        let env = try WorkerTestEnvironment.make()
        let database = try env.createDatabase()
        defer { database.drop() }
        let sink = try env.startSink()
        defer { sink.stop() }
        let total = 300
        try enqueueEmails(total, prefix: "term", db: database.db)

        let worker = try env.startWorker(database: database, sink: sink, arguments: ["--concurrency", "4"])
        defer { worker.kill() }
        let started = try await waitUntil(seconds: 60) { try sink.messages().count >= 30 }
        try #require(started)
        let status = try worker.stop(seconds: 20)
        #expect(status == 0)

        let states = try database.db.query("SELECT state, attempts, count(*) FROM jobs GROUP BY 1, 2 ORDER BY 1, 2")
            .map { (try $0.decode(0, as: String.self), try $0.decode(1, as: Int.self), try $0.decode(2, as: Int.self)) }
        #expect(!states.contains { $0.0 == "running" }, "claimed jobs were finished or given back: \(states)")
        // Given-back jobs were never attempted.
        #expect(states.allSatisfy { ($0.0 == "done" && $0.1 == 1) || ($0.0 == "queued" && $0.1 == 0) }, "\(states)")
        let done = states.filter { $0.0 == "done" }.reduce(0) { $0 + $1.2 }
        #expect(done < total, "the stop must come mid-drain")
        let mails = try sink.messages()
        #expect(mails.count == done, "every finished job's e-mail arrived, and only those")

        let rest = try env.startWorker(database: database, sink: sink, arguments: ["--drain-and-exit"])
        #expect(try await rest.waitForExit(seconds: 60) == 0)
        let all = try sink.messages()
        #expect(all.count == total)
        #expect(Set(all.compactMap { $0.header("Message-ID") }).count == total)
    }

    // MARK: - Exactly once

    @Test func twoWorkersRunEachJobExactlyOnce() async throws {
        let env = try WorkerTestEnvironment.make()
        let database = try env.createDatabase()
        defer { database.drop() }
        let sink = try env.prepareSink()
        let debug = ["ALERT_RELAY_LOG_LEVEL": "debug"]
        let workers = [
            try env.startWorker(database: database, sink: sink, arguments: ["--concurrency", "4"], environment: debug),
            try env.startWorker(database: database, sink: sink, arguments: ["--concurrency", "4"], environment: debug),
        ]
        defer { workers.forEach { $0.kill() } }
        let started = try await waitUntil(seconds: 30) { workers.allSatisfy { $0.log().contains("worker started") } }
        try #require(started)
        // Let both reach LISTEN, so that both are woken by the inserts below.
        try await Task.sleep(for: .milliseconds(500))

        let total = 2000
        for _ in 0..<(total / 100) { try JobQueue.enqueueNoop(count: 100, db: database.db) }
        let drained = try await waitUntil(seconds: 60) {
            try database.db.query("SELECT count(*) FROM jobs WHERE state = 'done'").first?.decode(0, as: Int.self)
                == total
        }
        #expect(drained)
        for worker in workers { #expect(try worker.stop(seconds: 20) == 0) }

        let summary = try #require(
            try database.db.query(
                "SELECT count(*), count(*) FILTER (WHERE attempts = 1), count(DISTINCT locked_by) FROM jobs"
            ).first)
        #expect(try summary.decode(0, as: Int.self) == total)
        #expect(try summary.decode(1, as: Int.self) == total, "no job was claimed twice")
        #expect(try summary.decode(2, as: Int.self) == 2, "both workers took part")

        var runs: [Int64: Int] = [:]
        for worker in workers {
            for line in worker.log().split(separator: "\n") where line.hasSuffix("job done") && line.contains("kind=noop") {
                guard let field = line.split(separator: " ").first(where: { $0.hasPrefix("job=") }),
                    let id = Int64(field.dropFirst(4))
                else { continue }
                runs[id, default: 0] += 1
            }
        }
        #expect(runs.count == total, "each job ran")
        #expect(runs.values.allSatisfy { $0 == 1 }, "and ran once")
    }

    @Test func idleWorkerIsWokenByNotifyWithoutWaitingForThePoll() async throws {
        let env = try WorkerTestEnvironment.make()
        let database = try env.createDatabase()
        defer { database.drop() }
        let sink = try env.prepareSink()
        let worker = try env.startWorker(
            database: database, sink: sink, arguments: [], environment: ["ALERT_RELAY_JOB_POLL_SECONDS": "60"])
        defer { worker.kill() }
        let started = try await waitUntil(seconds: 30) { worker.log().contains("worker started") }
        try #require(started)
        try await Task.sleep(for: .milliseconds(700))

        let enqueued = Date()
        try JobQueue.enqueueNoop(count: 1, db: database.db)
        let done = try await waitUntil(seconds: 30) {
            try database.db.query("SELECT 1 FROM jobs WHERE state = 'done'").count == 1
        }
        #expect(done)
        #expect(Date().timeIntervalSince(enqueued) < 3, "woken by NOTIFY, not by the 60 s poll")
        #expect(try worker.stop(seconds: 20) == 0)
    }

    // MARK: - Queue semantics (in process)

    @Test func failedAttemptsBackOffThenDieWithTheirLastError() throws {
        let env = try WorkerTestEnvironment.make()
        let database = try env.createDatabase()
        defer { database.drop() }
        let db = database.db
        try db.execute("INSERT INTO jobs (kind, payload, max_attempts) VALUES ('noop', '{}', 2)")

        let first = try JobQueue.claim(limit: 10, workerID: "w1", leaseSeconds: 60, db: db)
        try #require(first.count == 1)
        #expect(first[0].attempt == 1)
        #expect(try JobQueue.claim(limit: 10, workerID: "w2", leaseSeconds: 60, db: db).isEmpty)
        #expect(
            try JobQueue.fail(id: first[0].id, workerID: "w2", error: "x", permanent: false, delaySeconds: 0, db: db)
                == .notOwned)
        #expect(
            try JobQueue.fail(id: first[0].id, workerID: "w1", error: "boom 1", permanent: false, delaySeconds: 30, db: db)
                == .retrying)
        let delay = try #require(
            try db.query("SELECT extract(epoch FROM run_at - now())::float8 FROM jobs").first?.decode(0, as: Double.self))
        #expect(delay > 25 && delay <= 30)
        #expect(try JobQueue.claim(limit: 10, workerID: "w1", leaseSeconds: 60, db: db).isEmpty, "not due yet")

        try db.execute("UPDATE jobs SET run_at = now()")
        let second = try JobQueue.claim(limit: 10, workerID: "w1", leaseSeconds: 60, db: db)
        #expect(second.map(\.attempt) == [2])
        #expect(
            try JobQueue.fail(id: first[0].id, workerID: "w1", error: "boom 2", permanent: false, delaySeconds: 30, db: db)
                == .dead)
        let row = try #require(try db.query("SELECT state, last_error, finished_at IS NOT NULL FROM jobs").first)
        #expect(try row.decode(0, as: String.self) == "dead")
        #expect(try row.decode(1, as: String?.self) == "boom 2")
        #expect(try row.decode(2, as: Bool.self))
    }

    @Test func expiredLeasesAreTakenOverAndReleasedJobsAreNotCounted() async throws {
        let env = try WorkerTestEnvironment.make()
        let database = try env.createDatabase()
        defer { database.drop() }
        let db = database.db
        try db.execute("INSERT INTO jobs (kind, payload, max_attempts) VALUES ('noop', '{}', 5), ('noop', '{}', 1)")
        try db.execute("INSERT INTO jobs (kind, payload, max_attempts) VALUES ('noop', '{}', 5)")

        let claimed = try JobQueue.claim(limit: 3, workerID: "dead-worker", leaseSeconds: 1, db: db)
        try #require(claimed.count == 3)
        #expect(try JobQueue.release(ids: [claimed[2].id], workerID: "dead-worker", db: db) == 1)
        let early = try JobQueue.recoverExpiredLeases(limit: 10, db: db)
        #expect(early.requeued == 0 && early.dead == 0, "leases still valid")
        try await Task.sleep(for: .milliseconds(1500))
        let recovered = try JobQueue.recoverExpiredLeases(limit: 10, db: db)
        #expect(recovered.requeued == 1 && recovered.dead == 1)
        let rows = try db.query("SELECT state, attempts, last_error FROM jobs ORDER BY id").map {
            (try $0.decode(0, as: String.self), try $0.decode(1, as: Int.self), try $0.decode(2, as: String?.self))
        }
        #expect(rows[0].0 == "queued" && rows[0].1 == 1 && rows[0].2?.contains("dead-worker") == true)
        #expect(rows[1].0 == "dead" && rows[1].1 == 1)
        #expect(rows[2].0 == "queued" && rows[2].1 == 0 && rows[2].2 == nil)
        #expect(try JobQueue.complete(ids: [claimed[0].id], workerID: "dead-worker", db: db) == 0)
    }

    @Test func backoffDoublesWithinTwentyPercentAndIsCapped() {
        let backoff = JobBackoff(baseSeconds: 10, maxSeconds: 3600)
        #expect(abs(backoff.delay(afterAttempt: 1, unit: 0) - 8) < 1e-9)
        #expect(abs(backoff.delay(afterAttempt: 1, unit: 1) - 12) < 1e-9)
        #expect(abs(backoff.delay(afterAttempt: 3, unit: 0.5) - 40) < 1e-9)
        #expect(abs(backoff.delay(afterAttempt: 30, unit: 0.5) - 3600) < 1e-9)
        for attempt in 1...12 {
            let delay = backoff.delay(afterAttempt: attempt)
            let nominal = min(3600, 10 * pow(2, Double(attempt - 1)))
            #expect(delay >= nominal * 0.8 && delay <= nominal * 1.2)
        }
    }

    @Test func retentionSweepDeletesOldFinishedJobsInBatchesUnderOneLock() throws {
        let env = try WorkerTestEnvironment.make()
        let database = try env.createDatabase()
        defer { database.drop() }
        let db = database.db
        try db.execute(
            """
            INSERT INTO jobs (kind, state, finished_at)
            SELECT 'noop', (ARRAY['done', 'dead', 'cancelled'])[1 + g % 3], now() - interval '8 days'
            FROM generate_series(1, 2500) g
            """)
        try db.execute("INSERT INTO jobs (kind, state, finished_at) VALUES ('noop', 'done', now() - interval '6 days')")
        try db.execute("INSERT INTO jobs (kind, state, run_at) VALUES ('noop', 'queued', now() - interval '30 days')")
        let config = try Config(environment: ["DATABASE_URL": database.conninfo])

        let other = PostgresConnection(conninfo: database.conninfo)
        _ = try other.query("SELECT pg_advisory_lock(7214002)")
        let skipped = try Maintenance.sweep(config: config, db: db, batchSize: 1000)
        #expect(!skipped.ran && skipped.jobs == 0)
        _ = try other.query("SELECT pg_advisory_unlock(7214002)")

        let swept = try Maintenance.sweep(config: config, db: db, batchSize: 1000)
        #expect(swept.ran && swept.jobs == 2500)
        #expect(try db.query("SELECT count(*) FROM jobs").first?.decode(0, as: Int.self) == 2)
    }

    @Test func retentionKeepsTheNewestHundredLogEntriesOfEachAppAndEventType() throws {
        let env = try WorkerTestEnvironment.make()
        let database = try env.createDatabase()
        defer { database.drop() }
        let db = database.db
        // Ids grow with the dates, as they do in service. App 1: 150 expired alert entries and 5 expired entries of
        // another event type; app 2: 130 expired entries; then 3 recent alert entries of app 1.
        func insert(app: Int, eventType: String, count: Int, daysAgo: Int) throws {
            try db.execute(
                """
                INSERT INTO request_log (app_id, organization_id, attempt, date, event_type, webhook_url, response_code,
                                         duration_ms, request_headers, request_body)
                SELECT $1, 1, 1, now() - make_interval(days => $3) + g * interval '1 second', $2, 'http://x.test/',
                       200, 1, '[]', '{}'
                FROM generate_series(1, $4) g
                """, app, eventType, daysAgo, count)
        }
        try insert(app: 1, eventType: "event_alert.triggered", count: 150, daysAgo: 40)
        try insert(app: 1, eventType: "installation.created", count: 5, daysAgo: 40)
        try insert(app: 2, eventType: "event_alert.triggered", count: 130, daysAgo: 40)
        try insert(app: 1, eventType: "event_alert.triggered", count: 3, daysAgo: 0)
        // Deliveries: finished long ago (goes), still retrying though created long ago (stays), finished recently.
        try db.execute(
            """
            INSERT INTO deliveries (organization_id, app_id, event_type, resource, request_id, webhook_id, payload, status,
                                    date_created, date_updated)
            SELECT 1, 1, 'event_alert.triggered', 'event_alert', 'r' || g, 'msg_' || g, '{}', status,
                   now() - make_interval(days => age), now() - make_interval(days => age)
            FROM (VALUES (1, 'delivered', 40), (2, 'retrying', 40), (3, 'delivered', 0)) AS v(g, status, age)
            """)
        let newestAlerts = try db.query(
            "SELECT id FROM request_log WHERE app_id = 1 AND event_type = 'event_alert.triggered' ORDER BY id DESC LIMIT 100"
        ).map { try $0.decode(0, as: Int64.self) }
        let config = try Config(environment: ["DATABASE_URL": database.conninfo])

        let swept = try Maintenance.sweep(config: config, db: db, batchSize: 7)
        #expect(swept.ran)
        #expect(swept.requestLog == 53 + 30, "the oldest beyond the kept 100: 53 of app 1's alerts, 30 of app 2's")
        #expect(swept.deliveries == 1)
        #expect(try db.query("SELECT status FROM deliveries ORDER BY id").map { try $0.decode(0, as: String.self) }
            == ["retrying", "delivered"])
        func count(_ app: Int, _ eventType: String) throws -> Int {
            try db.query("SELECT count(*) FROM request_log WHERE app_id = $1 AND event_type = $2", app, eventType)[0]
                .decode(0, as: Int.self)
        }
        #expect(try count(1, "event_alert.triggered") == 100)
        #expect(try count(1, "installation.created") == 5)
        #expect(try count(2, "event_alert.triggered") == 100)
        let kept = try db.query(
            "SELECT id FROM request_log WHERE app_id = 1 AND event_type = 'event_alert.triggered' ORDER BY id DESC"
        ).map { try $0.decode(0, as: Int64.self) }
        #expect(kept == newestAlerts)
        let again = try Maintenance.sweep(config: config, db: db, batchSize: 7)
        #expect(again.requestLog == 0 && again.deliveries == 0, "a second sweep finds nothing")
    }
}

// MARK: - Support

private func enqueueEmails(_ count: Int, prefix: String, db: PostgresConnection) throws {
    try db.transaction { db in
        for index in 0..<count {
            let email = RenderedEmail(
                subject: "\(prefix) \(index)", text: "Plain text \(index)", html: "<p>HTML \(index)</p>")
            try JobStore.enqueueEmail(
                to: "\(prefix)\(index)@example.com", from: "alert-relay@example.com", email: email, maxAttempts: 8,
                db: db)
        }
    }
}

private struct WorkerTestEnvironment {
    let databaseURL: String
    let binDirectory: String
    let python: String
    let repository: URL
    let scratch: URL

    /// nil (the test returns) when the environment is missing outside CI; a failure under `CI=true`.
    /// The suite is enabled only when these are set (or under CI, where their absence fails here).
    static let requiredVariables = ["DATABASE_URL", "ALERT_RELAY_TEST_BIN_DIR", "ALERT_RELAY_TEST_PYTHON"]

    static func make() throws -> WorkerTestEnvironment {
        let url = try TestEnvironment.requireDatabase()
        let bin = try TestEnvironment.requireVariable("ALERT_RELAY_TEST_BIN_DIR")
        let python = try TestEnvironment.requireVariable("ALERT_RELAY_TEST_PYTHON")
        let repository = repositoryRoot
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent(
            "alert-relay-worker-tests-\(getpid())-\(RandomToken.uuid4Hex().prefix(8))")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        return WorkerTestEnvironment(
            databaseURL: url, binDirectory: bin, python: python, repository: repository, scratch: scratch)
    }

    func createDatabase() throws -> ScratchDatabase {
        try ScratchDatabase.create(serverURL: databaseURL, prefix: "worker_test")
    }

    /// A sink whose port is chosen but which is not started yet.
    func prepareSink(rejecting: [String] = []) throws -> SMTPSink {
        let directory = scratch.appendingPathComponent("sink-" + RandomToken.uuid4Hex().prefix(8))
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let reject = directory.appendingPathComponent("reject.txt")
        try rejecting.joined(separator: "\n").write(to: reject, atomically: true, encoding: .utf8)
        return SMTPSink(
            python: python, script: repository.appendingPathComponent("scripts/smtp_sink.py").path,
            port: try Self.freePort(), directory: directory)
    }

    func startSink(rejecting: [String] = []) throws -> SMTPSink {
        let sink = try prepareSink(rejecting: rejecting)
        try sink.start()
        return sink
    }

    func startWorker(
        database: ScratchDatabase, sink: SMTPSink, arguments: [String], environment extra: [String: String] = [:]
    ) throws -> WorkerProcess {
        var environment = ProcessInfo.processInfo.environment
        environment["DATABASE_URL"] = database.conninfo
        environment["ALERT_RELAY_MAIL_TRANSPORT"] = "smtp"
        environment["ALERT_RELAY_SMTP_URL"] = "smtp://127.0.0.1:\(sink.port)"
        environment["ALERT_RELAY_SMTP_TLS"] = "none"
        environment["ALERT_RELAY_SMTP_TIMEOUT_SECONDS"] = "5"
        environment["ALERT_RELAY_JOB_BACKOFF_BASE_SECONDS"] = "1"
        environment["ALERT_RELAY_JOB_POLL_SECONDS"] = "1"
        environment["ALERT_RELAY_LOG_LEVEL"] = "info"
        environment.merge(extra) { $1 }
        let log = scratch.appendingPathComponent("worker-\(RandomToken.uuid4Hex().prefix(8)).log")
        return try WorkerProcess(
            executable: binDirectory + "/alert-relay-worker", arguments: arguments, environment: environment, log: log)
    }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw WorkerTestError(description: "socket() failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Bool in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw WorkerTestError(description: "bind() failed") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// `scripts/smtp_sink.py` on its own port and mailbox.
private final class SMTPSink {
    let python: String
    let script: String
    let port: Int
    let directory: URL
    var process: Process?

    init(python: String, script: String, port: Int, directory: URL) {
        self.python = python
        self.script = script
        self.port = port
        self.directory = directory
    }

    var mailbox: URL { directory.appendingPathComponent("mailbox") }

    func start() throws {
        let portFile = directory.appendingPathComponent("port")
        try? FileManager.default.removeItem(at: portFile)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [
            script, "--host", "127.0.0.1", "--port", "\(port)", "--mailbox", mailbox.path, "--port-file", portFile.path,
            "--reject-recipients-file", directory.appendingPathComponent("reject.txt").path,
        ]
        let log = directory.appendingPathComponent("sink.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: log)
        process.standardError = try FileHandle(forWritingTo: log)
        try process.run()
        self.process = process
        for _ in 0..<300 {
            if FileManager.default.fileExists(atPath: portFile.path) { return }
            guard process.isRunning else { break }
            usleep(100_000)
        }
        throw WorkerTestError(description: "smtp_sink.py did not start; see \(log.path)")
    }

    func stop() {
        guard let process, process.isRunning else { return }
        // SIGKILL: children spawned by Foundation's Process here inherit a mask that blocks SIGTERM. The sink
        // writes every message atomically, so nothing is left half-written.
        Glibc.kill(process.processIdentifier, SIGKILL)
        while process.isRunning { usleep(20_000) }
        self.process = nil
    }

    /// Every message received so far.
    func messages() throws -> [ReceivedMail] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: mailbox.path)) ?? []
        return try names.filter { $0.hasSuffix(".eml") && !$0.hasPrefix(".") }.sorted().map {
            ReceivedMail(raw: try String(contentsOf: mailbox.appendingPathComponent($0), encoding: .utf8))
        }
    }
}

private struct ReceivedMail {
    let headers: [(name: String, value: String)]
    let body: String

    init(raw: String) {
        let text = raw.replacingOccurrences(of: "\r\n", with: "\n")
        let split = text.range(of: "\n\n")
        let head = split.map { String(text[..<$0.lowerBound]) } ?? text
        body = split.map { String(text[$0.upperBound...]) } ?? ""
        var headers: [(String, String)] = []
        for line in head.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.first == " " || line.first == "\t", let last = headers.popLast() {
                headers.append((last.0, last.1 + " " + line.trimmingCharacters(in: .whitespaces)))
            } else if let colon = line.firstIndex(of: ":") {
                headers.append(
                    (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
            }
        }
        self.headers = headers
    }

    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    var recipientHeader: String { header("To") ?? "" }

    /// The parts of a multipart body, quoted-printable decoded.
    func parts() -> [(contentType: String, body: String)] {
        guard let type = header("Content-Type"), let start = type.range(of: "boundary=\"") else { return [] }
        let boundary = String(type[start.upperBound...].prefix { $0 != "\"" })
        return body.components(separatedBy: "--" + boundary).dropFirst().compactMap { chunk in
            guard !chunk.hasPrefix("--") else { return nil }
            let part = ReceivedMail(raw: String(chunk.drop { $0 == "\n" }))
            return (part.header("Content-Type") ?? "", Self.decodeQuotedPrintable(part.body))
        }
    }

    static func decodeQuotedPrintable(_ text: String) -> String {
        var bytes: [UInt8] = []
        let input = Array(text.replacingOccurrences(of: "=\n", with: "").utf8)
        var index = 0
        while index < input.count {
            if input[index] == UInt8(ascii: "="), index + 2 < input.count,
                let value = UInt8(String(decoding: input[(index + 1)...(index + 2)], as: UTF8.self), radix: 16)
            {
                bytes.append(value)
                index += 3
            } else {
                bytes.append(input[index])
                index += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

