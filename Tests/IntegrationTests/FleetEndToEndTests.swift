import Foundation
import PostgresClient
import Testing
import SystemSupport

/// Two responders (A behind the main nginx, B behind its own) and two workers on one PostgreSQL, as scripts/test.sh
/// starts them: a change made through one process is seen by every other within a second (LISTEN/NOTIFY,
/// sql/012), and alerts spread over both responders and both dispatchers arrive exactly once.
@Suite(.enabled(if: Fixtures.servicesAvailable), .usesDatabase)
struct FleetEndToEndTests {
    static var baseB: String { TestEnvironment.variable("ALERT_RELAY_TEST_BASE_URL_INLINE_ONE") ?? "" }

    /// A token of `org` with `scopes`, and its id.
    static func token(org: Fixtures.Organization, scopes: [String]) throws -> (token: String, id: Int64) {
        let response = try TestHTTP.api(
            "POST", "/api/0/organizations/\(org.slug)/api-tokens", token: Fixtures.admin,
            json: try TestHTTP.encode(["name": "fleet", "scopes": scopes]))
        try Fixtures.expect(response, 201, "create token")
        let object = try response.object()
        return (try #require(object["token"] as? String), try #require(Fixtures.int64(object["id"])))
    }

    /// Polls `condition` every 20 ms for up to `seconds`; returns the seconds it took, or nil.
    static func secondsUntil(_ seconds: Double, _ condition: () throws -> Bool) rethrows -> Double? {
        let started = Date()
        while Date().timeIntervalSince(started) < seconds {
            if try condition() { return Date().timeIntervalSince(started) }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return try condition() ? Date().timeIntervalSince(started) : nil
    }

    @Test func aTokenRevokedThroughOneResponderIsRefusedByTheOtherWithinASecond() throws {
        try Fixtures.requireServices()
        let org = try Fixtures.makeOrganization()
        let (token, id) = try Self.token(org: org, scopes: ["org:read"])
        // B has verified (and cached) the token.
        for _ in 0..<3 {
            try Fixtures.expect(
                try TestHTTP.api("GET", "/api/0/organizations/\(org.slug)", token: token, base: Self.baseB), 200, "read through B")
        }
        try Fixtures.expect(
            try TestHTTP.api("DELETE", "/api/0/organizations/\(org.slug)/api-tokens/\(id)", token: Fixtures.admin), 204,
            "revoke through A")
        let delay = try Self.secondsUntil(1) {
            try TestHTTP.api("GET", "/api/0/organizations/\(org.slug)", token: token, base: Self.baseB).status == 401
        }
        #expect(delay != nil, "B still accepted the revoked token after 1 s")
        print("fleet: token revoked through A refused by B after \(String(format: "%.3f", delay ?? -1)) s")
    }

    @Test func aProjectDeletedThroughOneResponderIsUnknownToTheOther() throws {
        try Fixtures.requireServices()
        let org = try Fixtures.makeOrganization()
        let project = try Fixtures.makeProject(org: org)
        let app = try Fixtures.makeApp(org: org)
        let path = "/api/0/organizations/\(org.slug)/alerts"
        let body = Fixtures.alertBody(app: app, project: project)
        let before = try TestHTTP.api("POST", path, token: Fixtures.admin, json: body, base: Self.baseB)
        #expect(before.status == 201 || before.status == 202, "\(before.summary)")
        try Fixtures.expect(
            try TestHTTP.api("DELETE", "/api/0/organizations/\(org.slug)/projects/\(project.slug)", token: Fixtures.admin),
            204, "delete through A")
        var answer: TestHTTP.Response?
        let delay = try Self.secondsUntil(1) {
            answer = try TestHTTP.api("POST", path, token: Fixtures.admin, json: body, base: Self.baseB)
            return answer?.status == 404
        }
        #expect(delay != nil, "B still knew the project after 1 s: \(answer?.summary ?? "")")
        if let answer { try Fixtures.expectError(answer, 404, code: "unknown_project") }
    }

    @Test func anAppDisabledThroughOneResponderGetsNoDeliveryAfterTheCommit() throws {
        try Fixtures.requireServices()
        let org = try Fixtures.makeOrganization()
        let project = try Fixtures.makeProject(org: org)
        // A slow receiver: deliveries are in flight and waiting in both dispatchers when the app is disabled.
        let app = try Fixtures.makeApp(org: org, timeoutMs: 5000)
        // 2 s each: two dispatchers hold at most 32 in flight, so most of the 80 are still waiting at the disable however
        // slowly the client queues them (at 0.4 s, a slow client let the dispatchers keep up).
        try Receiver.setRules(path: app.path, responses: [Receiver.Rule(status: 200, hangSeconds: 2)])
        let path = "/api/0/organizations/\(org.slug)/alerts"
        let body = Fixtures.alertBody(app: app, project: project)
        for index in 0..<80 {
            let response = try TestHTTP.api(
                "POST", path, token: Fixtures.admin, json: body, headers: [("Prefer", "respond-async")],
                base: index.isMultiple(of: 2) ? nil : Self.baseB)
            try Fixtures.expect(response, 202, "queued alert")
        }
        _ = try Receiver.waitForRequests(path: app.path, count: 10, timeout: 20)

        try Fixtures.expect(
            try TestHTTP.api("POST", "/api/0/sentry-apps/\(app.slug)/disable", token: Fixtures.admin), 200, "disable through A")
        let committed = Date().timeIntervalSince1970
        // Through B at once: refused.
        try Fixtures.expectError(
            try TestHTTP.api("POST", path, token: Fixtures.admin, json: body, base: Self.baseB), 409, code: "app_disabled")

        let db = try Fixtures.database()
        let settled = Fixtures.waitUntil(timeout: 20) { (try? Fixtures.pendingDeliveries(appID: app.id, db: db)) == 0 }
        #expect(settled, "every delivery ends delivered or failed")
        let received = try Receiver.requests(path: app.path)
        let late = received.compactMap(\.receivedAt).filter { $0 > committed + 0.25 }
        // Requests arriving within 250 ms of the answer were already on their way (the notification reaches the
        // dispatchers within milliseconds); none may start after that.
        #expect(late.isEmpty, "\(late.count) deliveries arrived after the disable had committed")
        let states = try db.query(
            "SELECT status, coalesce(error_class, ''), count(*)::int FROM deliveries WHERE app_id = $1 GROUP BY 1, 2 ORDER BY 1, 2",
            app.id
        ).map { "\(try $0.decode(0, as: String.self))/\(try $0.decode(1, as: String.self)):\(try $0.decode(2, as: Int.self))" }
        let delivered = try db.query(
            "SELECT count(*)::int FROM deliveries WHERE app_id = $1 AND status = 'delivered'", app.id)[0].decode(0, as: Int.self)
        #expect(delivered == received.count, "every request the receiver got is a delivered delivery: \(states)")
        #expect(delivered < 80, "the disable came mid-drain: \(states)")
        print("fleet: disable mid-drain: \(states), \(received.count) received, last \(String(format: "%.3f", (received.compactMap(\.receivedAt).max() ?? 0) - committed)) s after the commit")
    }

    @Test func alertsOverBothRespondersAndBothWorkersArriveExactlyOnce() throws {
        try Fixtures.requireServices()
        let org = try Fixtures.makeOrganization()
        let project = try Fixtures.makeProject(org: org)
        let app = try Fixtures.makeApp(org: org)
        // A receiver that takes 50 ms per webhook: one dispatcher then sends this app at most 16 at once (its per-app
        // cap, ~320/s) and holds at most 128 of its deliveries, so a backlog stays in the table for the other
        // dispatcher to claim. Against a receiver that answers at once, one dispatcher could keep up with the
        // senders alone (it did under ThreadSanitizer's slower clients) and "both took part" would prove nothing.
        try Receiver.setRules(path: app.path, responses: [Receiver.Rule(status: 200, hangSeconds: 0.05)])
        let path = "/api/0/organizations/\(org.slug)/alerts"
        let successesBefore = Self.successes()
        let total = 1000
        let failures = SleepingMutex<[String]>([])
        let group = DispatchGroup()
        for sender in 0..<4 {
            group.enter()
            Thread {
                for index in 0..<(total / 4) {
                    let body = Fixtures.alertBody(app: app, project: project)
                    do {
                        let response = try TestHTTP.api(
                            "POST", path, token: Fixtures.admin, json: body, headers: [("Prefer", "respond-async")],
                            base: (sender + index).isMultiple(of: 2) ? nil : Self.baseB)
                        if response.status != 202 { failures.withLock { $0.append(response.summary) } }
                    } catch {
                        failures.withLock { $0.append("\(error)") }
                    }
                }
                group.leave()
            }.start()
        }
        group.wait()
        #expect(failures.withLock { $0 }.isEmpty, "\(failures.withLock { $0.prefix(3) })")
        let db = try Fixtures.database()
        let done = Fixtures.waitUntil(timeout: 60) {
            (try? db.query("SELECT count(*)::int FROM deliveries WHERE app_id = $1 AND status = 'delivered'", app.id)[0]
                .decode(0, as: Int.self)) == total
        }
        #expect(done)
        var perID: [String: Int] = [:]
        for request in try Receiver.requests(path: app.path) { perID[request.header("webhook-id") ?? "", default: 0] += 1 }
        #expect(perID.count == total, "\(perID.count) distinct webhook-ids")
        #expect(perID.values.allSatisfy { $0 == 1 }, "\(perID.values.filter { $0 > 1 }.count) arrived twice")
        // Both workers' dispatchers took part (their metrics files are rewritten every few seconds).
        var after = Self.successes()
        let bothCounted = Fixtures.waitUntil(timeout: 15) {
            after = Self.successes()
            return zip(after, successesBefore).allSatisfy { $0 > $1 }
        }
        #expect(bothCounted, "successes before \(successesBefore), after \(after)")
        print("fleet: \(total) alerts over two responders and two workers; successes per worker \(zip(after, successesBefore).map { $0 - $1 })")
    }

    /// Each worker's count of successful attempts, from its metrics file.
    static func successes() -> [Int] {
        ["ALERT_RELAY_TEST_WORKER_METRICS", "ALERT_RELAY_TEST_WORKER_2_METRICS"].map { variable in
            guard let path = TestEnvironment.variable(variable),
                let text = try? String(contentsOfFile: path, encoding: .utf8)
            else { return 0 }
            let line = text.split(separator: "\n").first {
                $0.hasPrefix(#"alert_relay_webhook_attempts_total{outcome="success"}"#)
            }
            return line.flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0
        }
    }
}

/// PostgreSQL restarts under both responders: both clear their caches and serve again within seconds of the database
/// being back, and invalidation works again afterwards.
@Suite(
    .serialized, .interruptsDatabase,
    .enabled(if: Fixtures.servicesAvailable && TestEnvironment.isAvailable("ALERT_RELAY_TEST_PG_RESTART"))
)
struct FleetRestartEndToEndTests {
    @Test func bothRespondersRecoverFromARestartAndInvalidationResumes() throws {
        try Fixtures.requireServices()
        let restart = try TestEnvironment.requireVariable("ALERT_RELAY_TEST_PG_RESTART")
        let org = try Fixtures.makeOrganization()
        let (token, id) = try FleetEndToEndTests.token(org: org, scopes: ["org:read"])
        let bases = [Fixtures.baseURL, FleetEndToEndTests.baseB]
        for base in bases {
            try Fixtures.expect(try TestHTTP.api("GET", "/api/0/organizations/\(org.slug)", token: token, base: base), 200, "read")
        }
        #expect(try TestEnvironment.runScript(restart) == 0)
        let back = Date()
        for base in bases {
            let seconds = FleetEndToEndTests.secondsUntil(5) {
                (try? TestHTTP.request(method: "GET", url: base + "/healthz").status) == 200
            }
            #expect(seconds != nil, "\(base) not healthy within 5 s of the database being back")
        }
        print("fleet: both responders healthy \(String(format: "%.2f", Date().timeIntervalSince(back))) s after the restart")
        // The listeners are back: a revocation through A reaches B within a second again. (Give them their reconnect
        // back-off first: they retry at most every two seconds.)
        let listening = FleetEndToEndTests.secondsUntil(5) {
            (try? TestHTTP.api("GET", "/api/0/organizations/\(org.slug)", token: token, base: FleetEndToEndTests.baseB).status) == 200
        }
        #expect(listening != nil)
        Thread.sleep(forTimeInterval: 2.5)
        try Fixtures.expect(
            try TestHTTP.api("DELETE", "/api/0/organizations/\(org.slug)/api-tokens/\(id)", token: Fixtures.admin), 204, "revoke")
        let delay = try FleetEndToEndTests.secondsUntil(1) {
            try TestHTTP.api("GET", "/api/0/organizations/\(org.slug)", token: token, base: FleetEndToEndTests.baseB).status == 401
        }
        #expect(delay != nil, "after the restart, B still accepted the revoked token after 1 s")
    }
}
