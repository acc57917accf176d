import Foundation
import PostgresClient
import Testing
import SystemSupport

/// Issue 3 end to end: alerts through nginx + responder to the recording receiver, with the worker retrying, checked
/// against what the receiver really got and what the database holds.
@Suite(.enabled(if: Fixtures.servicesAvailable), .usesDatabase)
struct AlertDeliveryEndToEndTests {
    typealias Rule = Receiver.Rule

    /// An organization with one project and one app whose webhooks go to a fresh receiver path.
    struct Setup {
        var org: Fixtures.Organization
        var project: Fixtures.Project
        var app: Fixtures.App
    }

    static func setup(
        rules: [Rule]? = nil, status: String = "internal", timeoutMs: Int = 2000, appName: String? = nil
    ) throws -> Setup {
        let org = try Fixtures.makeOrganization()
        let project = try Fixtures.makeProject(org: org)
        let app = try Fixtures.makeApp(org: org, name: appName, status: status, timeoutMs: timeoutMs)
        if let rules { try Receiver.setRules(path: app.path, responses: rules) }
        return Setup(org: org, project: project, app: app)
    }

    /// The delivery record of a 201/202 alert response.
    static func delivery(_ response: TestHTTP.Response, status: Int = 201, sourceLocation: SourceLocation = #_sourceLocation) throws
        -> (id: Int64, object: [String: Any])
    {
        #expect(response.status == status, "\(response.summary)", sourceLocation: sourceLocation)
        let object = try response.object()
        let id = try #require(Fixtures.int64(object["id"]), "delivery id in \(response.text)", sourceLocation: sourceLocation)
        #expect(
            Set(object.keys).isSuperset(of: [
                "id", "request_id", "status", "attempts", "response_code", "error_class", "next_attempt_at", "date_created",
            ]), "keys \(object.keys.sorted())", sourceLocation: sourceLocation)
        return (id, object)
    }

    static func getAlert(_ setup: Setup, id: Int64) throws -> [String: Any] {
        let response = try TestHTTP.api("GET", "/api/0/organizations/\(setup.org.slug)/alerts/\(id)", token: Fixtures.admin)
        try Fixtures.expect(response, 200, "GET alert")
        return try response.object()
    }

