import Foundation
import Testing

/// A token of organization A, holding every scope, against everything of organization B: nothing of B may be read,
/// changed or used, and resources found by slug or id answer exactly like unknown ones (no existence leak).
@Suite(.enabled(if: Fixtures.servicesAvailable), .usesDatabase)
struct CrossOrganizationEndToEndTests {
    @Test func tokenOfOneOrganizationCannotReachAnother() throws {
        try Fixtures.requireServices()
        let orgA = try Fixtures.makeOrganization()
        let orgB = try Fixtures.makeOrganization()
        let tokenA = try Fixtures.makeToken(org: orgA, scopes: ["org:admin", "alerts:write"])
        let projectA = try Fixtures.makeProject(org: orgA)
        let projectB = try Fixtures.makeProject(org: orgB)
        let appB = try Fixtures.makeApp(org: orgB)
        let publishedB = try Fixtures.makeApp(org: orgB, status: "published")

        // B's data exists: one delivery and one log row, made with the admin token.
        let sent = try Fixtures.sendAlert(app: appB, project: projectB)
        try Fixtures.expect(sent, 201, "admin alert to B")
        let deliveryID = try #require(Fixtures.int64(try sent.object()["id"]))
        let db = try Fixtures.database()
        let logID = try db.query("SELECT id FROM request_log WHERE delivery_id = $1", deliveryID)[0].decode(0, as: Int64.self)
        let installationB = try Fixtures.installationUUID(appID: appB.id, organizationID: orgB.id, db: db)

        func check(_ method: String, _ path: String, json: String? = nil, _ expected: Int,
                   sourceLocation: SourceLocation = #_sourceLocation) throws {
            try Fixtures.expectError(
                try TestHTTP.api(method, path, token: tokenA, json: json), expected, sourceLocation: sourceLocation)
        }
        // Routes under /organizations/B: 403 without looking B up.
        try check("GET", "/api/0/organizations/\(orgB.slug)", 403)
        try check("GET", "/api/0/organizations/\(orgB.slug)/members", 403)
        try check("GET", "/api/0/organizations/\(orgB.slug)/projects", 403)
        try check("POST", "/api/0/organizations/\(orgB.slug)/projects", json: #"{"slug":"taken","name":"Taken"}"#, 403)
        try check("GET", "/api/0/organizations/\(orgB.slug)/audit-logs", 403)
        try check("POST", "/api/0/organizations/\(orgB.slug)/api-tokens", json: #"{"name":"x","scopes":["org:read"]}"#, 403)
        try check("GET", "/api/0/organizations/\(orgB.slug)/alerts/\(deliveryID)", 403)
        try check("POST", "/api/0/organizations/\(orgB.slug)/alerts", json: Fixtures.alertBody(app: appB, project: projectB), 403)
        // B's app, its log, health, redelivery and installations: 404 like an unknown app.
        for path in ["/api/0/sentry-apps/\(appB.slug)", "/api/0/sentry-apps/\(appB.slug)/requests",
                     "/api/0/sentry-apps/\(appB.slug)/health"] {
            try check("GET", path, 404)
        }
        try check("PUT", "/api/0/sentry-apps/\(appB.slug)", json: #"{"name":"taken over"}"#, 404)
        try check("POST", "/api/0/sentry-apps/\(appB.slug)/rotate-secret", 404)
        try check("POST", "/api/0/sentry-apps/\(appB.slug)/enable", 404)
        try check("POST", "/api/0/sentry-apps/\(appB.slug)/requests/\(logID)/redeliver", 404)
        try check("DELETE", "/api/0/sentry-apps/\(appB.slug)/installations/\(installationB)", 404)
        try check("DELETE", "/api/0/sentry-apps/\(appB.slug)", 404)
        // Installing B's internal app into A, or anything into B.
        try check("POST", "/api/0/sentry-apps/\(appB.slug)/installations", json: #"{"organization":"\#(orgA.slug)"}"#, 404)
        try check("POST", "/api/0/sentry-apps/\(publishedB.slug)/installations", json: #"{"organization":"\#(orgB.slug)"}"#, 403)
        // An alert from A naming B's internal app: unknown app, nothing sent.
        var appAsSeenByA = appB
        appAsSeenByA.organization = orgA
        let refused = try Fixtures.sendAlert(app: appAsSeenByA, project: projectA, token: tokenA)
        #expect(refused.status == 404, "\(refused.summary)")
        #expect(try refused.object()["code"] as? String == "unknown_app")

        // Control: the same routes answer B's own token, so the refusals above are about ownership, not broken routes.
        let tokenB = try Fixtures.makeToken(org: orgB, scopes: ["org:admin", "alerts:write"])
        for path in ["/api/0/organizations/\(orgB.slug)", "/api/0/organizations/\(orgB.slug)/members",
                     "/api/0/organizations/\(orgB.slug)/audit-logs", "/api/0/organizations/\(orgB.slug)/alerts/\(deliveryID)",
                     "/api/0/sentry-apps/\(appB.slug)", "/api/0/sentry-apps/\(appB.slug)/requests",
                     "/api/0/sentry-apps/\(appB.slug)/health"] {
            let own = try TestHTTP.api("GET", path, token: tokenB)
            #expect(own.status == 200, "GET \(path) with B's token: \(own.summary)")
        }
        let redelivered = try TestHTTP.api(
            "POST", "/api/0/sentry-apps/\(appB.slug)/requests/\(logID)/redeliver", token: tokenB)
        #expect(redelivered.status == 201, "redeliver with B's token: \(redelivered.summary)")
        _ = try Receiver.waitForRequests(path: appB.path, count: 2)

        // Nothing changed on B's side, and B's receiver got only the admin's alert and B's own redelivery.
        #expect(try Receiver.requests(path: appB.path).count == 2)
        let name = try db.query("SELECT name FROM apps WHERE id = $1", appB.id)[0].decode(0, as: String.self)
        #expect(name == appB.name)
        let installed = try db.query("SELECT count(*)::int FROM installations WHERE app_id = $1", appB.id)[0].decode(0, as: Int.self)
        #expect(installed == 1)
        let projectsOfB = try TestHTTP.api("GET", "/api/0/organizations/\(orgB.slug)/projects", token: tokenB)
        #expect(try projectsOfB.array().compactMap { $0["slug"] as? String } == [projectB.slug], "A created no project in B")
    }

    @Test func healthAndLogFiltersDoNotRevealOtherOrganizations() throws {
        try Fixtures.requireServices()
        let owner = try Fixtures.makeOrganization()
        let stranger = try Fixtures.makeOrganization()
        let app = try Fixtures.makeApp(org: owner)
        let token = try Fixtures.makeToken(org: owner, scopes: ["org:read"])
        for path in ["/api/0/sentry-apps/\(app.slug)/health", "/api/0/sentry-apps/\(app.slug)/requests"] {
            let existing = try TestHTTP.api("GET", "\(path)?organization=\(stranger.slug)", token: token)
            let unknown = try TestHTTP.api("GET", "\(path)?organization=no-such-org-\(Fixtures.random(8))", token: token)
            #expect(existing.status == 404, "\(existing.summary)")
            #expect(unknown.status == 404, "\(unknown.summary)")
            #expect(try existing.object()["code"] as? String == (try unknown.object()["code"] as? String))
        }
    }

    @Test func nulCharactersAreA400NotAServerError() throws {
        try Fixtures.requireServices()
        let response = try TestHTTP.api(
            "POST", "/api/0/organizations", token: Fixtures.admin,
            json: #"{"slug":"nul-\#(Fixtures.random(6))","name":"A\u0000B"}"#)
        #expect(response.status == 400, "\(response.summary)")
        #expect(try response.object()["code"] as? String == "invalid_character")
        #expect((try response.object()["detail"] as? String)?.contains("'name'") == true)
        // Wherever else a NUL reaches a statement (path segment, query value, a JSON field read as-is), the
        // database layer refuses it before sending, and that is answered as bad input.
        let org = try Fixtures.makeOrganization()
        let app = try Fixtures.makeApp(org: org)
        let query = try TestHTTP.api("GET", "/api/0/organizations/\(org.slug)/audit-logs?event=a%00b", token: Fixtures.admin)
        let path = try TestHTTP.api("GET", "/api/0/organizations/\(org.slug)%00x", token: Fixtures.admin)
        let project = try TestHTTP.api(
            "POST", "/api/0/organizations/\(org.slug)/alerts", token: Fixtures.admin,
            json: #"{"sentry_app":"\#(app.slug)","rule":"r","event":{"event_id":"\#(Fixtures.eventID())","project":"a\u0000b","group_id":1}}"#)
        for response in [query, project] {
            try Fixtures.expectError(response, 400, code: "invalid_character")
        }
        // A NUL in the path itself nginx refuses before the responder sees it, with its JSON 400 page.
        try Fixtures.expectError(path, 400, code: "bad_request")
        #expect(try Receiver.requests(path: app.path).isEmpty, "nothing was sent for the refused alert")
    }
}
