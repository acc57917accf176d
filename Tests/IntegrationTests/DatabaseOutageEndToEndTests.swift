import Foundation
import Synchronization
import Testing
import SystemSupport

/// PostgreSQL goes away under the running responder: requests get a JSON 503 quickly (nothing is accepted that
/// could be lost), and once it is back the same responder serves them again without a restart.
@Suite(
    .serialized, .interruptsDatabase,
    .enabled(if: Fixtures.servicesAvailable && TestEnvironment.isAvailable("ALERT_RELAY_TEST_PG_STOP", "ALERT_RELAY_TEST_PG_START"))
)
struct DatabaseOutageEndToEndTests {
    @Test func outageIs503AndServiceRecovers() throws {
        try Fixtures.requireServices()
        let stop = try TestEnvironment.requireVariable("ALERT_RELAY_TEST_PG_STOP")
        let start = try TestEnvironment.requireVariable("ALERT_RELAY_TEST_PG_START")
        let org = try Fixtures.makeOrganization()
        let project = try Fixtures.makeProject(org: org)
        let app = try Fixtures.makeApp(org: org)
        try Fixtures.expect(try Fixtures.sendAlert(app: app, project: project), 201, "alert before the outage")

        #expect(try TestEnvironment.runScript(stop) == 0)
        var restarted = false
        defer { if !restarted { _ = try? TestEnvironment.runScript(start) } }

        let began = Date()
        let health = try TestHTTP.api("GET", "/healthz", token: nil)
        #expect(health.status == 503, "\(health.summary)")
        let alert = try Fixtures.sendAlert(app: app, project: project)
        #expect(alert.status == 503, "\(alert.summary)")
        #expect(try alert.object()["code"] as? String == "database_unavailable")
        #expect(alert.header("X-Request-ID") != nil)
        #expect(Date().timeIntervalSince(began) < 10, "refused quickly, not after a long hang")
        #expect(try Receiver.requests(path: app.path).count == 1, "nothing was sent for the refused alert")

        #expect(try TestEnvironment.runScript(start) == 0)
        restarted = true
        // The same responder threads reconnect by themselves: the first requests after the restart succeed.
        let healthy = try Fixtures.waitUntil(timeout: 10) { try TestHTTP.api("GET", "/healthz", token: nil).status == 200 }
        #expect(healthy)
        let after = try Fixtures.sendAlert(app: app, project: project)
        #expect(after.status == 201, "\(after.summary)")
        #expect(try Receiver.waitForRequests(path: app.path, count: 2).count == 2)
    }
}

/// PostgreSQL restarts while eight clients keep sending alerts (half inline, half queued): every alert answered 2xx
/// has its delivery recorded, every failure meanwhile is a JSON 503, and the service answers again within 2 s of
/// the database being back.
@Suite(
    .serialized, .interruptsDatabase,
    .enabled(if: Fixtures.servicesAvailable && TestEnvironment.isAvailable("ALERT_RELAY_TEST_PG_RESTART"))
)
struct DatabaseRestartUnderLoadEndToEndTests {
    struct Answer {
        var status: Int
        var deliveryID: Int64?
        var code: String?
        var at: Date
    }

    @Test func alertsAcknowledgedDuringARestartAreAllRecorded() throws {
        try Fixtures.requireServices()
        let restart = try TestEnvironment.requireVariable("ALERT_RELAY_TEST_PG_RESTART")
        let org = try Fixtures.makeOrganization()
        let project = try Fixtures.makeProject(org: org)
        let app = try Fixtures.makeApp(org: org)
        let path = "/api/0/organizations/\(org.slug)/alerts"
        let answers = SleepingMutex<[Answer]>([])
        let errors = SleepingMutex<[String]>([])
        let stop = Atomic<Bool>(false)
        let group = DispatchGroup()
        for client in 0..<8 {
            group.enter()
            Thread {
                while !stop.load(ordering: .relaxed) {
                    let headers = client.isMultiple(of: 2) ? [] : [("Prefer", "respond-async")]
                    do {
                        let response = try TestHTTP.api(
                            "POST", path, token: Fixtures.admin, json: Fixtures.alertBody(app: app, project: project),
                            headers: headers)
                        let object = try? response.object()
                        answers.withLock {
                            $0.append(Answer(
                                status: response.status, deliveryID: object.flatMap { Fixtures.int64($0["id"]) },
                                code: object?["code"] as? String, at: Date()))
                        }
                    } catch {
                        errors.withLock { $0.append("\(error)") }
                    }
                }
                group.leave()
            }.start()
        }
        Thread.sleep(forTimeInterval: 1)
        #expect(try TestEnvironment.runScript(restart) == 0)
        let back = Date()
        Thread.sleep(forTimeInterval: 3)
        stop.store(true, ordering: .relaxed)
        group.wait()

        let all = answers.withLock { $0 }
        #expect(errors.withLock { $0 }.isEmpty, "\(errors.withLock { $0.prefix(3) })")
        let acknowledged = all.filter { (200...299).contains($0.status) }
        let refused = all.filter { !(200...299).contains($0.status) }
        #expect(refused.allSatisfy { $0.status == 503 && $0.code == "database_unavailable" },
                "failures are JSON 503s: \(Set(refused.map { "\($0.status) \($0.code ?? "-")" }))")
        #expect(!refused.isEmpty, "the restart came while alerts were being sent")
        // Every 2xx names a delivery that exists.
        let db = try Fixtures.database()
        let ids = acknowledged.compactMap(\.deliveryID)
        #expect(ids.count == acknowledged.count)
        let stored = try db.query("SELECT count(*)::int FROM deliveries WHERE id = ANY($1::bigint[])", ids)[0]
            .decode(0, as: Int.self)
        #expect(stored == ids.count, "\(ids.count - stored) acknowledged alerts have no delivery")
        // Answering again within 2 s of the database being back.
        let firstSuccess = acknowledged.map(\.at).filter { $0 > back }.min()
        let recovery = firstSuccess.map { $0.timeIntervalSince(back) } ?? .infinity
        #expect(recovery <= 2, "first 2xx \(recovery) s after the database was back")
        print("restart under load: \(all.count) answers, \(acknowledged.count) acknowledged (all recorded), \(refused.count) JSON 503s, first success \(String(format: "%.2f", recovery)) s after the database was back")
    }
}