    /// `alert_relay_webhook_attempts_total{outcome="success"}` in the test stack's workers' metrics files, summed
    /// (0 for a file not written yet).
    static func workerSuccesses() -> Int {
        ["ALERT_RELAY_TEST_WORKER_METRICS", "ALERT_RELAY_TEST_WORKER_2_METRICS"].reduce(0) { sum, variable in
            guard let path = TestEnvironment.variable(variable),
                let text = try? String(contentsOfFile: path, encoding: .utf8)
            else { return sum }
            let line = text.split(separator: "\n").first {
                $0.hasPrefix(#"alert_relay_webhook_attempts_total{outcome="success"}"#)
            }
            return sum + (line.flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0)
        }
    }

    static func isLowerHex(_ text: String?, count: Int) -> Bool {
        guard let text else { return false }
        return text.count == count && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    static func now() -> Int { Int(Date().timeIntervalSince1970) }

    // MARK: The webhook as received

    @Test func deliveryBodyAndHeadersAreExactAndVerifiable() throws {
        try Fixtures.requireServices()
        let setup = try Self.setup(rules: [Rule(status: 200, body: #"{"received":true}"#)])
        let db = try Fixtures.database()
        let installation = try Fixtures.installationUUID(appID: setup.app.id, organizationID: setup.org.id, db: db)
        let eventID = Fixtures.eventID()
        let event = #"{"event_id":"\#(eventID)","project":"\#(setup.project.slug)","group_id":42,"title":"Boom","level":"error","tags":[["k","v"]],"count":3}"#
        let extra = ##"{"id":17,"title":"High error rate","sentry_app_id":"\##(setup.app.uuid)","settings":[{"name":"channel","value":"#alerts"}]}"##
        let token = try Fixtures.makeToken(org: setup.org, scopes: ["alerts:write"])
        let started = Self.now()
        let response = try TestHTTP.api(
            "POST", "/api/0/organizations/\(setup.org.slug)/alerts", token: token,
            json: #"{"sentry_app":"\#(setup.app.slug)","rule":"High error rate","event":\#(event),"additional_payload_key":"issue_alert","additional_payload":\#(extra)}"#)
        let (deliveryID, record) = try Self.delivery(response)
        #expect(record["status"] as? String == "delivered")
        #expect(record["attempts"] as? Int == 1)
        #expect(record["response_code"] as? Int == 200)
        #expect(record["error_class"] is NSNull)
        let requestID = record["request_id"] as? String
        #expect(Self.isLowerHex(requestID, count: 32), "request_id \(requestID ?? "nil")")

        let received = try Receiver.requests(path: setup.app.path)
        try #require(received.count == 1, "receiver got \(received.count) requests")
        let hook = received[0]
        #expect(hook.method == "POST")

        // The body, byte for byte (BEHAVIOUR A2): the event keeps its fields and order, `project` becomes the numeric
        // id in place, the four link fields are appended, the extra payload sits under its key.
        let prefix = Fixtures.urlPrefix
        let org = setup.org.slug
        let expected = #"{"action":"triggered","installation":{"uuid":"\#(installation)"},"data":{"event":{"event_id":"\#(eventID)","project":\#(setup.project.id),"group_id":42,"title":"Boom","level":"error","tags":[["k","v"]],"count":3,"url":"\#(prefix)/api/0/projects/\#(org)/\#(setup.project.slug)/events/\#(eventID)/","web_url":"\#(prefix)/organizations/\#(org)/issues/42/events/\#(eventID)/","issue_url":"\#(prefix)/api/0/issues/42/","issue_id":"42"},"triggered_rule":"High error rate","issue_alert":\#(extra)},"actor":{"type":"application","id":"sentry","name":"Sentry"}}"#
        #expect(String(decoding: hook.body, as: UTF8.self) == expected)
        #expect(hook.body == Array(expected.utf8))

        // Every header exactly once, with the right value.
        for name in ["Content-Type", "Request-ID", "Sentry-Hook-Resource", "Sentry-Hook-Timestamp", "Sentry-Hook-Signature",
                     "webhook-id", "webhook-timestamp", "webhook-signature"]
        {
            #expect(hook.headers(named: name).count == 1, "\(name): \(hook.headers(named: name))")
        }
        #expect(hook.header("Content-Type") == "application/json")
        #expect(hook.header("Request-ID") == requestID)
        #expect(hook.header("Sentry-Hook-Resource") == "event_alert")
        let timestamp = try #require(hook.header("Sentry-Hook-Timestamp").flatMap { Int($0) })
        #expect(timestamp >= started - 5 && timestamp <= Self.now() + 5, "timestamp \(timestamp) vs now \(Self.now())")
        let webhookTimestamp = try #require(hook.header("webhook-timestamp").flatMap { Int($0) })
        #expect(abs(webhookTimestamp - timestamp) <= 1)

        // Sentry-Hook-Signature computed here, independently, over the raw received bytes.
        #expect(hook.header("Sentry-Hook-Signature") == Fixtures.hmacHex(hook.body, secret: setup.app.secret))
        #expect(hook.header("Sentry-Hook-Signature") != Fixtures.hmacHex(hook.body, secret: setup.app.secret + "x"))

        // webhook-signature checked by the off-the-shelf verifier; a wrong secret must not verify.
        let verdicts = try Fixtures.verifyStandardWebhook(
            body: hook.body, headers: hook.headers, secrets: [setup.app.secret, "not-" + setup.app.secret])
        #expect(verdicts.first == "ok", "\(verdicts)")
        #expect(verdicts.last != "ok", "\(verdicts)")
        #expect(hook.header("webhook-signature")?.split(separator: " ").count == 1)

        // The request log holds exactly what was sent.
        let rows = try Fixtures.logRows(appID: setup.app.id, db: db)
        try #require(rows.count == 1)
        #expect(rows[0].deliveryID == deliveryID)
        #expect(rows[0].attempt == 1)
        #expect(rows[0].responseCode == 200)
        #expect(rows[0].errorClass == nil)
        #expect(rows[0].requestBody == expected)
        #expect(rows[0].responseBody == #"{"received":true}"#)
        #expect(rows[0].webhookURL == setup.app.webhookURL)
        let logged = try #require(try JSONSerialization.jsonObject(with: Data(rows[0].requestHeaders.utf8)) as? [[String]])
        for name in ["Request-ID", "Sentry-Hook-Timestamp", "Sentry-Hook-Signature", "webhook-id", "webhook-signature"] {
            let loggedValue = logged.first { $0.first?.lowercased() == name.lowercased() }?.last
            #expect(loggedValue == hook.header(name), "logged \(name)")
        }

        // Health: one success today. Delivery record: delivered, one attempt in the log.
        let counters = try Fixtures.todayCounters(appID: setup.app.id, db: db)
        #expect([counters.success, counters.error, counters.timeout, counters.fatal] as [Int] == [1, 0, 0, 0])
        let stored = try Self.getAlert(setup, id: deliveryID)
        #expect(stored["status"] as? String == "delivered")
        let attempts = try #require(stored["attempt_log"] as? [[String: Any]])
        #expect(attempts.count == 1)
        #expect(attempts.first?["attempt"] as? Int == 1)
        #expect(attempts.first?["response_code"] as? Int == 200)
    }

    /// A JSON string body (without quotes), deliberately non-canonical: raw UTF-8 and `\\u` escapes, an escaped slash,
    /// quotes, backslash, control characters and DEL.
    static let trickyMessageJSON = #"Grüße — 日本語 😀 \u00e9t\u00E9 a\/b \"quoted\" back\\slash\nline2\ttab\r\b\f\u0001\u001f\u007f end"#

    /// Python that prints "ok" when the webhook body (stdin) carries that message, the emoji and the rule unchanged.
    static let trickyMessageCheck = """
        import json, sys
        body = json.loads(sys.stdin.buffer.read())
        expected = "Grüße — 日本語 😀 été a/b \\"quoted\\" back\\\\slash\\nline2\\ttab\\r\\b\\f\\u0001\\u001f\\u007f end"
        ok = body["data"]["event"]["message"] == expected and body["data"]["event"]["emoji"] == "\\U0001F600"
        ok = ok and body["data"]["triggered_rule"] == "r/ü"
        print("ok" if ok else repr(body["data"]["event"]["message"]))
        """

    @Test func bodyIsAFixedPointOfPythonCompactJSON() throws {
        try Fixtures.requireServices()
        let setup = try Self.setup()
        let eventID = Fixtures.eventID()
        // Input deliberately non-canonical: raw UTF-8 and \u escapes, escaped slash, odd float spellings.
        let message = Self.trickyMessageJSON
        let event = #"{"event_id":"\#(eventID)","project":\#(setup.project.id),"group_id":9,"message":"\#(message)","extra":{"ratio":1.0,"tenth":0.1,"tiny":1E-7,"big":10000000000000000.0,"neg":-2.50,"exp":1.5e300,"small":0.00001,"int":12345678901234567890,"zero":0,"list":[1.25,-0.5,3e2]},"path":"/api/0/x/","emoji":"\ud83d\ude00"}"#
        let response = try TestHTTP.api(
            "POST", "/api/0/organizations/\(setup.org.slug)/alerts", token: Fixtures.admin,
            json: #"{"sentry_app":"\#(setup.app.slug)","rule":"r/ü","event":\#(event)}"#)
        let (_, record) = try Self.delivery(response)
        #expect(record["status"] as? String == "delivered")
        let body = try #require(try Receiver.requests(path: setup.app.path).first).body

        #expect(body.allSatisfy { $0 < 0x80 }, "ASCII only")
        #expect(try Fixtures.pythonReserialized(body) == body, "fixed point of json.dumps(..., separators=(',', ':'))")
        let text = String(decoding: body, as: UTF8.self)
        #expect(!text.contains(#"\/"#), "slash not escaped")
        #expect(text.contains(#""path":"/api/0/x/""#))
        #expect(text.contains(#"\ud83d\ude00"#), "emoji as a lowercase surrogate pair")
        #expect(text.contains(#""ratio":1.0,"tenth":0.1,"tiny":1e-07,"big":1e+16,"neg":-2.5,"exp":1.5e+300,"small":1e-05,"int":12345678901234567890,"zero":0,"list":[1.25,-0.5,300.0]"#))
        #expect(text.contains(#""issue_id":"9""#))
        #expect(text.contains(#""project":\#(setup.project.id),"#))
        // The content survived: Python sees the same message as the input described.
        let check = try Fixtures.python(Self.trickyMessageCheck, stdin: body)
        #expect(check.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "ok", "\(check.stdout) \(check.stderr)")
    }

    // MARK: Outcomes (BEHAVIOUR A3 + B3)

    struct OutcomeCase: Sendable, CustomTestStringConvertible {
        var name: String
        var rules: [Rule]
        var timeoutMs = 2000
        /// Send to a closed port on 127.0.0.2 instead of the receiver.
        var refused = false
        var deliveryStatus: String
        var responseCode: Int
        /// nil: not checked (3xx: not an error).
        var errorClass: String??
        var counter: String?
        var retries: Bool
        var disables = false
        /// After the retry (the receiver's next rule is 200) the delivery ends `delivered`.
        var recovers = false
        var testDescription: String { name }
    }

    static let outcomeCases: [OutcomeCase] = [
        OutcomeCase(name: "200 delivered", rules: [Rule(status: 200, body: "ok-200")], deliveryStatus: "delivered",
                    responseCode: 200, errorClass: .some(nil), counter: "success", retries: false),
        OutcomeCase(name: "302 failed, not followed", rules: [Rule(status: 302, headers: ["Location": "/followed"], body: "moved")],
                    deliveryStatus: "failed", responseCode: 302, errorClass: nil, counter: nil, retries: false),
        OutcomeCase(name: "429 retrying, no counter", rules: [Rule(status: 429, body: "slow down"), Rule(status: 200)],
                    deliveryStatus: "retrying", responseCode: 429, errorClass: "http", counter: nil, retries: true, recovers: true),
        OutcomeCase(name: "404 failed, error", rules: [Rule(status: 404, body: "no such hook")], deliveryStatus: "failed",
                    responseCode: 404, errorClass: "http", counter: "error", retries: false),
        OutcomeCase(name: "410 fatal, disabled", rules: [Rule(status: 410, body: "gone")], deliveryStatus: "failed",
                    responseCode: 410, errorClass: "http", counter: "fatal", retries: false, disables: true),
        OutcomeCase(name: "500 retrying, error", rules: [Rule(status: 500, body: "boom"), Rule(status: 200)],
                    deliveryStatus: "retrying", responseCode: 500, errorClass: "http", counter: "error", retries: true, recovers: true),
        OutcomeCase(name: "hang beyond timeout", rules: [Rule(status: 200, body: "late", hangSeconds: 3), Rule(status: 200)],
                    timeoutMs: 500, deliveryStatus: "retrying", responseCode: 0, errorClass: "timeout", counter: "timeout",
                    retries: true, recovers: true),
        OutcomeCase(name: "connection refused", rules: [], refused: true, deliveryStatus: "retrying", responseCode: 0,
                    errorClass: "connect", counter: "timeout", retries: true),
    ]

    @Test(arguments: outcomeCases)
    func outcome(_ scenario: OutcomeCase) throws {
        try Fixtures.requireServices()
        var setup = try Self.setup(rules: scenario.rules.isEmpty ? nil : scenario.rules, timeoutMs: scenario.timeoutMs)
        let followedPath = setup.app.path + "/followed"
        if scenario.name.hasPrefix("302") {
            try Receiver.setRules(path: setup.app.path, responses: [
                Rule(status: 302, headers: ["Location": Fixtures.receiverURL + followedPath], body: "moved"),
            ])
        }
        let db = try Fixtures.database()
        if scenario.refused {
            let port = try TestHTTP.closedPort(host: "127.0.0.2")
            let url = "http://127.0.0.2:\(port)/refused"
            let update = try TestHTTP.api(
                "PUT", "/api/0/sentry-apps/\(setup.app.slug)", token: Fixtures.admin, json: #"{"webhook_url":"\#(url)"}"#)
            #expect(update.status == 200, "\(update.summary)")
            setup.app.webhookURL = url
        }

        let started = Date()
        let (deliveryID, record) = try Self.delivery(try Fixtures.sendAlert(app: setup.app, project: setup.project))
        #expect(record["status"] as? String == scenario.deliveryStatus)
        #expect(record["attempts"] as? Int == 1)
        #expect(record["response_code"] as? Int == scenario.responseCode)
        if case .some(let expectedClass) = scenario.errorClass {
            #expect(record["error_class"] as? String == expectedClass, "error_class \(record["error_class"] ?? "nil")")
        }
        if scenario.retries {
            #expect(record["next_attempt_at"] is String, "next_attempt_at \(record["next_attempt_at"] ?? "nil")")
        } else {
            #expect(record["next_attempt_at"] is NSNull)
        }

        // Counters and log right after the first attempt, read in one statement so that a retry cannot slip between.
        let snapshot = try db.query(
            """
            SELECT coalesce((SELECT sum(success) FROM health_counters WHERE app_id = $1), 0)::int,
                   coalesce((SELECT sum(error) FROM health_counters WHERE app_id = $1), 0)::int,
                   coalesce((SELECT sum(timeout) FROM health_counters WHERE app_id = $1), 0)::int,
                   coalesce((SELECT sum(fatal) FROM health_counters WHERE app_id = $1), 0)::int,
                   (SELECT count(*) FROM request_log WHERE app_id = $1 AND response_code = $2)::int,
                   (SELECT count(*) FROM request_log WHERE app_id = $1 AND response_code BETWEEN 200 AND 299)::int,
                   (SELECT count(*) FROM health_counters WHERE app_id = $1)::int
            """, setup.app.id, scenario.responseCode)[0]
        let success = try snapshot.decode(0, as: Int.self)
        let errors = try snapshot.decode(1, as: Int.self)
        let timeouts = try snapshot.decode(2, as: Int.self)
        let fatals = try snapshot.decode(3, as: Int.self)
        let firstKindRows = try snapshot.decode(4, as: Int.self)
        let successRows = try snapshot.decode(5, as: Int.self)
        let counterRows = try snapshot.decode(6, as: Int.self)
        switch scenario.counter {
        case "success":
            #expect([success, errors, timeouts, fatals] as [Int] == [1, 0, 0, 0])
        case "error":
            #expect(errors == 1 && timeouts == 0 && fatals == 0 && success == successRows, "\([success, errors, timeouts, fatals])")
        case "timeout":
            #expect(timeouts == firstKindRows && timeouts >= 1 && errors == 0 && fatals == 0 && success == successRows,
                    "\([success, errors, timeouts, fatals]) with \(firstKindRows) rows")
        case "fatal":
            // Counted, then cleared by the disable it triggered.
            #expect(counterRows == 0, "health counters cleared on disable")
        default:
            #expect(errors == 0 && timeouts == 0 && fatals == 0 && success == successRows, "\([success, errors, timeouts, fatals])")
        }

        let rows = try Fixtures.logRows(appID: setup.app.id, db: db)
        let first = try #require(rows.first)
        #expect(first.deliveryID == deliveryID)
        #expect(first.attempt == 1)
        #expect(first.responseCode == scenario.responseCode)
        if case .some(let expectedClass) = scenario.errorClass { #expect(first.errorClass == expectedClass) }
        #expect(first.webhookURL == setup.app.webhookURL)
        let payload = try #require(try db.query("SELECT payload FROM deliveries WHERE id = $1", deliveryID).first)
            .decode(0, as: String.self)
        #expect(first.requestBody == payload, "bodies are kept for every entry")
        if scenario.responseCode > 0, let expectedBody = scenario.rules.first?.body {
            #expect(first.responseBody == expectedBody)
        } else {
            #expect(first.responseBody.isEmpty)
        }

        if scenario.retries {
            // Schedule 1,1,1 with ±20% jitter: due about a second after the attempt was recorded.
            let due = try db.query(
                """
                SELECT extract(epoch FROM ($2::timestamptz - l.date))::float8 FROM request_log l
                WHERE l.delivery_id = $1 AND l.attempt = 1
                """, deliveryID, try #require(record["next_attempt_at"] as? String))
            let secondsAfterAttempt = try #require(due.first).decode(0, as: Double.self)
            #expect(secondsAfterAttempt >= 0.8 && secondsAfterAttempt <= 1.2 + Date().timeIntervalSince(started),
                    "retry due \(secondsAfterAttempt) s after the attempt")
        } else {
            #expect(try Fixtures.secondsUntilRetry(deliveryID: deliveryID, db: db) == nil, "no retry")
            #expect(try Fixtures.pendingDeliveries(appID: setup.app.id, db: db) == 0, "nothing left to attempt")
        }

        let appState = try TestHTTP.api("GET", "/api/0/sentry-apps/\(setup.app.slug)", token: Fixtures.admin).object()
        #expect(appState["is_disabled"] as? Bool == scenario.disables)
        let disables = try Fixtures.auditRows(organizationID: setup.org.id, event: "internal-integration.disable", db: db)
        #expect(disables.count == (scenario.disables ? 1 : 0))

        if scenario.name.hasPrefix("302") {
            Thread.sleep(forTimeInterval: 0.5)
            #expect(try Receiver.requests(path: followedPath).isEmpty, "redirect not followed")
            #expect(try Receiver.requests(path: setup.app.path).count == 1)
        }
        if scenario.recovers {
            let delivered = try Fixtures.waitUntil(timeout: 25) {
                try Fixtures.delivery(id: deliveryID, db: db)?.status == "delivered"
            }
            #expect(delivered, "the worker's retry delivered it")
            let final = try #require(try Fixtures.delivery(id: deliveryID, db: db))
            #expect(final.attempts == 2)
            #expect(final.responseCode == 200)
            let counters = try Fixtures.todayCounters(appID: setup.app.id, db: db)
            #expect(counters.success == 1)
            #expect(counters.error == (scenario.counter == "error" ? 1 : 0))
            #expect(counters.timeout == (scenario.counter == "timeout" ? 1 : 0))
            // The retry is the same message: same body and webhook-id.
            let received = try Receiver.requests(path: setup.app.path)
            #expect(received.count == 2)
            if received.count == 2 {
                #expect(received[0].body == received[1].body)
                #expect(received[0].header("webhook-id") == received[1].header("webhook-id"))
            }
        }
        if scenario.refused {
            let retried = try Fixtures.waitUntil(timeout: 25) {
                (try Fixtures.delivery(id: deliveryID, db: db)?.attempts ?? 0) >= 2
            }
            #expect(retried, "the worker retried the refused connection")
            let classes = Set(try Fixtures.logRows(appID: setup.app.id, db: db).compactMap(\.errorClass))
            #expect(classes == ["connect"])
        }
    }

    // MARK: The broken rule through the service

    @Test func sevenFailingDaysDisableTheAppOnceAndMailTheOwners() throws {
        try Fixtures.requireServices()
        let appName = "e2e broken-hook \(Fixtures.random(6))"
        let setup = try Self.setup(rules: [Rule(status: 500, body: "down")], appName: appName)
        let owners = [try Fixtures.makeMember(org: setup.org, role: "owner"), try Fixtures.makeMember(org: setup.org, role: "owner")]
        let member = try Fixtures.makeMember(org: setup.org, role: "member")
        let manager = try Fixtures.makeMember(org: setup.org, role: "manager")
        let db = try Fixtures.database()
        try Fixtures.seedFailingDays(app: setup.app, days: 6, db: db)

        let (deliveryID, answered) = try Self.delivery(try Fixtures.sendAlert(app: setup.app, project: setup.project))
        // The 500 would be retried, but the disable it triggered cancelled that: the response says so.
        #expect(answered["status"] as? String == "failed")
        #expect(answered["error_class"] as? String == "app_disabled")
        #expect(answered["next_attempt_at"] is NSNull)
        // The disable is committed before the response: no waiting needed.
        let appState = try TestHTTP.api("GET", "/api/0/sentry-apps/\(setup.app.slug)", token: Fixtures.admin).object()
        #expect(appState["is_disabled"] as? Bool == true)
        #expect(appState["disabled_at"] is String)
        #expect(try Fixtures.healthRows(appID: setup.app.id, db: db).isEmpty, "health buffer cleared")

        let audit = try Fixtures.auditRows(organizationID: setup.org.id, event: "internal-integration.disable", db: db)
        try #require(audit.count == 1)
        #expect(audit[0].actor == "Sentry")
        let data = try JSONSerialization.jsonObject(with: Data(audit[0].data.utf8)) as? NSDictionary
        #expect(data == ["name": appName] as NSDictionary)
        // Also visible through the API.
        let listed = try TestHTTP.api(
            "GET", "/api/0/organizations/\(setup.org.slug)/audit-logs?event=internal-integration.disable", token: Fixtures.admin
        ).array()
        #expect(listed.count == 1 && listed.first?["actor"] as? String == "Sentry")

        let jobs = try Fixtures.emailJobs(to: owners + [member, manager], db: db)
        #expect(jobs.map(\.to).sorted() == owners.sorted(), "one job per owner, none for others")
        let title = try Fixtures.pythonTitle(appName)
        let settings = "\(Fixtures.urlPrefix)/settings/\(setup.org.slug)/developer-settings/\(setup.app.slug)/"
        for job in jobs {
            #expect(job.subject == "Action required: Fix your \(title) integration")
            for part in [job.text, job.html] {
                #expect(part.contains(settings + "?referrer=disabled-sentry-app"), "fix link in \(part.prefix(2000))")
                #expect(part.contains(settings + "dashboard/?referrer=disabled-sentry-app"), "dashboard link")
                #expect(part.contains(setup.app.webhookURL), "names the webhook URL")
            }
        }

        // The retry scheduled by that 500 is cancelled: nothing more reaches the receiver.
        let next = try Fixtures.sendAlert(app: setup.app, project: setup.project)
        #expect(next.status == 409, "\(next.summary)")
        #expect(try next.object()["code"] as? String == "app_disabled")
        Thread.sleep(forTimeInterval: 3)
        #expect(try Receiver.requests(path: setup.app.path).count == 1)
        #expect(try Fixtures.delivery(id: deliveryID, db: db)?.status == "failed", "a retry that will never run is not 'retrying'")
        #expect(try Fixtures.pendingDeliveries(appID: setup.app.id, db: db) == 0, "nothing left to attempt")

        // Enable: counters empty, audit entry, alerts flow again.
        let enabled = try TestHTTP.api("POST", "/api/0/sentry-apps/\(setup.app.slug)/enable", token: Fixtures.admin)
        #expect(enabled.status == 200, "\(enabled.summary)")
        #expect(try enabled.object()["is_disabled"] as? Bool == false)
        #expect(try Fixtures.healthRows(appID: setup.app.id, db: db).isEmpty)
        let enableAudit = try Fixtures.auditRows(organizationID: setup.org.id, event: "internal-integration.enable", db: db)
        #expect(enableAudit.count == 1)
        #expect(enableAudit.first?.actor == "admin")
        try Receiver.setRules(path: setup.app.path, responses: [Rule(status: 200)])
        let (_, again) = try Self.delivery(try Fixtures.sendAlert(app: setup.app, project: setup.project))
        #expect(again["status"] as? String == "delivered")
        #expect(try Receiver.requests(path: setup.app.path).count == 2)
        #expect(try Fixtures.emailJobs(to: owners, db: db).count == 2, "no further e-mail")
        let health = try TestHTTP.api("GET", "/api/0/sentry-apps/\(setup.app.slug)/health", token: Fixtures.admin).object()
        #expect(health["state"] as? String == "active")
        #expect(health["broken"] as? Bool == false)
    }

    @Test func concurrentFailuresDisableExactlyOnce() throws {
        try Fixtures.requireServices()
        let setup = try Self.setup(rules: [Rule(status: 404, body: "nope")])
        let owners = [try Fixtures.makeMember(org: setup.org, role: "owner"), try Fixtures.makeMember(org: setup.org, role: "owner")]
        let db = try Fixtures.database()
        try Fixtures.seedFailingDays(app: setup.app, days: 6, db: db)

        let statuses = SleepingMutex<[Int]>([])
        let failures = SleepingMutex<[String]>([])
        let done = DispatchGroup()
        let body = Fixtures.alertBody(app: setup.app, project: setup.project)
        let path = "/api/0/organizations/\(setup.org.slug)/alerts"
        let gate = DispatchSemaphore(value: 0)
        for _ in 0..<20 {
            done.enter()
            Thread {
                gate.wait()
                do {
                    let response = try TestHTTP.api("POST", path, token: Fixtures.admin, json: body)
                    statuses.withLock { $0.append(response.status) }
                } catch {
                    failures.withLock { $0.append("\(error)") }
                }
                done.leave()
            }.start()
        }
        for _ in 0..<20 { gate.signal() }
        done.wait()

        #expect(failures.withLock { $0 }.isEmpty)
        let codes = statuses.withLock { $0 }
        #expect(codes.count == 20)
        // Beyond the responder's inline limit per app, alerts are queued (202) for the dispatcher.
        #expect(codes.allSatisfy { $0 == 201 || $0 == 202 || $0 == 409 }, "\(codes)")
        #expect(codes.contains(201))
        let settled = Fixtures.waitUntil(timeout: 20) {
            (try? Fixtures.pendingDeliveries(appID: setup.app.id, db: db)) == 0
        }
        #expect(settled, "queued deliveries are attempted, or failed once the app is disabled")
        #expect(try Fixtures.auditRows(organizationID: setup.org.id, event: "internal-integration.disable", db: db).count == 1)
        let jobs = try Fixtures.emailJobs(to: owners, db: db)
        #expect(jobs.map(\.to).sorted() == owners.sorted(), "exactly one e-mail job per owner")
        let appState = try TestHTTP.api("GET", "/api/0/sentry-apps/\(setup.app.slug)", token: Fixtures.admin).object()
        #expect(appState["is_disabled"] as? Bool == true)
        // Every accepted alert has its delivery, every 409 none; every attempt made reached the receiver (one log
        // row each), and every 201 was attempted.
        let deliveries = try db.query("SELECT count(*)::int FROM deliveries WHERE app_id = $1", setup.app.id)[0]
            .decode(0, as: Int.self)
        #expect(deliveries == codes.filter { $0 != 409 }.count)
        let logged = try Fixtures.logRows(appID: setup.app.id, db: db).count
        #expect(try Receiver.requests(path: setup.app.path).count == logged)
        #expect(logged >= codes.filter { $0 == 201 }.count)
    }

    // MARK: SSRF guard

    @Test func loopbackTargetsAreBlockedAndRedirectsNotFollowed() throws {
        try Fixtures.requireServices()
        let port = try Fixtures.canaryPort()
        let canaryBefore = try Fixtures.canaryLog()
        #expect(canaryBefore.isEmpty, "canary already contacted: \(canaryBefore.prefix(500))")
        let db = try Fixtures.database()
        let org = try Fixtures.makeOrganization()
        let project = try Fixtures.makeProject(org: org)
        let targets = [
            "http://127.0.0.1:\(port)/", "http://[::1]:\(port)/", "http://[::ffff:127.0.0.1]:\(port)/",
            "http://localhost:\(port)/",
        ]
        for target in targets {
            var app = try Fixtures.makeApp(org: org)
            let update = try TestHTTP.api(
                "PUT", "/api/0/sentry-apps/\(app.slug)", token: Fixtures.admin, json: #"{"webhook_url":"\#(target)"}"#)
            if update.status == 422 {
                // Refused when saved as well: put it in place behind the API's back to test the send-time guard.
                try db.execute("UPDATE apps SET webhook_url = $1 WHERE id = $2", target, app.id)
            } else {
                #expect(update.status == 200, "\(target): \(update.summary)")
            }
            app.webhookURL = target
            let (deliveryID, record) = try Self.delivery(try Fixtures.sendAlert(app: app, project: project))
            #expect(record["status"] as? String == "failed", "\(target): \(record)")
            #expect(record["error_class"] as? String == "blocked", "\(target): \(record)")
            let rows = try Fixtures.logRows(appID: app.id, db: db)
            #expect(rows.count == 1 && rows.first?.errorClass == "blocked" && rows.first?.responseCode == 0, "\(target)")
            #expect(try Fixtures.secondsUntilRetry(deliveryID: deliveryID, db: db) == nil, "\(target): no retry")
            #expect(try Fixtures.pendingDeliveries(appID: app.id, db: db) == 0, "\(target): nothing left to attempt")
        }

        // A receiver redirecting to the canary: not followed.
        let app = try Fixtures.makeApp(org: org)
        try Receiver.setRules(path: app.path, responses: [
            Rule(status: 302, headers: ["Location": "http://127.0.0.1:\(port)/"], body: ""),
        ])
        let (_, record) = try Self.delivery(try Fixtures.sendAlert(app: app, project: project))
        #expect(record["status"] as? String == "failed")
        #expect(record["response_code"] as? Int == 302)

        Thread.sleep(forTimeInterval: 1)
        let canary = try Fixtures.canaryLog()
        #expect(canary.isEmpty, "the canary was contacted: \(canary.prefix(500))")
    }

    // MARK: Bad input

    @Test func badAlertRequestsAreRefusedAndNothingIsSent() throws {
        try Fixtures.requireServices()
        let setup = try Self.setup()
        let other = try Fixtures.makeOrganization()
        let otherApp = try Fixtures.makeApp(org: other)
        let published = try Fixtures.makeApp(org: setup.org, status: "published")
        let path = "/api/0/organizations/\(setup.org.slug)/alerts"
        let app = setup.app.slug
        let project = setup.project.slug
        let good = Fixtures.eventID()

        func check(_ json: String, _ status: Int, code: String? = nil, mentions: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) throws {
            let response = try TestHTTP.api("POST", path, token: Fixtures.admin, json: json)
            #expect(response.status == status, "\(response.summary)", sourceLocation: sourceLocation)
            let object = try response.object()
            if let code { #expect(object["code"] as? String == code, "\(response.text)", sourceLocation: sourceLocation) }
            if let mentions {
                #expect((object["detail"] as? String)?.contains(mentions) == true, "\(response.text)", sourceLocation: sourceLocation)
            }
        }
        try check(#"{"sentry_app":"\#(app)","rule":"r","event":{"event_id":"#, 400, code: "malformed_json")
        try check(#"{"sentry_app":"\#(app)","rule":"r","event":{"project":"\#(project)","group_id":1}}"#, 400, mentions: "event_id")
        try check(#"{"sentry_app":"\#(app)","rule":"r","event":{"event_id":"\#(String(repeating: "z", count: 32))","project":"\#(project)","group_id":1}}"#,
                  422, mentions: "event_id")
        try check(#"{"sentry_app":"\#(app)","rule":"r","event":{"event_id":"\#(good.prefix(31))","project":"\#(project)","group_id":1}}"#,
                  422, mentions: "event_id")
        try check(#"{"sentry_app":"\#(app)","rule":"r","event":{"event_id":"\#(good)","project":"no-such-project","group_id":1}}"#, 404)
        try check(#"{"sentry_app":"\#(otherApp.slug)","rule":"r","event":{"event_id":"\#(good)","project":"\#(project)","group_id":1}}"#, 404)
        try check(#"{"sentry_app":"no-such-app-\#(Fixtures.random(6))","rule":"r","event":{"event_id":"\#(good)","project":"\#(project)","group_id":1}}"#, 404)
        try check(#"{"sentry_app":"\#(published.slug)","rule":"r","event":{"event_id":"\#(good)","project":"\#(project)","group_id":1}}"#,
                  409, code: "not_installed")
        try check(#"{"sentry_app":"\#(app)","rule":"r","event":{"event_id":"\#(good)","project":"\#(project)","group_id":"x1"}}"#, 400, mentions: "group_id")

        let huge = String(repeating: "x", count: 10 * 1024 * 1024)
        let tooBig = try TestHTTP.api(
            "POST", path, token: Fixtures.admin,
            json: #"{"sentry_app":"\#(app)","rule":"r","event":{"event_id":"\#(good)","project":"\#(project)","group_id":1,"blob":"\#(huge)"}}"#)
        #expect(tooBig.status == 413)
        #expect((try tooBig.object()["code"] as? String)?.isEmpty == false)

        let db = try Fixtures.database()
        for appID in [setup.app.id, otherApp.id, published.id] {
            let count = try db.query("SELECT count(*)::int FROM deliveries WHERE app_id = $1", appID)[0].decode(0, as: Int.self)
            #expect(count == 0, "no delivery recorded for a refused alert")
        }
        #expect(try Receiver.requests(path: setup.app.path).isEmpty)
        #expect(try Receiver.requests(path: otherApp.path).isEmpty)
        #expect(try Receiver.requests(path: published.path).isEmpty)
        // After all that, a good alert still goes through.
        let (_, record) = try Self.delivery(try Fixtures.sendAlert(app: setup.app, project: setup.project))
        #expect(record["status"] as? String == "delivered")
    }

    // MARK: Asynchronous acceptance and retries (worker)

    /// The test schedule retries after about 1 s; a receiver's `Retry-After` pushes the next attempt out to what it
    /// asked for (429 with delta-seconds, 503 with an HTTP date), and the job waits until then.
    @Test(arguments: [(429, "delta"), (503, "date")])
    func retryAfterIsHonoured(status: Int, form: String) throws {
        try Fixtures.requireServices()
        let retryAfter = form == "delta" ? "120" : Self.httpDate(secondsFromNow: 180)
        let wanted: Double = form == "delta" ? 120 : 180
        let setup = try Self.setup(rules: [Rule(status: status, headers: ["Retry-After": retryAfter])])
        let (deliveryID, record) = try Self.delivery(try Fixtures.sendAlert(app: setup.app, project: setup.project))
        #expect(record["status"] as? String == "retrying")
        let db = try Fixtures.database()
        let wait = try #require(try Fixtures.secondsUntilRetry(deliveryID: deliveryID, db: db), "a retry is scheduled")
        // Not the ~1 s of the schedule: at least what was asked for (less the seconds this test took), at most a bit more.
        #expect(wait > wanted - 10 && wait <= wanted + 2, "next attempt in \(wait) s, asked \(wanted) s")
        let next = try #require(record["next_attempt_at"] as? String)
        #expect(!next.isEmpty)
        #expect(try Receiver.requests(path: setup.app.path).count == 1, "no early retry")
    }

    static func httpDate(secondsFromNow: Int) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return formatter.string(from: Date().addingTimeInterval(Double(secondsFromNow)))
    }

    @Test func respondAsyncQueuesAndTheWorkerDelivers() throws {
        try Fixtures.requireServices()
        let setup = try Self.setup(rules: [Rule(status: 200)])
        let successesBefore = Self.workerSuccesses()
        let response = try Fixtures.sendAlert(app: setup.app, project: setup.project, headers: [("Prefer", "respond-async")])
        let (deliveryID, record) = try Self.delivery(response, status: 202)
        #expect(record["status"] as? String == "queued")
        #expect(record["attempts"] as? Int == 0)
        var stored: [String: Any] = [:]
        let delivered = try Fixtures.waitUntil(timeout: 20) {
            stored = try Self.getAlert(setup, id: deliveryID)
            return stored["status"] as? String == "delivered"
        }
        #expect(delivered, "still \(stored["status"] ?? "nil") after 20 s")
        #expect(stored["attempts"] as? Int == 1)
        let attempts = try #require(stored["attempt_log"] as? [[String: Any]])
        #expect(attempts.count == 1)
        #expect(attempts.first?["attempt"] as? Int == 1)
        #expect(attempts.first?["response_code"] as? Int == 200)
        #expect(attempts.first?["error_class"] is NSNull)

        // The workers' own metrics files (they serve no HTTP) counted this attempt: their success count went up.
        // (The workers serve every suite, so only a rise since before this alert says anything.)
        let counted = Fixtures.waitUntil(timeout: 15) { Self.workerSuccesses() > successesBefore }
        #expect(counted, "the worker's success count stayed at \(successesBefore)")
        let received = try Receiver.requests(path: setup.app.path)
        #expect(received.count == 1)
        #expect(received.first?.header("Request-ID") == record["request_id"] as? String)
        #expect(received.first?.header("Sentry-Hook-Signature") == received.first.map { Fixtures.hmacHex($0.body, secret: setup.app.secret) })
    }

    @Test func theWorkerRetriesUntilDelivered() throws {
        try Fixtures.requireServices()
        let setup = try Self.setup(rules: [Rule(status: 500, body: "one"), Rule(status: 500, body: "two"), Rule(status: 200, body: "ok")])
        let (deliveryID, record) = try Self.delivery(try Fixtures.sendAlert(app: setup.app, project: setup.project))
        #expect(record["status"] as? String == "retrying")
        let db = try Fixtures.database()
        let delivered = try Fixtures.waitUntil(timeout: 25) {
            try Fixtures.delivery(id: deliveryID, db: db)?.status == "delivered"
        }
        #expect(delivered)
        let final = try #require(try Fixtures.delivery(id: deliveryID, db: db))
        #expect(final.attempts == 3)
        let rows = try Fixtures.logRows(appID: setup.app.id, db: db)
        #expect(rows.map(\.responseCode) == [500, 500, 200])
        #expect(rows.map(\.attempt) == [1, 2, 3])
        #expect(rows.map(\.responseBody) == ["one", "two", "ok"])
        let counters = try Fixtures.todayCounters(appID: setup.app.id, db: db)
        #expect([counters.success, counters.error, counters.timeout, counters.fatal] as [Int] == [1, 2, 0, 0])
        let received = try Receiver.requests(path: setup.app.path)
        #expect(received.count == 3)
        #expect(Set(received.compactMap { $0.header("webhook-id") }).count == 1, "webhook-id stable across retries")
        #expect(Set(received.compactMap { $0.header("Request-ID") }).count == 3, "a fresh Request-ID per attempt")
        #expect(Set(received.map(\.body)).count == 1, "the same body every time")
        for hook in received {
            #expect(hook.header("Sentry-Hook-Signature") == Fixtures.hmacHex(hook.body, secret: setup.app.secret))
        }
        let stored = try Self.getAlert(setup, id: deliveryID)
        let attempts = try #require(stored["attempt_log"] as? [[String: Any]])
        #expect(attempts.compactMap { $0["response_code"] as? Int } == [500, 500, 200])
        #expect(try Fixtures.pendingDeliveries(appID: setup.app.id, db: db) == 0, "nothing left to attempt")
    }

    // MARK: Owner tools

    @Test func requestLogFiltersAndRedelivery() throws {
        try Fixtures.requireServices()
        let setup = try Self.setup(rules: [
            Rule(status: 200, body: "first"),
            Rule(status: 404, headers: ["Sentry-Hook-Error": "err-123", "Sentry-Hook-Project": "proj-9"], body: "missing"),
            Rule(status: 502, headers: ["Sentry-Hook-Error": "only-one"], body: "bad gateway"),
            Rule(status: 200, body: "later"),
        ])
        let other = try Fixtures.makeOrganization()
        let db = try Fixtures.database()
        let beforeAll = try db.query("SELECT rfc3339(now() - interval '1 second')")[0].decode(0, as: String.self)
        for _ in 0..<3 { _ = try Fixtures.sendAlert(app: setup.app, project: setup.project) }
        // The 502 is retried by the worker (and gets 200): wait for four log rows.
        #expect(try Fixtures.waitUntil(timeout: 25) { try Fixtures.logRows(appID: setup.app.id, db: db).count == 4 })
        let base = "/api/0/sentry-apps/\(setup.app.slug)/requests"

        func list(_ query: String) throws -> [[String: Any]] {
            let response = try TestHTTP.api("GET", base + query, token: Fixtures.admin)
            try Fixtures.expect(response, 200, "GET requests\(query)")
            return try response.array()
        }
        let all = try list("")
        #expect(all.compactMap { $0["response_code"] as? Int } == [200, 502, 404, 200], "newest first")
        for entry in all {
            #expect(Set(entry.keys).isSuperset(of: [
                "id", "date", "response_code", "webhook_url", "organization_id", "event_type", "duration_ms", "error_class",
                "request_headers", "request_body", "response_body",
            ]))
            #expect(entry["event_type"] as? String == "event_alert.triggered")
            #expect(entry["webhook_url"] as? String == setup.app.webhookURL)
            #expect(Fixtures.int64(entry["organization_id"]) == setup.org.id)
            #expect(((entry["request_body"] as? String) ?? "").hasPrefix(#"{"action":"triggered""#))
        }
        #expect(all.compactMap { $0["response_body"] as? String } == ["later", "bad gateway", "missing", "first"])
        // error_id and project_id only when the receiver sent both headers.
        #expect(all[2]["error_id"] as? String == "err-123")
        #expect(all[2]["project_id"] as? String == "proj-9")
        #expect(all[1]["error_id"] == nil || all[1]["error_id"] is NSNull)
        #expect(all[0]["error_id"] == nil || all[0]["error_id"] is NSNull)

        #expect(try list("?errorsOnly=true").compactMap { $0["response_code"] as? Int } == [502, 404])
        #expect(try list("?errorsOnly=1").compactMap { $0["response_code"] as? Int } == [502, 404])
        #expect(try list("?errorsOnly=false").count == 4)
        #expect(try list("?status=5xx").compactMap { $0["response_code"] as? Int } == [502])
        #expect(try list("?status=404").compactMap { $0["response_code"] as? Int } == [404])
        #expect(try list("?status=2xx").count == 2)
        #expect(try list("?eventType=event_alert.triggered").count == 4)
        #expect(try list("?eventType=installation.created").isEmpty)
        #expect(try list("?organization=\(setup.org.slug)").count == 4)
        // An organization the app is not installed in is refused like an unknown one (no probing for slugs).
        let foreign = try TestHTTP.api(
            "GET", "/api/0/sentry-apps/\(setup.app.slug)/requests?organization=\(other.slug)", token: Fixtures.admin)
        #expect(foreign.status == 404, "\(foreign.summary)")
        #expect(try list("?since=\(beforeAll)").count == 4)
        #expect(try list("?since=2999-01-01T00:00:00Z").isEmpty)
        #expect(try list("?errorsOnly=true&status=4xx").compactMap { $0["response_code"] as? Int } == [404])
        #expect(try TestHTTP.api("GET", base + "?errorsOnly=maybe", token: Fixtures.admin).status == 400)

        // Redeliver the first (200) request: a new delivery of the same message.
        let firstID = try #require(Fixtures.int64(all[3]["id"]))
        let originals = try Receiver.requests(path: setup.app.path)
        let redelivered = try TestHTTP.api("POST", base + "/\(firstID)/redeliver", token: Fixtures.admin)
        let (_, record) = try Self.delivery(redelivered)
        #expect(record["status"] as? String == "delivered")
        let after = try Receiver.requests(path: setup.app.path)
        #expect(after.count == originals.count + 1)
        if let newest = after.last, let original = originals.first {
            #expect(newest.header("webhook-id") == original.header("webhook-id"))
            #expect(newest.body == original.body)
            #expect(newest.header("Request-ID") != original.header("Request-ID"))
            #expect(newest.header("Sentry-Hook-Signature") == Fixtures.hmacHex(newest.body, secret: setup.app.secret))
        }
        #expect(try TestHTTP.api("POST", base + "/999999999/redeliver", token: Fixtures.admin).status == 404)
    }

    /// A receiver may answer anything: a NUL byte (which PostgreSQL text cannot hold) or invalid UTF-8 in its
    /// body must not stop the attempt from being recorded.
    @Test func responseBodiesWithNULAndInvalidUTF8AreLogged() throws {
        try Fixtures.requireServices()
        let setup = try Self.setup(rules: [
            Rule(status: 200, body: "ok\u{0}tail"),
            // 400: not retried, so no later attempt adds a row while this test reads them.
            Rule(status: 400, bodyBytes: [0x62, 0x61, 0x64, 0x00, 0xFF, 0xFE, 0x21]),
        ])
        let db = try Fixtures.database()
        let (first, delivered) = try Self.delivery(try Fixtures.sendAlert(app: setup.app, project: setup.project))
        #expect(delivered["status"] as? String == "delivered")
        let (second, failed) = try Self.delivery(try Fixtures.sendAlert(app: setup.app, project: setup.project))
        #expect(failed["status"] as? String == "failed")
        let rows = try Fixtures.logRows(appID: setup.app.id, db: db)
        #expect(rows.map(\.deliveryID) == [first, second])
        #expect(rows.map(\.responseBody) == ["ok\u{FFFD}tail", "bad\u{FFFD}\u{FFFD}\u{FFFD}!"])
        #expect(try Self.getAlert(setup, id: first)["status"] as? String == "delivered")
    }

    @Test func healthViewShowsSevenDaysAndTheBrokenFlag() throws {
        try Fixtures.requireServices()
        let setup = try Self.setup(rules: [Rule(status: 200)])
        let db = try Fixtures.database()
        try db.execute(
            """
            INSERT INTO health_counters (app_id, organization_id, day, success, error, timeout, fatal)
            VALUES ($1, $2, (now() AT TIME ZONE 'UTC')::date - 2, 5, 2, 1, 0),
                   ($1, $2, (now() AT TIME ZONE 'UTC')::date - 9, 0, 99, 0, 0)
            """, setup.app.id, setup.org.id)
        _ = try Self.delivery(try Fixtures.sendAlert(app: setup.app, project: setup.project))

        let response = try TestHTTP.api("GET", "/api/0/sentry-apps/\(setup.app.slug)/health", token: Fixtures.admin)
        try Fixtures.expect(response, 200, "health")
        let health = try response.object()
        #expect(health["state"] as? String == "active")
        #expect(health["disabled_at"] is NSNull)
        #expect(health["broken"] as? Bool == false)
        let days = try #require(health["days"] as? [[String: Any]])
        let dates = try db.query(
            "SELECT ((now() AT TIME ZONE 'UTC')::date - g)::text FROM generate_series(0, 6) AS g ORDER BY g"
        ).map { try $0.decode(0, as: String.self) }
        #expect(days.compactMap { $0["date"] as? String } == dates, "7 days, newest first")
        func counts(_ day: [String: Any]) -> [Int] {
            ["success", "error", "timeout", "fatal"].map { day[$0] as? Int ?? -1 }
        }
        #expect(days.map(counts) == [[1, 0, 0, 0], [0, 0, 0, 0], [5, 2, 1, 0], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]])

        // Seven failing days (read only: no alert runs the rule) show as broken with a reason.
        let broken = try Self.setup()
        try db.execute(
            """
            INSERT INTO health_counters (app_id, organization_id, day, success, error, timeout, fatal)
            SELECT $1, $2, (now() AT TIME ZONE 'UTC')::date - g, 0, 1, 0, 0 FROM generate_series(0, 6) AS g
            """, broken.app.id, broken.org.id)
        let brokenHealth = try TestHTTP.api("GET", "/api/0/sentry-apps/\(broken.app.slug)/health", token: Fixtures.admin).object()
        #expect(brokenHealth["broken"] as? Bool == true)
        #expect((brokenHealth["reason"] as? String)?.isEmpty == false)
        #expect(brokenHealth["state"] as? String == "active")
        // One success today breaks the streak.
        try db.execute(
            "UPDATE health_counters SET success = 1 WHERE app_id = $1 AND day = (now() AT TIME ZONE 'UTC')::date", broken.app.id)
        let mended = try TestHTTP.api("GET", "/api/0/sentry-apps/\(broken.app.slug)/health", token: Fixtures.admin).object()
        #expect(mended["broken"] as? Bool == false)
        #expect(mended["reason"] == nil || mended["reason"] is NSNull)
    }

    @Test func rotatedSecretSignsAtOnceAndBothSecretsVerify() throws {
        try Fixtures.requireServices()
        let setup = try Self.setup(rules: [Rule(status: 200)])
        let oldSecret = setup.app.secret
        let rotated = try TestHTTP.api("POST", "/api/0/sentry-apps/\(setup.app.slug)/rotate-secret", token: Fixtures.admin)
        try Fixtures.expect(rotated, 200, "rotate-secret")
        let newSecret = try #require(try rotated.object()["client_secret"] as? String)
        #expect(newSecret != oldSecret)
        #expect(newSecret.count >= 16)
        // GET never shows a secret.
        let shown = try TestHTTP.api("GET", "/api/0/sentry-apps/\(setup.app.slug)", token: Fixtures.admin)
        #expect(!shown.text.contains(newSecret) && !shown.text.contains(oldSecret))

        _ = try Self.delivery(try Fixtures.sendAlert(app: setup.app, project: setup.project))
        let hook = try #require(try Receiver.requests(path: setup.app.path).first)
        #expect(hook.header("Sentry-Hook-Signature") == Fixtures.hmacHex(hook.body, secret: newSecret))
        let signatures = (hook.header("webhook-signature") ?? "").split(separator: " ")
        #expect(signatures.count == 2, "\(signatures)")
        #expect(signatures.allSatisfy { $0.hasPrefix("v1,") })
        let verdicts = try Fixtures.verifyStandardWebhook(
            body: hook.body, headers: hook.headers, secrets: [newSecret, oldSecret, "wrong-" + Fixtures.random(20)])
        #expect(verdicts.count == 3)
        #expect(verdicts.prefix(2) == ["ok", "ok"], "\(verdicts)")
        #expect(verdicts.last != "ok")
        // Each signature on its own belongs to one of the secrets (checked one at a time).
        for signature in signatures {
            var headers = hook.headers.filter { $0.0.lowercased() != "webhook-signature" }
            headers.append(("webhook-signature", String(signature)))
            let single = try Fixtures.verifyStandardWebhook(body: hook.body, headers: headers, secrets: [newSecret, oldSecret])
            #expect(single.filter { $0 == "ok" }.count == 1, "\(single)")
        }
    }
}
