import AlertRelayAPI
import AlertRelayDelivery
import AlertRelayStore
import AlertRelayLogic
import Foundation
import PostgresClient
import Testing

@testable import OwnerPages

/// Issue 11 end to end, through nginx and the responder: sign-in links and sessions, the pages' safety (CSRF, CSP,
/// escaping, 404 for other organizations), Re-enable, Redeliver and Replay against their REST twins, and the warning
/// e-mail against the recording path.
@Suite(.enabled(if: Fixtures.servicesAvailable), .usesDatabase)
struct OwnerPageEndToEndTests {
    static let csp =
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

    struct Setup {
        var org: Fixtures.Organization
        var project: Fixtures.Project
        var app: Fixtures.App
        var ownerEmail: String
        var ownerID: Int64
        var settings: String { "/settings/\(org.slug)/developer-settings/\(app.slug)/" }
        var dashboard: String { settings + "dashboard/" }
    }

    static func setup(rules: [Receiver.Rule]? = nil, timeoutMs: Int = 2000) throws -> Setup {
        let org = try Fixtures.makeOrganization()
        let project = try Fixtures.makeProject(org: org)
        let app = try Fixtures.makeApp(org: org, timeoutMs: timeoutMs)
        if let rules { try Receiver.setRules(path: app.path, responses: rules) }
        let email = try Fixtures.makeMember(org: org, role: "owner")
        return Setup(org: org, project: project, app: app, ownerEmail: email, ownerID: try memberID(email, org: org))
    }

    static func memberID(_ email: String, org: Fixtures.Organization) throws -> Int64 {
        let db = try Fixtures.database()
        return try db.query("SELECT id FROM members WHERE organization_id = $1 AND email = $2", org.id, email)[0]
            .decode(0, as: Int64.self)
    }

