import AlertRelayAPI
import AlertRelayDelivery
import AlertRelayStore
import Foundation
import Testing

/// Issue 10: authentication and authorization come before any lookup of the addressed resource, on every route.
///
/// Walks the responder's own route table (`Routes.makeRouter().registered`), so a route added later is covered
/// without being listed here; a route whose parameters this test cannot fill fails the test instead of being
/// skipped. Through the real nginx: without a token (and with an unknown one) every route is 401; with a token of
/// another organization it is 403 (routes under `/organizations/{org}`) or 404 (apps, whose existence must not leak,
/// API.md); and in both cases an existing and a non-existing resource get the same status and code.
@Suite(.enabled(if: Fixtures.servicesAvailable), .usesDatabase)
struct RouteAuthorizationEndToEndTests {
    /// The only routes without a token (API.md "Operations"); every other route must refuse an anonymous caller.
    static let publicRoutes: Set<String> = ["GET /healthz", "GET /metrics"]
    /// Routes authenticated by an app's client credentials in the body (Sentry's token exchange) instead of a bearer
    /// token: the same walk, with credentials in the body (missing or unknown → 401; another app's → 404).
    static let clientCredentialRoutes: Set<String> = ["POST /api/0/sentry-app-installations/{uuid}/authorizations"]
    /// Routes for an installation token of the installation they name; every other route refuses an installation
    /// token (403), and these answer another installation's token like a missing installation (404).
    static func isInstallationRoute(_ route: Router.Registered) -> Bool {
        route.pattern == "/api/0/sentry-app-installations/{uuid}"
    }

    /// Values for each path parameter: one naming an existing resource of organization B, one naming nothing.
    struct Resources {
        var organization: String
        var app: String
        var installation: String
        var project: String
        /// `{id}` by the literal segment before it.
        var ids: [String: Int64]
    }

