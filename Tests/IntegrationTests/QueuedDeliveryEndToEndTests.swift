import Foundation
import PostgresClient
import Testing
import SystemSupport

/// Queued alerts end to end (nginx, responder, the worker's dispatcher, the recording receiver): mixed outcomes
/// recorded as inline ones are, and the inline limits that keep a hanging receiver from holding responder threads.
@Suite(.enabled(if: Fixtures.servicesAvailable), .usesDatabase)
struct QueuedDeliveryEndToEndTests {
    typealias Rule = Receiver.Rule
    typealias Setup = AlertDeliveryEndToEndTests.Setup

    /// Five apps of one organization, each with one queued alert: 200, 500 then 200, 410, a receiver slower than
    /// the app's timeout, and a target the SSRF guard refuses (the canary, which must never be contacted).
    @Test func queuedAlertsWithMixedOutcomesAreDeliveredRetriedAndRecorded() throws {
        try Fixtures.requireServices()
        let org = try Fixtures.makeOrganization()
        let project = try Fixtures.makeProject(org: org)
        let owners = [try Fixtures.makeMember(org: org, role: "owner"), try Fixtures.makeMember(org: org, role: "owner")]
        let canary = "http://127.0.0.1:\(try Fixtures.canaryPort())/queued"
        let apps = [
            try Fixtures.makeApp(org: org, name: "q ok " + Fixtures.random(6)),
            try Fixtures.makeApp(org: org, name: "q retry " + Fixtures.random(6)),
            try Fixtures.makeApp(org: org, name: "q gone " + Fixtures.random(6)),
            try Fixtures.makeApp(org: org, name: "q slow " + Fixtures.random(6), timeoutMs: 300),
            try Fixtures.makeApp(org: org, name: "q blocked " + Fixtures.random(6), webhookURL: canary),
        ]
        try Receiver.setRules(path: apps[0].path, responses: [Rule(status: 200)])
        try Receiver.setRules(path: apps[1].path, responses: [Rule(status: 500, body: "down"), Rule(status: 200)])
        try Receiver.setRules(path: apps[2].path, responses: [Rule(status: 410)])
        try Receiver.setRules(path: apps[3].path, responses: [Rule(status: 200, hangSeconds: 1)])

        var ids: [Int64] = []
        for app in apps {
            let response = try Fixtures.sendAlert(app: app, project: project, headers: [("Prefer", "respond-async")])
            let (id, record) = try AlertDeliveryEndToEndTests.delivery(response, status: 202)
            #expect(record["status"] as? String == "queued")
            #expect(response.header("Location") == "/api/0/organizations/\(org.slug)/alerts/\(id)")
            ids.append(id)
        }
        let db = try Fixtures.database()
        func state(_ index: Int) throws -> Fixtures.DeliveryRow? { try Fixtures.delivery(id: ids[index], db: db) }
        let settled = try Fixtures.waitUntil(timeout: 30) {
            try state(0)?.status == "delivered" && state(1)?.status == "delivered" && state(2)?.status == "failed"
                && state(3)?.attempts ?? 0 >= 2 && state(4)?.status == "failed"
        }
        let states = (0..<5).map { (try? state($0)).flatMap { $0 }.map { "\($0.status)/\($0.attempts)" } ?? "-" }
        #expect(settled, "\(states)")

        #expect(try state(0).map { [$0.status, "\($0.attempts)", "\($0.responseCode ?? -1)"] } == ["delivered", "1", "200"])
        #expect(try Fixtures.logRows(appID: apps[1].id, db: db).map(\.responseCode) == [500, 200], "retried from the queue")
        #expect(try state(1)?.attempts == 2)
        #expect(try state(2).map { [$0.status, $0.errorClass ?? ""] } == ["failed", "http"])
        #expect(try Fixtures.logRows(appID: apps[3].id, db: db).prefix(2).map(\.errorClass) == ["timeout", "timeout"])
        #expect(try state(4).map { [$0.status, $0.errorClass ?? ""] } == ["failed", "blocked"])
        #expect(try Fixtures.canaryLog().isEmpty, "the refused target was never contacted")

        // The 410 disabled its app once: one audit entry, one e-mail job per owner.
        #expect(try Fixtures.auditRows(organizationID: org.id, event: "internal-integration.disable", db: db).count == 1)
        // Besides, the slow app's timeouts may have warned the owners (issue 11: two timeouts are half the test
        // stack's threshold of 3); no other e-mail.
        let jobs = try Fixtures.emailJobs(to: owners, db: db)
        let notices = jobs.filter { $0.subject.hasPrefix("Action required") && $0.text.contains("/\(apps[2].slug)/") }
        #expect(notices.map(\.to).sorted() == owners.sorted())
        let warnings = jobs.filter { $0.subject.hasPrefix("Warning:") && $0.text.contains("/\(apps[3].slug)/") }
        #expect(notices.count + warnings.count == jobs.count, "\(jobs.map(\.subject))")
        // At most one warning per owner (one per app and organization until it recovers or is disabled).
        #expect(warnings.isEmpty || warnings.map(\.to).sorted() == owners.sorted(), "\(warnings.map(\.to))")

        // Each received webhook carries both signatures over the exact body, and the GET of the record agrees.
        for index in [0, 1] {
            for hook in try Receiver.requests(path: apps[index].path) {
                #expect(hook.header("Sentry-Hook-Signature") == Fixtures.hmacHex(hook.body, secret: apps[index].secret))
                #expect(try Fixtures.verifyStandardWebhook(
                    body: hook.body, headers: hook.headers, secrets: [apps[index].secret]) == ["ok"])
            }
        }
        let setup = Setup(org: org, project: project, app: apps[1])
        let stored = try AlertDeliveryEndToEndTests.getAlert(setup, id: ids[1])
        #expect((stored["attempt_log"] as? [[String: Any]])?.compactMap { $0["response_code"] as? Int } == [500, 200])
    }

    /// Responder B allows one inline attempt per app. While a receiver holds the first alert, a second alert to
    /// the same app is answered 202 at once and delivered by the dispatcher; other requests are not held up.
    @Test func beyondTheInlineLimitAnAlertIsQueuedInsteadOfWaiting() throws {
        try Fixtures.requireServices()
        let base = try #require(TestEnvironment.variable("ALERT_RELAY_TEST_BASE_URL_INLINE_ONE"),
                                "ALERT_RELAY_TEST_BASE_URL_INLINE_ONE (scripts/test.sh starts responder B)")
        let setup = try AlertDeliveryEndToEndTests.setup(
            rules: [Rule(status: 200, body: "held", hangSeconds: 3), Rule(status: 200, body: "quick")], timeoutMs: 5000)
        let path = "/api/0/organizations/\(setup.org.slug)/alerts"
        let body = Fixtures.alertBody(app: setup.app, project: setup.project)

        let first = SleepingMutex<(response: TestHTTP.Response?, seconds: Double)>((nil, 0))
        let held = Thread {
            let started = Date()
            let response = try? TestHTTP.api("POST", path, token: Fixtures.admin, json: body, base: base)
            first.withLock { $0 = (response, Date().timeIntervalSince(started)) }
        }
        held.start()
        // The receiver has the first alert: its inline attempt holds a thread of responder B.
        _ = try Receiver.waitForRequests(path: setup.app.path, count: 1, timeout: 10)

        let started = Date()
        let second = try TestHTTP.api("POST", path, token: Fixtures.admin, json: body, base: base)
        let secondSeconds = Date().timeIntervalSince(started)
        let (secondID, record) = try AlertDeliveryEndToEndTests.delivery(second, status: 202)
        #expect(record["status"] as? String == "queued")
        #expect(secondSeconds < 1.5, "answered at once, not after the held attempt (\(secondSeconds) s)")
        let location = try #require(second.header("Location"))
        #expect(location == "\(path)/\(secondID)")
        // Meanwhile other requests are served at once.
        let health = Date()
        #expect(try TestHTTP.request(method: "GET", url: base + "/healthz").status == 200)
        #expect(Date().timeIntervalSince(health) < 1)

        // The dispatcher delivers the queued one; the held one ends 201 once its receiver answers.
        var stored: [String: Any] = [:]
        let delivered = try Fixtures.waitUntil(timeout: 20) {
            let response = try TestHTTP.api("GET", location, token: Fixtures.admin, base: base)
            stored = try response.object()
            return stored["status"] as? String == "delivered"
        }
        #expect(delivered, "queued alert still \(stored["status"] ?? "nil")")
        let finished = Fixtures.waitUntil(timeout: 15) { first.withLock { $0.response != nil } }
        #expect(finished)
        let (response, seconds) = first.withLock { $0 }
        let firstResponse = try #require(response)
        let (_, firstRecord) = try AlertDeliveryEndToEndTests.delivery(firstResponse, status: 201)
        #expect(firstRecord["status"] as? String == "delivered")
        #expect(seconds >= 2.5, "the first alert waited for its receiver (\(seconds) s)")
        let bodies = try Receiver.requests(path: setup.app.path).map { String(decoding: $0.body, as: UTF8.self) }
        #expect(bodies.count == 2)
    }
}