    /// A link from the admin's route (the same capability the e-mails carry).
    static func signInLink(_ setup: Setup, memberID: Int64? = nil, app: String? = nil, dashboard: Bool = false) throws -> String {
        let response = try TestHTTP.api(
            "POST", "/api/0/organizations/\(setup.org.slug)/members/\(memberID ?? setup.ownerID)/sign-in-link",
            token: Fixtures.admin, json: #"{"app":"\#(app ?? setup.app.slug)"}"#)
        try Fixtures.expect(response, 201, "sign-in link")
        let object = try response.object()
        return try #require(object[dashboard ? "dashboard_url" : "url"] as? String)
    }

    /// A client signed in through a link.
    static func signedIn(_ setup: Setup) throws -> PageClient {
        let client = PageClient()
        let response = try client.get(try signInLink(setup))
        try Fixtures.expect(response, 303, "link sign-in")
        return client
    }

    static var linkKey: String { TestEnvironment.variable("ALERT_RELAY_LINK_KEY") ?? "" }

    static func expectPage(_ response: TestHTTP.Response, _ status: Int, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(response.status == status, "\(response.summary)", sourceLocation: sourceLocation)
        #expect(response.header("Content-Type") == "text/html; charset=utf-8", sourceLocation: sourceLocation)
        #expect(response.header("Content-Security-Policy") == csp, sourceLocation: sourceLocation)
        #expect(response.header("Cache-Control") == "no-store", sourceLocation: sourceLocation)
        #expect(response.header("X-Frame-Options") == "DENY", sourceLocation: sourceLocation)
        #expect(response.header("Referrer-Policy") == "no-referrer", sourceLocation: sourceLocation)
        #expect(response.text.hasPrefix("<!DOCTYPE html>"), sourceLocation: sourceLocation)
    }

    // MARK: Signing in

    @Test func linkSetsASessionCookieAndRedirectsWithoutTheToken() throws {
        try Fixtures.requireServices()
        let setup = try Self.setup()
        let link = try Self.signInLink(setup, dashboard: true)
        #expect(link.hasPrefix(Fixtures.urlPrefix + setup.dashboard + "?referrer=sign-in-link&token="))

        let client = PageClient()
        let opened = try client.get(link)
        #expect(opened.status == 303)
        #expect(opened.header("Location") == setup.dashboard + "?referrer=sign-in-link", "no token in the next address")
        #expect(opened.header("Cache-Control") == "no-store")
        let cookie = try #require(client.lastSetCookies.first { $0.hasPrefix("ar_session=") })
        let attributes = Set(cookie.split(separator: ";").dropFirst().map { $0.trimmingCharacters(in: .whitespaces) })
        #expect(attributes == ["Path=/settings/\(setup.org.slug)/", "Max-Age=43200", "HttpOnly", "SameSite=Lax"],
                "no Secure over http: \(cookie)")

        let page = try client.get(try #require(opened.header("Location")))
        Self.expectPage(page, 200)
        #expect(page.text.contains("<h1>\(setup.app.name)</h1>"))
        #expect(page.text.contains("Signed in as \(setup.ownerEmail)"))
        #expect(!page.text.contains("token="), "the page never repeats the token")

        // The session is in the database as a hash only, for this member, 12 hours.
        let db = try Fixtures.database()
        let row = try #require(try db.query(
            """
            SELECT token_hash, actor, extract(epoch FROM expires_at - now())::int FROM owner_sessions
            WHERE organization_id = $1
            """, setup.org.id).first)
        let sessionToken = String(try #require(cookie.split(separator: ";").first).dropFirst("ar_session=".count))
        #expect(try row.decode(0, as: String.self) == TokenHash.sha256Hex(sessionToken))
        #expect(try row.decode(1, as: String.self) == "member:\(setup.ownerEmail)")
        #expect((43_100...43_200).contains(try row.decode(2, as: Int.self)))

        // Without the cookie: the sign-in form, which comes back here afterwards.
        let anonymous = try PageClient().get(setup.dashboard)
        #expect(anonymous.status == 303)
        #expect(anonymous.header("Location")
            == "/settings/\(setup.org.slug)/sign-in?next=" + PageClient.escape(setup.dashboard))
    }

    /// Links are for owners and managers: a plain member's is refused as a conflict with the member's role (the
    /// request itself is valid, so not 422), naming the code; nothing is issued or audited.
    @Test func signInLinkForAPlainMemberIsAConflict() throws {
        try Fixtures.requireServices()
        let setup = try Self.setup()
        let member = try Self.memberID(try Fixtures.makeMember(org: setup.org, role: "member"), org: setup.org)
        let response = try TestHTTP.api(
            "POST", "/api/0/organizations/\(setup.org.slug)/members/\(member)/sign-in-link",
            token: Fixtures.admin, json: #"{"app":"\#(setup.app.slug)"}"#)
        try Fixtures.expect(response, 409, "plain member's link")
        #expect(try response.object()["code"] as? String == "not_an_owner")
        let db = try Fixtures.database()
        let audited = try db.query(
            "SELECT count(*)::int FROM audit_log WHERE organization_id = $1 AND event = 'member.sign-in-link'",
            setup.org.id)[0].decode(0, as: Int.self)
        #expect(audited == 0)
    }

    @Test func refusedLinksShowAPageThatSaysWhy() throws {
        try Fixtures.requireServices()
        let setup = try Self.setup()
        let other = try Fixtures.makeApp(org: setup.org)
        let now = Int64(Date().timeIntervalSince1970)
        let base = Fixtures.baseURL + setup.settings + "?referrer=disabled-sentry-app&token="
        func token(member: Int64? = nil, app: Int64? = nil, expires: Int64? = nil, key: String? = nil) -> String {
            SignInLink.sign(
                organizationID: setup.org.id, appID: app ?? setup.app.id, memberID: member ?? setup.ownerID,
                expiresAt: expires ?? now + 3600, key: key ?? Self.linkKey)
        }
        let valid = token()
        let mac = try #require(valid.split(separator: ".").last)
        let member = try Fixtures.makeMember(org: setup.org, role: "member")
        let cases: [(String, String)] = [
            (token(expires: now - 1), "This sign-in link has expired"),
            ("\(setup.ownerID).\(now + 7200).\(mac)", "This sign-in link is not valid"),  // expiry moved
            (String(valid.dropLast()) + (valid.hasSuffix("A") ? "B" : "A"), "This sign-in link is not valid"),
            (token(key: Self.linkKey + "-rotated"), "This sign-in link is not valid"),
            (token(app: other.id), "This sign-in link is not valid"),  // another app's link on this app's page
            ("garbage", "This sign-in link is not valid"),
            (token(member: try Self.memberID(member, org: setup.org)), "This sign-in link no longer works"),
        ]
        for (text, heading) in cases {
            let client = PageClient()
            let response = try client.get(base + text)
            Self.expectPage(response, 403)
            #expect(response.text.contains("<h1>\(heading)</h1>"), "\(text): \(response.text.prefix(1500))")
            #expect(client.cookies["ar_session"] == nil)
            #expect(!response.text.contains("Fatal error") && !response.text.contains(".swift"))
        }

        // The valid link works until its member is removed; then it shows the page too.
        let kept = PageClient()
        try Fixtures.expect(try kept.get(base + valid), 303, "valid link")
        let removed = try TestHTTP.api(
            "DELETE", "/api/0/organizations/\(setup.org.slug)/members/\(setup.ownerID)", token: Fixtures.admin)
        try Fixtures.expect(removed, 204, "remove the owner")
        let refused = try PageClient().get(base + valid)
        Self.expectPage(refused, 403)
        #expect(refused.text.contains("<h1>This sign-in link no longer works</h1>"))
        // And the session it made has ended with the member.
        #expect(try kept.get(setup.settings).status == 303)
    }

    @Test func anotherOrganizationsAppAnswersLikeAnUnknownOne() throws {
        try Fixtures.requireServices()
        let mine = try Self.setup()
        let theirs = try Self.setup()
        let client = try Self.signedIn(mine)
        let foreign = try client.get("/settings/\(mine.org.slug)/developer-settings/\(theirs.app.slug)/dashboard/")
        let unknown = try client.get("/settings/\(mine.org.slug)/developer-settings/no-such-app-\(Fixtures.random(6))/dashboard/")
        Self.expectPage(foreign, 404)
        Self.expectPage(unknown, 404)
        let unknownSlug = String(try #require(unknown.text.firstMatch(of: #/no-such-app-[a-z0-9]+/#)).output)
        #expect(foreign.text.replacingOccurrences(of: theirs.app.slug, with: "X")
            == unknown.text.replacingOccurrences(of: unknownSlug, with: "X"), "the same page but for the name asked for")
        #expect(!foreign.text.contains(theirs.app.name))
        // The other organization's own pages: this session does not count there.
        let there = try client.get(theirs.settings)
        #expect(there.status == 303)
        #expect(there.header("Location")?.hasPrefix("/settings/\(theirs.org.slug)/sign-in?next=") == true)
        // A link for one organization's app does not verify on another's address.
        let link = try Self.signInLink(mine)
        let moved = link.replacingOccurrences(of: "/settings/\(mine.org.slug)/developer-settings/\(mine.app.slug)/",
                                              with: "/settings/\(theirs.org.slug)/developer-settings/\(theirs.app.slug)/")
        Self.expectPage(try PageClient().get(moved), 403)
    }

    /// Every route of the page site authenticates before it looks anything up: without a session GETs go to the
    /// sign-in form and POSTs are refused the same way, for existing and unknown apps alike.
    @Test func everyPageRouteAuthenticatesFirst() throws {
        try Fixtures.requireServices()
        let setup = try Self.setup()
        let config = try Config(environment: ProcessInfo.processInfo.environment)
        let routes = Site(config: config, renderer: try PageRenderer()).makeRouter().registered
        #expect(routes.count == 10)
        for route in routes {
            let paths = [setup.org.slug, "no-such-org-\(Fixtures.random(5))"].flatMap { org in
                [setup.app.slug, "no-such-app"].map { app in
                    route.pattern.replacingOccurrences(of: "{org}", with: org).replacingOccurrences(of: "{app}", with: app)
                }
            }
            var answers: Set<String> = []
            for path in paths {
                let response = try PageClient().send(route.method.rawValue, path, headers: [
                    ("Content-Type", "application/x-www-form-urlencoded"),
                ], body: route.method == .post ? Array("id=1&since=2026-01-01T00:00&token=x&csrf=x".utf8) : nil)
                let org = path.split(separator: "/")[1]
                switch (route.method, route.pattern) {
                case (.get, let pattern) where pattern.hasPrefix("/static/"):
                    #expect(response.status == 200)
                    #expect(response.header("Content-Type") == "text/css; charset=utf-8")
                case (.get, "/settings/{org}/sign-in"), (.post, "/settings/{org}/sign-in"):
                    Self.expectPage(response, route.method == .get ? 200 : 403)
                default:
                    #expect(response.status == 303, "\(route) \(path): \(response.summary)")
                    #expect(response.header("Location")?.hasPrefix("/settings/\(org)/sign-in?next=") == true)
                }
                answers.insert("\(response.status)")
            }
            #expect(answers.count == 1, "\(route): \(answers)")
        }
        // Nothing changed: no session, no enable, no replay.
        let db = try Fixtures.database()
        #expect(try db.query("SELECT 1 FROM owner_sessions WHERE organization_id = $1", setup.org.id).isEmpty)
        #expect(try db.query("SELECT 1 FROM audit_log WHERE organization_id = $1 AND event LIKE 'internal-integration.%'",
                             setup.org.id).isEmpty)
    }

    @Test func tokenFormSignsInOrgAdminTokensOnly() throws {
        try Fixtures.requireServices()
        let setup = try Self.setup()
        let other = try Fixtures.makeOrganization()
        let admin = try Fixtures.makeToken(org: setup.org, scopes: ["org:admin"])
        let writer = try Fixtures.makeToken(org: setup.org, scopes: ["org:write", "alerts:write"])
        let foreign = try Fixtures.makeToken(org: other, scopes: ["org:admin"])
        let signIn = "/settings/\(setup.org.slug)/sign-in"

        for (token, works) in [(writer, false), (foreign, false), (Fixtures.admin, false), ("art_nonsense", false), (admin, true)] {
            let client = PageClient()
            let form = try client.get(signIn + "?next=" + PageClient.escape(setup.dashboard))
            Self.expectPage(form, 200)
            let csrf = try PageClient.csrf(in: form.text)
            #expect(client.cookies["ar_signin"] == csrf)
            // Without the form's cookie value the post is refused whatever the token.
            let stray = PageClient()
            Self.expectPage(try stray.post(signIn, form: [("csrf", csrf), ("token", token), ("next", setup.dashboard)]), 403)
            #expect(stray.cookies["ar_session"] == nil)

            let response = try client.post(signIn, form: [("csrf", csrf), ("token", token), ("next", setup.dashboard)])
            if works {
                #expect(response.status == 303)
                #expect(response.header("Location") == setup.dashboard)
                #expect(client.cookies["ar_session"] != nil)
                #expect(client.cookies["ar_signin"] == nil)
                let page = try client.get(setup.dashboard)
                Self.expectPage(page, 200)
                #expect(page.text.contains("Signed in as API token "))
                // An outside `next` is not followed.
                let again = PageClient()
                let csrf2 = try PageClient.csrf(in: try again.get(signIn).text)
                let outside = try again.post(signIn, form: [("csrf", csrf2), ("token", admin), ("next", "https://evil.example/")])
                #expect(outside.header("Location") == "/settings/\(setup.org.slug)/developer-settings/")
            } else {
                Self.expectPage(response, 403)
                #expect(response.text.contains("it must be an API token of \(setup.org.slug) with the org:admin scope"))
                #expect(client.cookies["ar_session"] == nil)
            }
        }
    }

    // MARK: Forms and their REST twins

    /// Re-enable does what `POST .../enable` does (counters cleared, audit entry), with the signed-in person as the
    /// actor, and only with the session's CSRF token.
    @Test func reEnableNeedsTheCSRFTokenAndDoesWhatTheRESTRouteDoes() throws {
        try Fixtures.requireServices()
        let setup = try Self.setup(rules: [.init(status: 500, body: "<script>alert(1)</script>")])
        let db = try Fixtures.database()
        try Fixtures.seedFailingDays(app: setup.app, days: 6, db: db)
        _ = try Fixtures.sendAlert(app: setup.app, project: setup.project)
        #expect(try db.query("SELECT disabled_at IS NOT NULL FROM apps WHERE id = $1", setup.app.id)[0].decode(0, as: Bool.self))

        let client = try Self.signedIn(setup)
        let page = try client.get(setup.settings)
        Self.expectPage(page, 200)
        #expect(page.text.contains(#"<span class="badge disabled">Disabled</span>"#))
        #expect(page.text.contains("Every day of the last 7 UTC days had errors and not one successful delivery."))
        let csrf = try PageClient.csrf(in: page.text)
        let enable = setup.settings + "enable"

        // No token, a wrong one, another session's: refused, nothing changes.
        let otherSession = try Self.signedIn(setup)
        let otherCSRF = try PageClient.csrf(in: try otherSession.get(setup.settings).text)
        #expect(otherCSRF != csrf)
        for fields in [[], [("csrf", "")], [("csrf", csrf + "x")], [("csrf", otherCSRF)]] {
            Self.expectPage(try client.post(enable, form: fields), 403)
        }
        #expect(try db.query("SELECT disabled_at IS NOT NULL FROM apps WHERE id = $1", setup.app.id)[0].decode(0, as: Bool.self))
        #expect(try Fixtures.auditRows(organizationID: setup.org.id, event: DisableFlow.enableAuditEvent, db: db).isEmpty)

        let done = try client.post(enable, form: [("csrf", csrf)])
        #expect(done.status == 303)
        #expect(done.header("Location") == setup.settings + "?done=enabled")
        let after = try client.get(setup.settings + "?done=enabled")
        #expect(after.text.contains(#"<span class="badge active">Active</span>"#))
        #expect(after.text.contains("Re-enabled."))
        #expect(try db.query("SELECT disabled_at IS NULL FROM apps WHERE id = $1", setup.app.id)[0].decode(0, as: Bool.self))
        #expect(try Fixtures.healthRows(appID: setup.app.id, db: db).isEmpty, "counters cleared, as the REST route does")
        let audit = try Fixtures.auditRows(organizationID: setup.org.id, event: DisableFlow.enableAuditEvent, db: db)
        #expect(audit.map(\.actor) == ["member:\(setup.ownerEmail)"])
        #expect(audit.first?.data == #"{"name": "\#(setup.app.name)"}"#)
        // The dashboard's chart still shows the days the enable cleared.
        let dashboard = try client.get(setup.dashboard)
        #expect(dashboard.text.components(separatedBy: #"<rect class="e""#).count - 1 == 7, "6 seeded days and today")
        // The receiver's body reached the page as text.
        let logID = try db.query("SELECT max(id) FROM request_log WHERE app_id = $1", setup.app.id)[0].decode(0, as: Int64.self)
        let open = try client.get(setup.dashboard + "?open=\(logID)")
        #expect(open.text.contains("aria-label=\"Response body\">&lt;script&gt;alert(1)&lt;/script&gt;</pre>"))
        #expect(!open.text.contains("<script>"))
    }

    /// Replay does what `POST .../replay` does: failed deliveries since a time queued again as new deliveries with the
    /// same webhook-id, once each, one audit entry per replay.
    @Test func replayQueuesFailedDeliveriesAgainLikeItsRESTTwin() throws {
        try Fixtures.requireServices()
        let setup = try Self.setup(rules: [.init(status: 400, body: "no")])
        let db = try Fixtures.database()
        var webhookIDs: [String] = []
        for _ in 0..<3 {
            let sent = try Fixtures.sendAlert(app: setup.app, project: setup.project)
            let object = try sent.object()
            #expect(object["status"] as? String == "failed")
            webhookIDs.append(try #require(object["webhook_id"] as? String))
        }
        try Receiver.setRules(path: setup.app.path, responses: [.init(status: 200)])

        let client = try Self.signedIn(setup)
        let csrf = try PageClient.csrf(in: try client.get(setup.dashboard).text)
        Self.expectPage(try client.post(setup.dashboard + "replay", form: [("since", "2020-01-01T00:00")]), 403)
        let replayed = try client.post(setup.dashboard + "replay", form: [("csrf", csrf), ("since", "2020-01-01T00:00")])
        #expect(replayed.status == 303)
        #expect(replayed.header("Location") == setup.dashboard + "?done=replayed&queued=3")
        #expect(try client.get(try #require(replayed.header("Location"))).text.contains("Queued 3 deliveries again."))

        let copies = try db.query(
            """
            SELECT d.webhook_id, o.webhook_id, d.payload = o.payload FROM deliveries d JOIN deliveries o ON o.id = d.redelivery_of
            WHERE d.app_id = $1 ORDER BY d.id
            """, setup.app.id)
        #expect(try copies.map { try $0.decode(0, as: String.self) } == webhookIDs)
        #expect(try copies.allSatisfy { try $0.decode(0, as: String.self) == $0.decode(1, as: String.self) && $0.decode(2, as: Bool.self) })
        // The worker delivers them; the receiver sees each message again under its webhook-id.
        let received = try Receiver.waitForRequests(path: setup.app.path, count: 6)
        #expect(received.suffix(3).compactMap { $0.header("webhook-id") }.sorted() == webhookIDs.sorted())

        // The REST twin: nothing failed is left (each failed one has its redelivery, which was delivered).
        let rest = try TestHTTP.api(
            "POST", "/api/0/sentry-apps/\(setup.app.slug)/replay", token: Fixtures.admin, json: #"{"since":"2020-01-01"}"#)
        #expect(rest.status == 202, "\(rest.summary)")
        let answer = try rest.object()
        #expect(answer["queued"] as? Int == 0 && answer["more"] as? Bool == false)
        #expect(answer["organization"] as? String == setup.org.slug)
        #expect(answer["since"] as? String == "2020-01-01T00:00:00.000000Z")
        // One audit entry per replay, the page's with the person, the API's with the token.
        let audit = try Fixtures.auditRows(organizationID: setup.org.id, event: ReplayFlow.auditEvent, db: db)
        #expect(audit.map(\.actor) == ["member:\(setup.ownerEmail)", "admin"])
        #expect(audit.first?.data.contains(#""queued": 3"#) == true)

        // Failures of the replayed messages are replayed once more by the REST route, with the same webhook-ids.
        try Receiver.setRules(path: setup.app.path, responses: [.init(status: 400)])
        for _ in 0..<2 { _ = try Fixtures.sendAlert(app: setup.app, project: setup.project) }
        let second = try TestHTTP.api(
            "POST", "/api/0/sentry-apps/\(setup.app.slug)/replay", token: Fixtures.admin,
            json: #"{"since":"2020-01-01T00:00:00Z","organization":"\#(setup.org.slug)"}"#)
        #expect(try second.object()["queued"] as? Int == 2)
    }

    @Test func replayRouteRefusesWhatItCannotDo() throws {
        try Fixtures.requireServices()
        let setup = try Self.setup()
        let other = try Fixtures.makeOrganization()
        let route = "/api/0/sentry-apps/\(setup.app.slug)/replay"
        try Fixtures.expectError(try TestHTTP.api("POST", route, token: Fixtures.admin, json: "{}"), 400, code: "missing_field")
        try Fixtures.expectError(
            try TestHTTP.api("POST", route, token: Fixtures.admin, json: #"{"since":"last week"}"#), 422)
        try Fixtures.expectError(
            try TestHTTP.api("POST", route, token: Fixtures.admin, json: #"{"since":"2026-01-01","organization":"\#(other.slug)"}"#),
            404)
        let writer = try Fixtures.makeToken(org: setup.org, scopes: ["org:write"])
        try Fixtures.expectError(
            try TestHTTP.api("POST", route, token: writer, json: #"{"since":"2026-01-01"}"#), 403, code: "missing_scope")
        let db = try Fixtures.database()
        try db.execute("UPDATE apps SET disabled_at = now() WHERE id = $1", setup.app.id)
        try Fixtures.expectError(
            try TestHTTP.api("POST", route, token: Fixtures.admin, json: #"{"since":"2026-01-01"}"#), 409, code: "app_disabled")
        #expect(try Fixtures.auditRows(organizationID: setup.org.id, event: ReplayFlow.auditEvent, db: db).isEmpty)
    }

    /// Redeliver on the page is `POST .../requests/{id}/redeliver`, queued: the same message with a new delivery.
    @Test func redeliverButtonQueuesTheSameMessage() throws {
        try Fixtures.requireServices()
        let setup = try Self.setup(rules: [.init(status: 400)])
        let sent = try Fixtures.sendAlert(app: setup.app, project: setup.project).object()
        let db = try Fixtures.database()
        let logID = try db.query("SELECT max(id) FROM request_log WHERE app_id = $1", setup.app.id)[0].decode(0, as: Int64.self)
        let client = try Self.signedIn(setup)
        let page = try client.get(setup.dashboard)
        #expect(page.text.contains(#"<button name="id" value="\#(logID)">Redeliver</button>"#))
        let csrf = try PageClient.csrf(in: page.text)
        Self.expectPage(try client.post(setup.dashboard + "redeliver", form: [("id", String(logID))]), 403)
        Self.expectPage(try client.post(setup.dashboard + "redeliver", form: [("csrf", csrf), ("id", "987654321")]), 404)
        let done = try client.post(setup.dashboard + "redeliver", form: [("csrf", csrf), ("id", String(logID))])
        #expect(done.status == 303)
        #expect(done.header("Location") == setup.dashboard + "?done=redelivered")
        let copy = try #require(try db.query(
            "SELECT webhook_id, redelivery_of FROM deliveries WHERE app_id = $1 AND redelivery_of IS NOT NULL", setup.app.id).first)
        #expect(try copy.decode(0, as: String.self) == sent["webhook_id"] as? String)
        #expect(try copy.decode(1, as: Int64.self) == Fixtures.int64(sent["id"]))
    }

    @Test func dashboardFiltersTheRequestLogLikeTheAPI() throws {
        try Fixtures.requireServices()
        let setup = try Self.setup(rules: [.init(status: 200), .init(status: 400, body: "no"), .init(status: 404)])
        for _ in 0..<3 { _ = try Fixtures.sendAlert(app: setup.app, project: setup.project) }
        let client = try Self.signedIn(setup)
        func codes(_ query: String) throws -> [String] {
            let page = try client.get(setup.dashboard + query)
            Self.expectPage(page, 200)
            return page.text.matches(of: #/<td><span class="c\d">(\w+)</span>/#).map { String($0.output.1) }
        }
        #expect(try codes("") == ["404", "400", "200"])
        #expect(try codes("?errorsOnly=true") == ["404", "400"])
        #expect(try codes("?status=2xx") == ["200"])
        #expect(try codes("?status=4xx&errorsOnly=1") == ["404", "400"])
        #expect(try codes("?status=404") == ["404"])
        #expect(try codes("?eventType=nothing.such").isEmpty)
        #expect(try codes("?since=2099-01-01T00:00").isEmpty)
        let bad = try client.get(setup.dashboard + "?status=7xx&since=soon")
        Self.expectPage(bad, 200)
        #expect(bad.text.contains("The status must be a class like 5xx"))
    }

    // MARK: The warning e-mail

    /// Moves the app's days one day into the past, as if a day went by (counters and its warning).
    static func passADay(appID: Int64, db: PostgresConnection) throws {
        try db.transaction { db in
            try db.execute("UPDATE health_counters SET day = day + 10000 WHERE app_id = $1", appID)
            try db.execute("UPDATE health_counters SET day = day - 10001 WHERE app_id = $1", appID)
            try db.execute("UPDATE health_warnings SET day = day - 1 WHERE app_id = $1", appID)
        }
    }

    static func warnings(_ setup: Setup, db: PostgresConnection) throws -> [Fixtures.EmailJob] {
        try Fixtures.emailJobs(to: [setup.ownerEmail], db: db).filter { $0.subject.hasPrefix("Warning:") }
    }

    /// Written exactly when the line is crossed, by the recording that crossed it; not again while the app has not
    /// recovered; again after a successful day; its links sign the owner in.
    @Test func warningIsWrittenWhenTheLineIsCrossedAndAgainOnlyAfterRecovery() throws {
        try Fixtures.requireServices()
        let setup = try Self.setup(rules: [.init(status: 400)], timeoutMs: 200)
        let db = try Fixtures.database()
        try Fixtures.seedFailingDays(app: setup.app, days: 2, db: db)

        // Three failing days (two seeded, today): no warning yet.
        _ = try Fixtures.sendAlert(app: setup.app, project: setup.project)
        #expect(try Self.warnings(setup, db: db).isEmpty)
        try Self.passADay(appID: setup.app.id, db: db)
        // The fourth: the alert's own recording writes the warning (committed before the response).
        _ = try Fixtures.sendAlert(app: setup.app, project: setup.project)
        var warnings = try Self.warnings(setup, db: db)
        try #require(warnings.count == 1)
        let today = UTCDay(unixSeconds: Int64(Date().timeIntervalSince1970))
        #expect(warnings[0].subject == "Warning: your \(try Fixtures.pythonTitle(setup.app.name)) integration will be "
            + "disabled on \(HealthWarningEmail.shortDate(today.adding(days: 3))) if its errors go on")
        let reason = try db.query("SELECT reason, day::text FROM health_warnings WHERE app_id = $1", setup.app.id)
        #expect(try reason.map { try $0.decode(0, as: String.self) } == ["consecutive_error_days"])
        #expect(try reason.map { try $0.decode(1, as: String.self) } == [today.description])

        // Its links sign in.
        let link = try #require(warnings[0].text.firstMatch(of: #/http://\S+dashboard/\?referrer=sentry-app-warning&token=\S+/#))
        let client = PageClient()
        #expect(try client.get(String(link.output)).status == 303)
        Self.expectPage(try client.get(setup.dashboard), 200)

        // Not again: the next alert, nor the next failing day.
        _ = try Fixtures.sendAlert(app: setup.app, project: setup.project)
        try Self.passADay(appID: setup.app.id, db: db)
        _ = try Fixtures.sendAlert(app: setup.app, project: setup.project)
        #expect(try Self.warnings(setup, db: db).count == 1)

        // Recovery: a successful day after the warning's day. Then the next crossing warns again, here today's
        // timeouts reaching half the threshold (3 in the test stack) as the worker retries the timed-out alert.
        try Receiver.setRules(path: setup.app.path, responses: [.init(status: 200)])
        _ = try Fixtures.sendAlert(app: setup.app, project: setup.project)
        try Self.passADay(appID: setup.app.id, db: db)
        try Receiver.setRules(path: setup.app.path, responses: [.init(status: 200, hangSeconds: 1)])
        _ = try Fixtures.sendAlert(app: setup.app, project: setup.project)
        #expect(try Self.warnings(setup, db: db).count == 1, "one timeout: below half the threshold")
        #expect(try Fixtures.waitUntil(timeout: 30) { try Self.warnings(setup, db: db).count == 2 })
        warnings = try Self.warnings(setup, db: db)
        #expect(warnings[1].subject.hasSuffix("integration will be disabled today if its timeouts go on"))
        // The third timeout disables the app, which clears its warning state; the disable e-mail follows.
        #expect(try Fixtures.waitUntil(timeout: 30) {
            try db.query("SELECT disabled_at IS NOT NULL FROM apps WHERE id = $1", setup.app.id)[0].decode(0, as: Bool.self)
        })
        #expect(try db.query("SELECT 1 FROM health_warnings WHERE app_id = $1", setup.app.id).isEmpty)
        #expect(try Self.warnings(setup, db: db).count == 2)
    }

    /// The disable e-mail is rendered once per owner: each owner's links sign that owner in.
    @Test func disableEmailLinksSignTheirOwnOwnerIn() throws {
        try Fixtures.requireServices()
        let setup = try Self.setup(rules: [.init(status: 500)])
        let second = try Fixtures.makeMember(org: setup.org, role: "owner")
        let db = try Fixtures.database()
        try Fixtures.seedFailingDays(app: setup.app, days: 6, db: db)
        _ = try Fixtures.sendAlert(app: setup.app, project: setup.project)
        let jobs = try Fixtures.emailJobs(to: [setup.ownerEmail, second], db: db)
        try #require(jobs.count == 2)
        var tokens: Set<String> = []
        for job in jobs {
            let link = try #require(job.text.firstMatch(of: #/http://\S+/\?referrer=disabled-sentry-app&token=(\S+)/#))
            tokens.insert(String(link.output.1))
            let client = PageClient()
            #expect(try client.get(String(link.output.0)).status == 303)
            #expect(try client.get(setup.settings).text.contains("Signed in as \(job.to)"))
        }
        #expect(tokens.count == 2, "one link per owner")
    }
}
