import AlertRelayAPI
import AlertRelayDelivery
import AlertRelayStore
import AlertRelayLogic
import Foundation
import PostgresClient
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The dispatcher as a process (`alert-relay-worker --mode dispatch`) against a database of its own, delivering to the
/// recording receiver: several dispatchers share the queue, one killed mid-batch loses nothing, and a slow receiver
/// holds only its per-app share of the attempts in flight.
@Suite(.serialized, .usesDatabase, .enabled(if: Fixtures.servicesAvailable, "needs scripts/test.sh's services"))
struct DispatcherTests {
    @Test func twoDispatchersDeliverEachQueuedDeliveryExactlyOnce() async throws {
        let env = try DispatcherEnvironment()
        let queue = try env.makeQueue(apps: 3)
        defer { queue.drop() }
        let dispatchers = [try env.startDispatcher(queue), try env.startDispatcher(queue)]
        defer { dispatchers.forEach { $0.kill() } }
        try await env.waitUntilStarted(dispatchers)

        let total = 2000
        var expected: [String: String] = [:]  // webhook-id → receiver path
        for (index, app) in queue.apps.enumerated() {
            let count = index == 2 ? total - 2 * 700 : 700
            for id in try queue.enqueue(app: app, count: count) { expected[id] = app.path }
        }
        let delivered = try await waitUntil(seconds: 120) { try queue.count(status: "delivered") == total }
        #expect(delivered, "delivered \((try? queue.count(status: "delivered")) ?? -1) of \(total)")
        var attempted: [Int] = []
        for dispatcher in dispatchers {
            #expect(try dispatcher.stop(seconds: 30) == 0)
            attempted.append(Self.figure("deliveries_attempted", in: dispatcher.log()))
        }

        var received: [String: Int] = [:]
        for app in queue.apps {
            for request in try Receiver.requests(path: app.path) {
                let id = try #require(request.header("webhook-id"))
                #expect(expected[id] == app.path, "\(id) arrived at its app's receiver")
                received[id, default: 0] += 1
            }
        }
        #expect(Set(received.keys) == Set(expected.keys), "every delivery reached the receiver")
        #expect(received.values.allSatisfy { $0 == 1 }, "and none twice: \(received.filter { $0.value > 1 }.count) doubled")
        #expect(attempted.allSatisfy { $0 > 0 } && attempted.reduce(0, +) == total, "both dispatchers took part: \(attempted)")
        let log = try #require(try queue.db.query(
            "SELECT count(*)::int, count(*) FILTER (WHERE attempt = 1 AND response_code = 200)::int FROM request_log").first)
        #expect(try log.decode(0, as: Int.self) == total)
        #expect(try log.decode(1, as: Int.self) == total)
        print("two dispatchers: \(total) deliveries, attempts by each: \(attempted)")
    }

    @Test func aDispatcherKilledMidBatchLosesNothing() async throws {
        let env = try DispatcherEnvironment()
        let queue = try env.makeQueue(apps: 1)
        defer { queue.drop() }
        let app = queue.apps[0]
        // Slow enough that attempts are in flight at any moment.
        try Receiver.setRules(path: app.path, responses: [Receiver.Rule(status: 200, hangSeconds: 0.2)])
        let total = 300
        let ids = Set(try queue.enqueue(app: app, count: total))
        let lease = ["ALERT_RELAY_DELIVERY_LEASE_SECONDS": "2"]

        let first = try env.startDispatcher(queue, environment: lease)
        let midway = try await waitUntil(seconds: 60) { try Receiver.requests(path: app.path).count >= 60 }
        first.kill()
        try #require(midway)
        let killedAt = Date().timeIntervalSince1970
        let sendingAtKill = try queue.count(status: "sending")
        #expect(try queue.count(status: "delivered") < total, "killed mid-drain")

        let second = try env.startDispatcher(queue, environment: lease)
        defer { second.kill() }
        let done = try await waitUntil(seconds: 90) { try queue.count(status: "delivered") == total }
        #expect(done, "delivered \((try? queue.count(status: "delivered")) ?? -1) of \(total)")
        #expect(try second.stop(seconds: 30) == 0)

        let requests = try Receiver.requests(path: app.path)
        var perID: [String: [Receiver.Recorded]] = [:]
        for request in requests { perID[request.header("webhook-id") ?? "", default: []].append(request) }
        #expect(Set(perID.keys) == ids, "every delivery arrived")
        let doubled = perID.values.filter { $0.count > 1 }
        // Only attempts in flight at the kill can arrive twice: at most the per-app cap.
        #expect(doubled.count <= 16, "\(doubled.count) deliveries arrived twice")
        for copies in doubled {
            #expect(Set(copies.map(\.body)).count == 1, "a re-send is the same message")
            #expect(Set(copies.compactMap { $0.header("Request-ID") }).count == 1, "the same first attempt again")
            // The second copy waited for the dead dispatcher's lease to run out: 2 s from its last renewal, which
            // came at most 1 s before the kill (renewed every third of the lease, at least every second).
            if let again = copies.last?.receivedAt { #expect(again >= killedAt + 0.9, "re-sent after the lease") }
        }
        #expect(try queue.count(status: "sending") == 0, "nothing stays leased")
        let attempts = try queue.db.query("SELECT max(attempts)::int, min(attempts)::int FROM deliveries")[0]
        #expect(try attempts.decode(0, as: Int.self) == 1 && attempts.decode(1, as: Int.self) == 1)
        print("dispatcher kill: \(total) deliveries, \(sendingAtKill) leased at the kill, \(doubled.count) arrived twice")
    }

    @Test func aSlowReceiverHoldsOnlyItsShareOfTheAttemptsInFlight() async throws {
        let env = try DispatcherEnvironment()
        let queue = try env.makeQueue(apps: 2)
        defer { queue.drop() }
        let (slow, fast) = (queue.apps[0], queue.apps[1])
        try Receiver.setRules(path: slow.path, responses: [Receiver.Rule(status: 200, hangSeconds: 2)])
        try Receiver.setRules(path: fast.path, responses: [Receiver.Rule(status: 200)])
        _ = try queue.enqueue(app: slow, count: 40)
        let dispatcher = try env.startDispatcher(queue, environment: ["ALERT_RELAY_DISPATCH_PER_APP": "4"])
        defer { dispatcher.kill() }
        // The slow app's backlog comes first; the fast app's deliveries must not wait behind it.
        try await Task.sleep(for: .milliseconds(500))
        _ = try queue.enqueue(app: fast, count: 200)
        let started = Date()
        let fastDone = try await waitUntil(seconds: 30) { try queue.count(app: fast, status: "delivered") == 200 }
        let fastSeconds = Date().timeIntervalSince(started)
        #expect(fastDone)
        let slowDelivered = try queue.count(app: slow, status: "delivered")
        #expect(slowDelivered < 30, "the fast app finished while the slow one was still at \(slowDelivered) of 40")
        let concurrency = try Receiver.concurrency(path: slow.path)
        #expect(concurrency.maxInFlight == 4, "the slow receiver saw at most the cap, and the cap was used: \(concurrency)")
        #expect(try dispatcher.stop(seconds: 30) == 0)
        print("slow receiver: fast app's 200 delivered in \(String(format: "%.2f", fastSeconds)) s, slow app at \(slowDelivered)/40")
    }

    static func figure(_ name: String, in log: String) -> Int {
        guard let range = log.range(of: name + "=") else { return -1 }
        return Int(log[range.upperBound...].prefix { $0.isNumber }) ?? -1
    }
}

