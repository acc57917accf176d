import Foundation
import Testing

/// PostgreSQL goes away under the running responder: requests get a JSON 503 quickly (nothing is accepted that
/// could be lost), and once it is back the same responder serves them again without a restart.
@Suite(
    .serialized, .interruptsDatabase,
    .enabled(if: Fixtures.servicesAvailable && TestEnvironment.isAvailable("ALERT_RELAY_TEST_PG_STOP", "ALERT_RELAY_TEST_PG_START"))
)
struct DatabaseOutageEndToEndTests {
    @Test func outageIs503AndServiceRecovers() throws {
        try Fixtures.requireServices()
        let stop = try #require(TestEnvironment.requireVariable("ALERT_RELAY_TEST_PG_STOP"))
        let start = try #require(TestEnvironment.requireVariable("ALERT_RELAY_TEST_PG_START"))
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
