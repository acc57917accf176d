import Foundation
import Testing

/// The alert route remembers which app and installation an (organization, app slug) pair resolved to and then
/// validates and records in one statement. These tests make that memory stale on purpose: every answer must be
/// the one a fresh lookup would give.
@Suite(.enabled(if: Fixtures.servicesAvailable), .usesDatabase)
struct AlertTargetCacheEndToEndTests {
    struct Installed {
        var owner: Fixtures.Organization
        var org: Fixtures.Organization
        var project: Fixtures.Project
        var app: Fixtures.App
        var uuid: String
    }

    /// A published app of one organization installed into another, with one alert sent so the route remembers it.
    func installedPublishedApp() throws -> Installed {
        try Fixtures.requireServices()
        let owner = try Fixtures.makeOrganization()
        let org = try Fixtures.makeOrganization()
        let project = try Fixtures.makeProject(org: org)
        let app = try Fixtures.makeApp(org: owner, status: "published")
        let uuid = try install(app, into: org)
        var alertApp = app
        alertApp.organization = org
        let first = try Fixtures.sendAlert(app: alertApp, project: project)
        try Fixtures.expect(first, 201, "first alert")
        return Installed(owner: owner, org: org, project: project, app: alertApp, uuid: uuid)
    }

    func install(_ app: Fixtures.App, into org: Fixtures.Organization) throws -> String {
        let response = try TestHTTP.api(
            "POST", "/api/0/sentry-apps/\(app.slug)/installations", token: Fixtures.admin,
            json: #"{"organization":"\#(org.slug)"}"#)
        try Fixtures.expect(response, 201, "install")
        return try #require(try response.object()["uuid"] as? String)
    }

    /// The alerts the receiver got on `path` (installing and uninstalling send `installation` webhooks there too).
    func alerts(path: String) throws -> [Receiver.Recorded] {
        try Receiver.requests(path: path).filter { $0.header("Sentry-Hook-Resource") == "event_alert" }
    }

    /// Waits until the receiver got `count` alerts on `path` and returns them.
    func waitForAlerts(path: String, count: Int) throws -> [Receiver.Recorded] {
        var last: [Receiver.Recorded] = []
        _ = try Fixtures.waitUntil(timeout: 20) {
            last = try alerts(path: path)
            return last.count >= count
        }
        return last
    }

    func installationUUIDs(received path: String) throws -> [String] {
        try alerts(path: path).map { request in
            let body = try JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any]
            return (body?["installation"] as? [String: Any])?["uuid"] as? String ?? ""
        }
    }

    @Test func uninstalledAppIsRefusedAfterItWasRemembered() throws {
        let setup = try installedPublishedApp()
        let uninstall = try TestHTTP.api(
            "DELETE", "/api/0/sentry-apps/\(setup.app.slug)/installations/\(setup.uuid)", token: Fixtures.admin)
        try Fixtures.expect(uninstall, 204, "uninstall")

        let refused = try Fixtures.sendAlert(app: setup.app, project: setup.project)
        #expect(refused.status == 409, "\(refused.summary)")
        #expect(try refused.object()["code"] as? String == "not_installed")
        #expect(try alerts(path: setup.app.path).count == 1, "only the first alert was sent")
        // The integration heard of both: installation.created, then installation.deleted.
        let installationWebhooks = try Receiver.waitForRequests(path: setup.app.path, count: 3).filter {
            $0.header("Sentry-Hook-Resource") == "installation"
        }
        #expect(installationWebhooks.count == 2)
    }

    @Test func reinstalledAppGetsTheNewInstallationUUID() throws {
        let setup = try installedPublishedApp()
        let uninstall = try TestHTTP.api(
            "DELETE", "/api/0/sentry-apps/\(setup.app.slug)/installations/\(setup.uuid)", token: Fixtures.admin)
        try Fixtures.expect(uninstall, 204, "uninstall")
        let newUUID = try install(setup.app, into: setup.org)
        #expect(newUUID != setup.uuid)

        let second = try Fixtures.sendAlert(app: setup.app, project: setup.project)
        try Fixtures.expect(second, 201, "alert after reinstall")
        let received = try waitForAlerts(path: setup.app.path, count: 2)
        #expect(received.count == 2)
        #expect(try installationUUIDs(received: setup.app.path) == [setup.uuid, newUUID])
    }

    @Test func deletedAppIsUnknownAfterItWasRemembered() throws {
        let setup = try installedPublishedApp()
        let delete = try TestHTTP.api("DELETE", "/api/0/sentry-apps/\(setup.app.slug)", token: Fixtures.admin)
        try Fixtures.expect(delete, 204, "delete app")

        let refused = try Fixtures.sendAlert(app: setup.app, project: setup.project)
        #expect(refused.status == 404, "\(refused.summary)")
        #expect(try refused.object()["code"] as? String == "unknown_app")
        let db = try Fixtures.database()
        let left = try db.query("SELECT count(*)::int FROM deliveries WHERE app_id = $1", setup.app.id)[0].decode(0, as: Int.self)
        #expect(left == 0, "deleting the app deleted its deliveries")
    }

    @Test func rotatedSecretSignsTheNextAlertAtOnce() throws {
        let setup = try installedPublishedApp()
        let rotate = try TestHTTP.api("POST", "/api/0/sentry-apps/\(setup.app.slug)/rotate-secret", token: Fixtures.admin)
        try Fixtures.expect(rotate, 200, "rotate")
        let secret = try #require(try rotate.object()["client_secret"] as? String)

        try Fixtures.expect(try Fixtures.sendAlert(app: setup.app, project: setup.project), 201, "alert after rotation")
        let received = try waitForAlerts(path: setup.app.path, count: 2)
        #expect(received.count == 2)
        let last = try #require(received.last)
        #expect(last.header("Sentry-Hook-Signature") == Fixtures.hmacHex(last.body, secret: secret))
    }
}