    @Test func everyRouteAuthenticatesAndAuthorizesBeforeLookingUp() throws {
        try Fixtures.requireServices()
        let db = try Fixtures.database()
        // Organization B owns everything addressed; A is the foreign caller.
        let orgB = try Fixtures.makeOrganization()
        let orgA = try Fixtures.makeOrganization()
        let tokenA = try Fixtures.makeToken(org: orgA, scopes: ["org:admin", "alerts:write"])
        let projectB = try Fixtures.makeProject(org: orgB)
        let appB = try Fixtures.makeApp(org: orgB)
        let existingClientID = appB.clientID
        let sent = try Fixtures.sendAlert(app: appB, project: projectB)
        try Fixtures.expect(sent, 201, "alert to B")
        let deliveryID = try #require(Fixtures.int64(try sent.object()["id"]))
        let logID = try db.query("SELECT id FROM request_log WHERE delivery_id = $1", deliveryID)[0].decode(0, as: Int64.self)
        let memberEmail = try Fixtures.makeMember(org: orgB, role: "member")
        let memberID = try db.query(
            "SELECT id FROM members WHERE organization_id = $1 AND email = $2", orgB.id, memberEmail)[0].decode(0, as: Int64.self)
        _ = try Fixtures.makeToken(org: orgB, scopes: ["org:read"])
        let tokenID = try db.query(
            "SELECT max(id) FROM api_tokens WHERE organization_id = $1", orgB.id)[0].decode(0, as: Int64.self)
        let existing = Resources(
            organization: orgB.slug, app: appB.slug,
            installation: try Fixtures.installationUUID(appID: appB.id, organizationID: orgB.id, db: db),
            project: projectB.slug,
            ids: ["members": memberID, "api-tokens": tokenID, "alerts": deliveryID, "requests": logID])
        let missing = Resources(
            organization: "no-such-org-" + Fixtures.random(8), app: "no-such-app-" + Fixtures.random(8),
            installation: UUID().uuidString.lowercased(), project: "no-such-project-" + Fixtures.random(8),
            ids: ["members": 987_654_321_987, "api-tokens": 987_654_321_987, "alerts": 987_654_321_987,
                  "requests": 987_654_321_987])
        let newSlug = "never-" + Fixtures.random(10)
        // An installation token of another installation in B (a published app of A installed into B), and that app's
        // client credentials: valid, but for nothing the walk addresses.
        let appP = try Fixtures.makeApp(org: orgA, status: "published")
        let installedP = try Fixtures.install(app: appP, into: orgB)
        let installationToken = try Fixtures.exchange(app: appP, installation: installedP.uuid, code: installedP.code).token
        // A grant code of B's installation, so that the exchange body below would succeed for B's app.
        let codeB = try Fixtures.seedGrant(installationUUID: existing.installation, db: db)

        // Bodies that would succeed for the owner, so that nothing but the caller decides the answer.
        let bodies: [String: String] = [
            "POST /api/0/organizations": #"{"slug":"\#(newSlug)","name":"Never"}"#,
            "POST /api/0/organizations/{org}/members": #"{"email":"never-\#(newSlug)@example.com","role":"owner"}"#,
            "POST /api/0/organizations/{org}/projects": #"{"slug":"\#(newSlug)","name":"Never"}"#,
            "POST /api/0/organizations/{org}/api-tokens": #"{"name":"never","scopes":["org:admin"]}"#,
            "POST /api/0/organizations/{org}/sentry-apps": #"{"name":"\#(newSlug)","webhook_url":"\#(appB.webhookURL)"}"#,
            "POST /api/0/organizations/{org}/alerts": Fixtures.alertBody(app: appB, project: projectB),
            "PUT /api/0/sentry-apps/{app}": #"{"name":"taken over"}"#,
            // A installs B's internal app into itself: the app must look unknown.
            "POST /api/0/sentry-apps/{app}/installations": #"{"organization":"\#(orgA.slug)"}"#,
            "PUT /api/0/sentry-app-installations/{uuid}": #"{"status":"installed"}"#,
        ]
        /// The token-exchange body with these client credentials (nil: none at all).
        func exchangeBody(_ credentials: (id: String, secret: String)?) throws -> String {
            var fields: [String: Any] = ["grant_type": "authorization_code", "code": codeB]
            if let credentials {
                fields["client_id"] = credentials.id
                fields["client_secret"] = credentials.secret
            }
            return try TestHTTP.encode(fields)
        }
        let hex = Array("0123456789abcdef")
        let unknownClient = (id: String((0..<64).map { _ in hex.randomElement() ?? "0" }), secret: Fixtures.random(43))

        let routes = Routes.makeRouter().registered
        #expect(routes.count >= 25, "the route table: \(routes)")
        var checked = 0
        for route in routes {
            let label = route.description
            let method = route.method.rawValue
            let body = bodies[label] ?? ((method == "POST" || method == "PUT") ? "{}" : nil)
            if Self.publicRoutes.contains(label) {
                let response = try TestHTTP.api(method, try Self.path(route, existing), token: nil)
                #expect(response.status == 200, "\(label) is public: \(response.summary)")
                continue
            }
            // The existing resource, then each parameter in turn replaced by one naming nothing.
            let paths = [try Self.path(route, existing)] + (try route.parameters.map { name in
                try Self.path(route, existing, replacing: name, from: missing)
            })

            if Self.clientCredentialRoutes.contains(label) {
                // No credentials, unknown ones, and B's client id with A's secret: 401 (bearer tokens mean nothing here).
                for credentials in [nil, unknownClient, (id: existingClientID, secret: appP.secret)] {
                    for path in paths {
                        let response = try TestHTTP.api(method, path, token: tokenA, json: try exchangeBody(credentials))
                        try Fixtures.expectError(response, 401, code: "unauthorized")
                    }
                }
                // Another app's valid credentials: its own installations only, so B's is as unknown as a missing one.
                var answers: [String] = []
                for path in paths {
                    let response = try TestHTTP.api(
                        method, path, token: nil, json: try exchangeBody((id: appP.clientID, secret: appP.secret)))
                    let object = try Fixtures.expectError(response, 404, code: "not_found")
                    answers.append("\(response.status) \(object["code"] as? String ?? "")")
                }
                #expect(Set(answers).count == 1, "\(label): another app's credentials tell existing from missing")
                // Control: B's own credentials and code succeed on B's installation, and a missing one is 404.
                let owner = (id: existingClientID, secret: appB.secret)
                try Fixtures.expectError(
                    try TestHTTP.api(method, paths[paths.count - 1], token: nil, json: try exchangeBody(owner)), 404, code: "not_found")
                let granted = try TestHTTP.api(method, paths[0], token: nil, json: try exchangeBody(owner))
                #expect(granted.status == 201, "\(label) for the owner: \(granted.summary)")
                checked += 1
                continue
            }

            for token in [nil, "art_" + Fixtures.random(43), String((0..<64).map { _ in hex.randomElement() ?? "0" })] {
                for path in paths {
                    let response = try TestHTTP.api(method, path, token: token, json: body)
                    try Fixtures.expectError(response, 401, code: "unauthorized")
                }
            }

            // An installation token: only its own installation, so here another's (404) or no route of it (403).
            let installationStatus = Self.isInstallationRoute(route) ? 404 : 403
            var installationAnswers: [String] = []
            for path in paths {
                let response = try TestHTTP.api(method, path, token: installationToken, json: body)
                let object = try Fixtures.expectError(
                    response, installationStatus, code: installationStatus == 404 ? "not_found" : "forbidden")
                installationAnswers.append("\(response.status) \(object["code"] as? String ?? "")")
            }
            #expect(Set(installationAnswers).count == 1, "\(label): an installation token tells existing from missing")

            let foreignStatus = route.pattern.hasPrefix("/api/0/sentry-apps/") ? 404 : 403
            let foreignCode = foreignStatus == 404 ? "not_found" : "forbidden"
            var answers: [String] = []
            for path in paths {
                let response = try TestHTTP.api(method, path, token: tokenA, json: body)
                let object = try Fixtures.expectError(response, foreignStatus, code: foreignCode)
                answers.append("\(response.status) \(object["code"] as? String ?? "")")
            }
            #expect(Set(answers).count == 1, "\(label): a foreign token tells existing from missing: \(zip(paths, answers).map { "\($0) → \($1)" })")
            checked += 1
        }
        #expect(checked == routes.count - Self.publicRoutes.count)

        // Control: the existing paths really name existing resources (the admin reads them), the missing ones do not.
        for route in routes where route.method == .get && !Self.publicRoutes.contains(route.description) {
            let found = try TestHTTP.api("GET", try Self.path(route, existing), token: Fixtures.admin)
            #expect(found.status == 200, "\(route): \(found.summary)")
            for name in route.parameters {
                let gone = try TestHTTP.api("GET", try Self.path(route, existing, replacing: name, from: missing), token: Fixtures.admin)
                #expect(gone.status == 404, "\(route) with a missing \(name): \(gone.summary)")
            }
        }

        // Nothing was created, changed or deleted by the refused requests.
        #expect(try db.query("SELECT 1 FROM organizations WHERE slug = $1", newSlug).isEmpty)
        #expect(try db.query("SELECT 1 FROM projects WHERE slug = $1", newSlug).isEmpty)
        #expect(try !db.query("SELECT 1 FROM projects WHERE id = $1", projectB.id).isEmpty)
        #expect(try db.query("SELECT disabled_at IS NULL FROM apps WHERE id = $1", appB.id)[0].decode(0, as: Bool.self))
        #expect(try db.query("SELECT 1 FROM apps WHERE slug = $1 OR name = $1", newSlug).isEmpty)
        #expect(try db.query("SELECT name FROM apps WHERE id = $1", appB.id)[0].decode(0, as: String.self) == appB.name)
        #expect(try db.query("SELECT count(*)::int FROM installations WHERE app_id = $1", appB.id)[0].decode(0, as: Int.self) == 1)
        #expect(try !db.query("SELECT 1 FROM members WHERE id = $1", memberID).isEmpty)
        #expect(try !db.query("SELECT 1 FROM api_tokens WHERE id = $1", tokenID).isEmpty)
        #expect(try db.query("SELECT count(*)::int FROM deliveries WHERE app_id = $1", appB.id)[0].decode(0, as: Int.self) == 1)
        #expect(try db.query("SELECT count(*)::int FROM members WHERE organization_id = $1", orgB.id)[0].decode(0, as: Int.self) == 1)
    }

    /// The route's path with its parameters filled from `resources` (parameter `replacing` from `other`).
    static func path(
        _ route: Router.Registered, _ resources: Resources, replacing: String? = nil, from other: Resources? = nil
    ) throws -> String {
        let segments = route.pattern.split(separator: "/").map(String.init)
        var out: [String] = []
        for (index, segment) in segments.enumerated() {
            guard segment.hasPrefix("{"), segment.hasSuffix("}") else {
                out.append(segment)
                continue
            }
            let name = String(segment.dropFirst().dropLast())
            let source = name == replacing ? (other ?? resources) : resources
            switch name {
            case "org": out.append(source.organization)
            case "app": out.append(source.app)
            case "uuid": out.append(source.installation)
            case "project": out.append(source.project)
            case "id":
                let collection = index > 0 ? segments[index - 1] : ""
                let id = try #require(
                    source.ids[collection], "\(route): no existing resource known for {id} under '\(collection)'; add one")
                out.append(String(id))
            default:
                throw TestHTTP.Failure("\(route): unknown path parameter {\(name)}; teach this test to fill it")
            }
        }
        return "/" + out.joined(separator: "/")
    }
}