/// A scratch database holding one organization with internal apps aimed at the recording receiver, and the
/// dispatchers started on it.
struct DispatcherEnvironment {
    let serverURL: String
    let binDirectory: String
    let scratch: URL

    init() throws {
        try Fixtures.requireServices()
        serverURL = try #require(TestEnvironment.databaseURL)
        binDirectory = try #require(TestEnvironment.variable("ALERT_RELAY_TEST_BIN_DIR"), "ALERT_RELAY_TEST_BIN_DIR")
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent(
            "alert-relay-dispatcher-tests-\(getpid())-\(RandomToken.uuid4Hex().prefix(8))")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    func makeQueue(apps count: Int, timeoutMs: Int = 5000) throws -> DeliveryQueue {
        let database = try ScratchDatabase.create(serverURL: serverURL, prefix: "dispatch_test")
        do {
            let db = database.db
            let organizationID = try db.query(
                "INSERT INTO organizations (slug, name) VALUES ('dispatch', 'Dispatch') RETURNING id")[0]
                .decode(0, as: Int64.self)
            var apps: [DeliveryQueue.App] = []
            for index in 0..<count {
                let path = "/dispatch/" + Fixtures.random(16)
                let id = try db.query(
                    """
                    INSERT INTO apps (uuid, organization_id, slug, name, status, webhook_url, timeout_ms, client_secret)
                    VALUES (gen_random_uuid(), $1, $2, $2, 'internal', $3, $4, 'secret') RETURNING id
                    """, organizationID, "app-\(index)", Fixtures.receiverURL + path, timeoutMs
                )[0].decode(0, as: Int64.self)
                try db.execute(
                    "INSERT INTO installations (uuid, app_id, organization_id) VALUES (gen_random_uuid(), $1, $2)",
                    id, organizationID)
                apps.append(DeliveryQueue.App(id: id, path: path))
            }
            return DeliveryQueue(database: database, organizationID: organizationID, apps: apps)
        } catch {
            database.drop()
            throw error
        }
    }

    /// `alert-relay-worker --mode dispatch` on the queue's database.
    func startDispatcher(_ queue: DeliveryQueue, environment extra: [String: String] = [:]) throws -> WorkerProcess {
        var environment = ProcessInfo.processInfo.environment
        environment["DATABASE_URL"] = queue.database.conninfo
        environment["ALERT_RELAY_LOG_LEVEL"] = "info"
        environment["ALERT_RELAY_DISPATCH_IDLE_POLL_MS"] = "100"
        environment.merge(extra) { $1 }
        return try WorkerProcess(
            executable: binDirectory + "/alert-relay-worker", arguments: ["--mode", "dispatch"], environment: environment,
            log: scratch.appendingPathComponent("dispatcher-\(RandomToken.uuid4Hex().prefix(8)).log"))
    }

    func waitUntilStarted(_ dispatchers: [WorkerProcess]) async throws {
        let started = try await waitUntil(seconds: 30) { dispatchers.allSatisfy { $0.log().contains("dispatcher started") } }
        try #require(started, "dispatchers did not start: \(dispatchers.map { $0.log() })")
    }
}

/// The deliveries table of a scratch database, filled directly.
struct DeliveryQueue {
    struct App {
        let id: Int64
        /// The receiver path its webhooks go to.
        let path: String
    }

