import Foundation
import PostgresClient
import Testing

/// Issue 12: metric alerts (`POST /api/0/organizations/{org}/metric-alerts`) through nginx + responder to the recording
/// receiver, delivered exactly like event alerts: the same delivery record, request log, signatures, retries, health
/// counters and broken rule. Checked against what the receiver really got and what the database holds.
@Suite(.enabled(if: Fixtures.servicesAvailable), .usesDatabase)
struct MetricAlertEndToEndTests {
    typealias Rule = Receiver.Rule

    struct Setup {
        var org: Fixtures.Organization
        var app: Fixtures.App
        var installation: String
    }

    static func setup(rules: [Rule]? = nil, timeoutMs: Int = 2000) throws -> Setup {
        let org = try Fixtures.makeOrganization()
        let app = try Fixtures.makeApp(org: org, timeoutMs: timeoutMs)
        if let rules { try Receiver.setRules(path: app.path, responses: rules) }
        let db = try Fixtures.database()
        return Setup(org: org, app: app, installation: try Fixtures.installationUUID(appID: app.id, organizationID: org.id, db: db))
    }

    /// The incident as a caller sends it: deliberately non-canonical JSON (spaces, an escaped slash, raw UTF-8, a
    /// float written `10.0`, `1E3`), `data` keys in another order than Sentry's and one key Sentry never sends.
    static func dataJSON(installation: String) -> String {
        #"""
        {"description_title": "Critical: Too many errors", "web_url": "https:\/\/sentry.example\/organizations\/baz\/alerts\/1\/",
         "metric_alert": {"id": "4", "identifier": "1", "organization_id": "5", "projects": ["bar"],
          "alert_rule": {"id": "7", "name": "Too many errors", "aggregate": "count()", "threshold_type": 0,
           "resolve_threshold": null, "time_window": 10.0, "query": "level:error",
           "triggers": [{"id": "12", "label": "critical", "action_type": "critical", "alert_threshold": 1E3,
            "actions": [{"id": "3", "type": "sentry_app", "sentry_app_installation_uuid": "\#(installation)",
             "settings": [{"name": "channel", "value": "#alerts"}]}]}]},
          "status": 20, "status_method": 3, "type": 2, "title": "Sacred Marmot ü 😀",
          "date_started": "2020-09-13T12:26:40.000000Z", "date_closed": null},
         "description_text": "1000 events in the last 10 minutes\nFilter: level:error", "not_sentry": 1}
        """#
    }

    /// The exact body Sentry would send for that incident: the envelope in Sentry's key order, `data` in
    /// `build_incident_attachment`'s order, the incident as given, compact, ASCII, `/` unescaped.
    static func expectedBody(action: String, installation: String) -> String {
        ##"{"action":"\##(action)","installation":{"uuid":"\##(installation)"},"data":{"metric_alert":{"id":"4","identifier":"1","organization_id":"5","projects":["bar"],"alert_rule":{"id":"7","name":"Too many errors","aggregate":"count()","threshold_type":0,"resolve_threshold":null,"time_window":10.0,"query":"level:error","triggers":[{"id":"12","label":"critical","action_type":"critical","alert_threshold":1000.0,"actions":[{"id":"3","type":"sentry_app","sentry_app_installation_uuid":"\##(installation)","settings":[{"name":"channel","value":"#alerts"}]}]}]},"status":20,"status_method":3,"type":2,"title":"Sacred Marmot \u00fc \ud83d\ude00","date_started":"2020-09-13T12:26:40.000000Z","date_closed":null},"description_text":"1000 events in the last 10 minutes\nFilter: level:error","description_title":"Critical: Too many errors","web_url":"https://sentry.example/organizations/baz/alerts/1/"},"actor":{"type":"application","id":"sentry","name":"Sentry"}}"##
    }

    static func body(app: Fixtures.App, action: String, data: String) -> String {
        #"{"sentry_app":"\#(app.slug)","action":"\#(action)","data":\#(data)}"#
    }

    static func send(
        _ setup: Setup, action: String = "critical", token: String? = nil, headers: [(String, String)] = []
    ) throws -> TestHTTP.Response {
        try TestHTTP.api(
            "POST", "/api/0/organizations/\(setup.org.slug)/metric-alerts", token: token ?? Fixtures.admin,
            json: body(app: setup.app, action: action, data: dataJSON(installation: setup.installation)), headers: headers)
    }

    static func now() -> Int { Int(Date().timeIntervalSince1970) }

    // MARK: The webhook as received

    @Test(arguments: ["critical", "warning", "resolved"])
    func bodyAndHeadersAreExactAndVerifiable(action: String) throws {
        try Fixtures.requireServices()
        let setup = try Self.setup(rules: [Rule(status: 200, body: #"{"received":true}"#)])
        let token = try Fixtures.makeToken(org: setup.org, scopes: ["alerts:write"])
        let started = Self.now()
        let response = try Self.send(setup, action: action, token: token)
        let (deliveryID, record) = try AlertDeliveryEndToEndTests.delivery(response)
        #expect(record["status"] as? String == "delivered")
        #expect(record["event_type"] as? String == "metric_alert.\(action)")
        #expect(record["attempts"] as? Int == 1)
        #expect(record["response_code"] as? Int == 200)
        let requestID = record["request_id"] as? String

        let received = try Receiver.requests(path: setup.app.path)
        try #require(received.count == 1, "receiver got \(received.count) requests")
        let hook = received[0]
        let expected = Self.expectedBody(action: action, installation: setup.installation)
        #expect(String(decoding: hook.body, as: UTF8.self) == expected)
        #expect(hook.body == Array(expected.utf8))
        #expect(try Fixtures.pythonReserialized(hook.body) == hook.body, "fixed point of json.dumps(..., separators=(',', ':'))")

        for name in ["Content-Type", "Request-ID", "Sentry-Hook-Resource", "Sentry-Hook-Timestamp", "Sentry-Hook-Signature",
                     "webhook-id", "webhook-timestamp", "webhook-signature"]
        {
            #expect(hook.headers(named: name).count == 1, "\(name): \(hook.headers(named: name))")
        }
        #expect(hook.header("Content-Type") == "application/json")
        #expect(hook.header("Request-ID") == requestID)
        #expect(hook.header("Sentry-Hook-Resource") == "metric_alert")
        let timestamp = try #require(hook.header("Sentry-Hook-Timestamp").flatMap { Int($0) })
        #expect(timestamp >= started - 5 && timestamp <= Self.now() + 5)
        #expect(hook.header("webhook-id") == record["webhook_id"] as? String)
        // Recomputed here over the raw bytes, and checked by the off-the-shelf Standard Webhooks verifier.
        #expect(hook.header("Sentry-Hook-Signature") == Fixtures.hmacHex(hook.body, secret: setup.app.secret))
        #expect(hook.header("Sentry-Hook-Signature") != Fixtures.hmacHex(hook.body, secret: setup.app.secret + "x"))
        let verdicts = try Fixtures.verifyStandardWebhook(
            body: hook.body, headers: hook.headers, secrets: [setup.app.secret, "not-" + setup.app.secret])
        #expect(verdicts.first == "ok", "\(verdicts)")
        #expect(verdicts.last != "ok", "\(verdicts)")

        // The same records as an event alert: the delivery, one request-log row with what was sent, a success.
        let db = try Fixtures.database()
        let rows = try Fixtures.logRows(appID: setup.app.id, db: db)
        try #require(rows.count == 1)
        #expect(rows[0].deliveryID == deliveryID)
        #expect(rows[0].requestBody == String(expected.prefix(1024)))
        let eventType = try db.query("SELECT event_type FROM request_log WHERE id = $1", rows[0].id)[0].decode(0, as: String.self)
        #expect(eventType == "metric_alert.\(action)")
        let stored = try db.query("SELECT resource, payload, project_id FROM deliveries WHERE id = $1", deliveryID)[0]
        #expect(try stored.decode(0, as: String.self) == "metric_alert")
        #expect(try stored.decode(1, as: String.self) == expected)
        #expect(try stored.decode(2, as: Int64?.self) == nil)
        let counters = try Fixtures.todayCounters(appID: setup.app.id, db: db)
        #expect([counters.success, counters.error, counters.timeout, counters.fatal] as [Int] == [1, 0, 0, 0])
        let read = try TestHTTP.api("GET", "/api/0/organizations/\(setup.org.slug)/alerts/\(deliveryID)", token: Fixtures.admin)
        #expect(read.status == 200)
        #expect(try read.object()["event_type"] as? String == "metric_alert.\(action)")
        // Filterable in the request log by its event type.
        let listed = try TestHTTP.api(
            "GET", "/api/0/sentry-apps/\(setup.app.slug)/requests?eventType=metric_alert.\(action)", token: Fixtures.admin
        ).array()
        #expect(listed.count == 1)
    }

    // MARK: Outcomes shared with event alerts

    @Test func retriedUntilDeliveredWithTheSameMessage() throws {
        try Fixtures.requireServices()
        let setup = try Self.setup(rules: [Rule(status: 503, body: "busy"), Rule(status: 200, body: "ok")])
        let (deliveryID, record) = try AlertDeliveryEndToEndTests.delivery(try Self.send(setup, action: "warning"))
        #expect(record["status"] as? String == "retrying")
        #expect(record["error_class"] as? String == "http")
        let db = try Fixtures.database()
        let delivered = try Fixtures.waitUntil(timeout: 25) { try Fixtures.delivery(id: deliveryID, db: db)?.status == "delivered" }
        #expect(delivered)
        let received = try Receiver.requests(path: setup.app.path)
        #expect(received.count == 2)
        #expect(Set(received.map(\.body)).count == 1, "the same body every time")
        #expect(Set(received.compactMap { $0.header("webhook-id") }).count == 1, "webhook-id stable across retries")
        #expect(received.allSatisfy { $0.header("Sentry-Hook-Resource") == "metric_alert" })
        #expect(try Fixtures.logRows(appID: setup.app.id, db: db).map(\.responseCode) == [503, 200])
        let counters = try Fixtures.todayCounters(appID: setup.app.id, db: db)
        #expect([counters.success, counters.error, counters.timeout, counters.fatal] as [Int] == [1, 1, 0, 0])
    }

    /// A metric alert's failure counts toward the same app's health as event alerts': six failing days of event alerts
    /// and a failing metric alert today make the app broken; it is disabled once, and both kinds are refused after.
    @Test func failuresCountTowardTheSameHealthAndTheBrokenRule() throws {
        try Fixtures.requireServices()
        let setup = try Self.setup(rules: [Rule(status: 404, body: "no")])
        let project = try Fixtures.makeProject(org: setup.org)
        let db = try Fixtures.database()
        // Today: an event alert's error and a metric alert's error land in the same counters.
        _ = try AlertDeliveryEndToEndTests.delivery(try Fixtures.sendAlert(app: setup.app, project: project))
        let today = try Fixtures.todayCounters(appID: setup.app.id, db: db)
        #expect(today.error == 1)
        try Fixtures.seedFailingDays(app: setup.app, days: 6, db: db)

        let (_, record) = try AlertDeliveryEndToEndTests.delivery(try Self.send(setup, action: "critical"))
        #expect(record["status"] as? String == "failed")
        #expect(record["response_code"] as? Int == 404)
        let appState = try TestHTTP.api("GET", "/api/0/sentry-apps/\(setup.app.slug)", token: Fixtures.admin).object()
        #expect(appState["is_disabled"] as? Bool == true, "the metric alert's error made the app broken")
        #expect(try Fixtures.auditRows(organizationID: setup.org.id, event: "internal-integration.disable", db: db).count == 1)

        let again = try Self.send(setup, action: "resolved")
        try Fixtures.expectError(again, 409, code: "app_disabled")
        try Fixtures.expectError(try Fixtures.sendAlert(app: setup.app, project: project), 409, code: "app_disabled")
        #expect(try Receiver.requests(path: setup.app.path).count == 2)
    }

    @Test func respondAsyncQueuesAndTheDispatcherDelivers() throws {
        try Fixtures.requireServices()
        let setup = try Self.setup(rules: [Rule(status: 200)])
        let response = try Self.send(setup, action: "resolved", headers: [("Prefer", "respond-async")])
        let (deliveryID, record) = try AlertDeliveryEndToEndTests.delivery(response, status: 202)
        #expect(record["status"] as? String == "queued")
        #expect(response.header("Location") == "/api/0/organizations/\(setup.org.slug)/alerts/\(deliveryID)")
        let db = try Fixtures.database()
        let delivered = try Fixtures.waitUntil(timeout: 20) { try Fixtures.delivery(id: deliveryID, db: db)?.status == "delivered" }
        #expect(delivered)
        let hook = try #require(try Receiver.requests(path: setup.app.path).first)
        #expect(String(decoding: hook.body, as: UTF8.self) == Self.expectedBody(action: "resolved", installation: setup.installation))
        #expect(hook.header("Sentry-Hook-Signature") == Fixtures.hmacHex(hook.body, secret: setup.app.secret))
    }

    // MARK: Bad input

    @Test func badRequestsNameTheFieldAndSendNothing() throws {
        try Fixtures.requireServices()
        let setup = try Self.setup()
        let path = "/api/0/organizations/\(setup.org.slug)/metric-alerts"
        let good = Self.dataJSON(installation: setup.installation)

        func check(_ json: String, _ status: Int, code: String? = nil, mentions: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
            let response = try TestHTTP.api("POST", path, token: Fixtures.admin, json: json)
            let object = try Fixtures.expectError(response, status, code: code, sourceLocation: sourceLocation)
            #expect((object["detail"] as? String)?.contains("'\(mentions)'") == true, "\(response.text)",
                    sourceLocation: sourceLocation)
        }
        /// `good` with `old` replaced by `new` (each must occur).
        func edited(_ old: String, _ new: String) -> String {
            #expect(good.contains(old), "fixture lacks \(old)")
            return Self.body(app: setup.app, action: "critical", data: good.replacingOccurrences(of: old, with: new))
        }
        try check(#"{"action":"critical","data":\#(good)}"#, 400, code: "missing_field", mentions: "sentry_app")
        try check(Self.body(app: setup.app, action: "fired", data: good), 422, mentions: "action")
        try check(#"{"sentry_app":"\#(setup.app.slug)","action":7,"data":\#(good)}"#, 400, code: "wrong_type", mentions: "action")
        try check(#"{"sentry_app":"\#(setup.app.slug)","action":"warning","data":[]}"#, 400, code: "wrong_type", mentions: "data")
        try check(Self.body(app: setup.app, action: "warning", data: "{}"), 400, code: "missing_field", mentions: "data.metric_alert")
        try check(edited(#""web_url": "https:\/\/sentry.example\/organizations\/baz\/alerts\/1\/","#, ""), 400,
                  code: "missing_field", mentions: "data.web_url")
        try check(edited(#""description_title": "Critical: Too many errors""#, #""description_title": 5"#), 400,
                  code: "wrong_type", mentions: "data.description_title")
        try check(edited(#""identifier": "1", "#, ""), 400, code: "missing_field", mentions: "data.metric_alert.identifier")
        try check(edited(#""title": "Sacred Marmot ü 😀""#, #""title": """#), 422, mentions: "data.metric_alert.title")
        try check(edited(#""name": "Too many errors""#, #""name": null"#), 400, code: "missing_field",
                  mentions: "data.metric_alert.alert_rule.name")
        try check(edited(#""triggers": [{"#, #""triggers": [7, {"#), 400, code: "wrong_type",
                  mentions: "data.metric_alert.alert_rule.triggers[0]")
        try check(edited(#""actions": [{"id": "3""#, #""actions": [{}, "x", {"id": "3""#), 400, code: "wrong_type",
                  mentions: "data.metric_alert.alert_rule.triggers[0].actions[1]")
        try check(edited(#""id": "4""#, #""id": "4\u0000""#), 400, code: "invalid_character", mentions: "data.metric_alert.id")

        // Whom it goes to: unknown app, another organization's app, an app not installed, an app without a webhook.
        let other = try Fixtures.makeApp(org: try Fixtures.makeOrganization())
        let published = try Fixtures.makeApp(org: setup.org, status: "published")
        let silent = try Fixtures.makeApp(org: setup.org, withoutWebhook: true)
        func send(to slug: String) throws -> TestHTTP.Response {
            try TestHTTP.api("POST", path, token: Fixtures.admin, json: #"{"sentry_app":"\#(slug)","action":"critical","data":\#(good)}"#)
        }
        try Fixtures.expectError(try send(to: "no-such-app-" + Fixtures.random(6)), 404, code: "unknown_app")
        try Fixtures.expectError(try send(to: other.slug), 404, code: "unknown_app")
        try Fixtures.expectError(try send(to: published.slug), 409, code: "not_installed")
        try Fixtures.expectError(try send(to: silent.slug), 409, code: "no_webhook_url")
        // The scope is alerts:write.
        let reader = try Fixtures.makeToken(org: setup.org, scopes: ["org:admin"])
        try Fixtures.expectError(try Self.send(setup, token: reader), 403, code: "missing_scope")

        let db = try Fixtures.database()
        for appID in [setup.app.id, other.id, published.id, silent.id] {
            #expect(try db.query("SELECT count(*)::int FROM deliveries WHERE app_id = $1", appID)[0].decode(0, as: Int.self) == 0)
        }
        #expect(try Receiver.requests(path: setup.app.path).isEmpty)
        // After all that, a good one goes through.
        let (_, record) = try AlertDeliveryEndToEndTests.delivery(try Self.send(setup))
        #expect(record["status"] as? String == "delivered")
    }
}