    let database: ScratchDatabase
    let organizationID: Int64
    let apps: [App]

    var db: PostgresConnection { database.db }

    func drop() { database.drop() }

    /// Queues `count` deliveries to `app`, due now; returns their webhook ids.
    func enqueue(app: App, count: Int) throws -> [String] {
        try db.query(
            """
            INSERT INTO deliveries (organization_id, app_id, event_type, resource, request_id, webhook_id, payload, status,
                                    due_at)
            SELECT $1, $2, 'event_alert.triggered', 'event_alert', md5(random()::text), 'msg_' || md5(random()::text),
                   '{"n":' || g || '}', 'queued', now()
            FROM generate_series(1, $3::int) g
            RETURNING webhook_id
            """, organizationID, app.id, count
        ).map { try $0.decode(0, as: String.self) }
    }

    func count(app: App? = nil, status: String) throws -> Int {
        try db.query(
            "SELECT count(*)::int FROM deliveries WHERE status = $1 AND ($2::bigint IS NULL OR app_id = $2)", status, app?.id
        )[0].decode(0, as: Int.self)
    }
}

/// Polls `condition` every 100 ms until it holds or `seconds` pass; returns whether it held.
func waitUntil(seconds: Double, _ condition: () throws -> Bool) async throws -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try condition() { return true }
        try await Task.sleep(for: .milliseconds(100))
    }
    return try condition()
}
