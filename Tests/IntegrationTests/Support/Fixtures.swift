import Crypto
import Foundation
import PostgresClient
import Testing
import SystemSupport

/// Builders for the end-to-end suites: organizations, tokens, projects, members and apps made through the real API
/// (nginx + responder), a client for the recording receiver, direct database access for seeding and asserting, and a
/// runner for Python oracles. Every name is random so that suites can run in parallel on one service.
enum Fixtures {
    /// The variables every end-to-end suite needs.
    static let requiredVariables = [
        "ALERT_RELAY_TEST_BASE_URL", "ALERT_RELAY_ADMIN_TOKEN", "DATABASE_URL", "ALERT_RELAY_TEST_RECEIVER_URL",
        "ALERT_RELAY_TEST_PYTHON",
    ]

    /// For `.enabled(if:)`: skip when the services are not running, except under CI (then the test fails in
    /// `requireServices()`).
    static var servicesAvailable: Bool {
        TestEnvironment.isCI || TestEnvironment.variable("ALERT_RELAY_TEST_BASE_URL") != nil
    }

    /// Call first in every end-to-end test: fails (records an issue and throws) when a variable is missing.
    static func requireServices(sourceLocation: SourceLocation = #_sourceLocation) throws {
        for name in requiredVariables {
            _ = try #require(
                TestEnvironment.variable(name), "\(name) must be set (run scripts/test.sh)", sourceLocation: sourceLocation)
        }
    }

    /// The admin token the responder was started with.
    static var admin: String { TestEnvironment.variable("ALERT_RELAY_ADMIN_TOKEN") ?? "" }
    static var urlPrefix: String {
        var prefix = TestEnvironment.variable("ALERT_RELAY_URL_PREFIX") ?? TestEnvironment.variable("ALERT_RELAY_TEST_BASE_URL") ?? ""
        while prefix.hasSuffix("/") { prefix.removeLast() }
        return prefix
    }
    static var baseURL: String { TestEnvironment.variable("ALERT_RELAY_TEST_BASE_URL") ?? "" }
    static var receiverURL: String { TestEnvironment.variable("ALERT_RELAY_TEST_RECEIVER_URL") ?? "" }

    /// `count` random lowercase letters and digits.
    static func random(_ count: Int = 10) -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        return String((0..<count).map { _ in alphabet.randomElement() ?? "x" })
    }

    /// 32 random lowercase hex digits (an event id).
    static func eventID() -> String {
        let hex = Array("0123456789abcdef")
        return String((0..<32).map { _ in hex.randomElement() ?? "0" })
    }

    // MARK: Organizations and what belongs to them

    struct Organization {
        var id: Int64
        var slug: String
        var name: String
    }

    struct Project {
        var id: Int64
        var slug: String
    }

    struct App {
        var id: Int64
        var uuid: String
        var slug: String
        var name: String
        var secret: String
        var webhookURL: String
        /// The receiver path the app's webhooks go to.
        var path: String
        var organization: Organization
        /// The public half of the client credentials (the token exchange).
        var clientID: String = ""
    }

    /// An API error: `status`, a JSON body with a non-empty `detail` and a snake_case `code` (equal to `code` if given).
    @discardableResult
    static func expectError(
        _ response: TestHTTP.Response, _ status: Int, code: String? = nil, sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> [String: Any] {
        #expect(response.status == status, "\(response.summary)", sourceLocation: sourceLocation)
        #expect(response.header("Content-Type")?.lowercased().hasPrefix("application/json") == true,
                sourceLocation: sourceLocation)
        let object = try response.object()
        let detail = try #require(object["detail"] as? String, sourceLocation: sourceLocation)
        #expect(!detail.isEmpty, sourceLocation: sourceLocation)
        let actualCode = try #require(object["code"] as? String, sourceLocation: sourceLocation)
        #expect(actualCode.wholeMatch(of: #/[a-z][a-z0-9_]*/#) != nil, "code is snake_case", sourceLocation: sourceLocation)
        if let code { #expect(actualCode == code, sourceLocation: sourceLocation) }
        return object
    }

    /// `Sentry-Hook-Signature` recomputed from the raw body received, independently of the code under test.
    static func hmacHex(_ body: [UInt8], secret: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Array(secret.utf8)))
        return mac.map { String(format: "%02x", $0) }.joined()
    }

    static func expect(_ response: TestHTTP.Response, _ status: Int, _ what: String) throws {
        guard response.status == status else {
            throw TestHTTP.Failure("\(what): expected \(status), got \(response.summary)")
        }
    }

    static func int64(_ value: Any?) -> Int64? {
        if let number = value as? NSNumber { return number.int64Value }
        return nil
    }

    static func makeOrganization(name: String? = nil) throws -> Organization {
        let slug = "e2e-" + random(12)
        let name = name ?? "E2E \(slug)"
        let response = try TestHTTP.api(
            "POST", "/api/0/organizations", token: admin, json: try TestHTTP.encode(["slug": slug, "name": name]))
        try expect(response, 201, "create organization")
        let object = try response.object()
        guard let id = int64(object["id"]) else { throw TestHTTP.Failure("organization without id: \(response.text)") }
        return Organization(id: id, slug: slug, name: name)
    }

    static func makeToken(org: Organization, scopes: [String]) throws -> String {
        let response = try TestHTTP.api(
            "POST", "/api/0/organizations/\(org.slug)/api-tokens", token: admin,
            json: try TestHTTP.encode(["name": "e2e token", "scopes": scopes]))
        try expect(response, 201, "create token")
        guard let token = try response.object()["token"] as? String else { throw TestHTTP.Failure("no token: \(response.text)") }
        return token
    }

    static func makeProject(org: Organization) throws -> Project {
        let slug = "proj-" + random(8)
        let response = try TestHTTP.api(
            "POST", "/api/0/organizations/\(org.slug)/projects", token: admin,
            json: try TestHTTP.encode(["slug": slug, "name": "Project \(slug)"]))
        try expect(response, 201, "create project")
        guard let id = int64(try response.object()["id"]) else { throw TestHTTP.Failure("project without id") }
        return Project(id: id, slug: slug)
    }

    /// Adds a member with a random address and returns the address.
    @discardableResult
    static func makeMember(org: Organization, role: String) throws -> String {
        let email = "\(role)-\(random(10))@example.com"
        let response = try TestHTTP.api(
            "POST", "/api/0/organizations/\(org.slug)/members", token: admin,
            json: try TestHTTP.encode(["email": email, "name": "E2E \(role)", "role": role]))
        try expect(response, 201, "add member")
        return email
    }

    /// An app whose webhooks go to the receiver at a unique path (or to `webhookURL` when given).
    /// With `withoutWebhook` the app has no webhook URL (`webhookURL` is then empty); `verifyInstall` keeps its
    /// installations pending until the integration marks them installed.
    static func makeApp(
        org: Organization, name: String? = nil, status: String = "internal", timeoutMs: Int = 2000, webhookURL: String? = nil,
        verifyInstall: Bool = false, withoutWebhook: Bool = false
    ) throws -> App {
        let path = "/e2e/" + random(16)
        let url = withoutWebhook ? "" : webhookURL ?? receiverURL + path
        let name = name ?? "e2e app \(random(8))"
        var fields: [String: Any] = ["name": name, "status": status, "timeout_ms": timeoutMs, "verify_install": verifyInstall]
        if !withoutWebhook { fields["webhook_url"] = url }
        let response = try TestHTTP.api(
            "POST", "/api/0/organizations/\(org.slug)/sentry-apps", token: admin, json: try TestHTTP.encode(fields))
        try expect(response, 201, "create app")
        let object = try response.object()
        guard let id = int64(object["id"]), let uuid = object["uuid"] as? String, let slug = object["slug"] as? String,
            let secret = object["client_secret"] as? String, let clientID = object["client_id"] as? String
        else { throw TestHTTP.Failure("app without id/uuid/slug/client_secret/client_id: \(response.text)") }
        return App(
            id: id, uuid: uuid, slug: slug, name: name, secret: secret, webhookURL: url, path: path, organization: org,
            clientID: clientID)
    }

    // MARK: Installations (Sentry's installation handshake)

    struct Installed {
        var uuid: String
        var status: String
        /// The grant code from the install response.
        var code: String
    }

    /// Installs `app` into `org` with the admin token (201 expected).
    static func install(app: App, into org: Organization) throws -> Installed {
        let response = try TestHTTP.api(
            "POST", "/api/0/sentry-apps/\(app.slug)/installations", token: admin,
            json: try TestHTTP.encode(["organization": org.slug]))
        try expect(response, 201, "install app")
        let object = try response.object()
        guard let uuid = object["uuid"] as? String, let status = object["status"] as? String,
            let code = object["code"] as? String
        else { throw TestHTTP.Failure("installation without uuid/status/code: \(response.text)") }
        return Installed(uuid: uuid, status: status, code: code)
    }

    /// `POST /api/0/sentry-app-installations/{uuid}/authorizations/` with `fields` (no bearer token: the client
    /// credentials travel in the body).
    static func authorizations(uuid: String, _ fields: [String: Any]) throws -> TestHTTP.Response {
        try TestHTTP.api(
            "POST", "/api/0/sentry-app-installations/\(uuid)/authorizations/", token: nil, json: try TestHTTP.encode(fields))
    }

    /// The body of a grant-code exchange for `app`.
    static func codeExchange(app: App, code: String, secret: String? = nil) -> [String: Any] {
        ["grant_type": "authorization_code", "code": code, "client_id": app.clientID, "client_secret": secret ?? app.secret]
    }

    /// Exchanges `code` (201 expected) and returns the token and refresh token.
    static func exchange(app: App, installation uuid: String, code: String) throws -> (token: String, refreshToken: String) {
        let response = try authorizations(uuid: uuid, codeExchange(app: app, code: code))
        try expect(response, 201, "token exchange")
        let object = try response.object()
        guard let token = object["token"] as? String, let refresh = object["refreshToken"] as? String else {
            throw TestHTTP.Failure("exchange without token/refreshToken: \(response.text)")
        }
        return (token, refresh)
    }

    /// A grant code for an installation, written directly (for installations made without one, e.g. an internal
    /// app's own); returns the code.
    static func seedGrant(installationUUID: String, db: PostgresConnection) throws -> String {
        let code = (0..<32).map { _ in String("0123456789abcdef".randomElement() ?? "0") }.joined()
        let digest = SHA256.hash(data: Array(code.utf8)).map { String(format: "%02x", $0) }.joined()
        try db.execute(
            """
            INSERT INTO installation_grants (installation_id, code_hash, expires_at)
            SELECT id, $2, now() + interval '10 minutes' FROM installations WHERE uuid = $1::uuid
            ON CONFLICT (installation_id) DO UPDATE SET code_hash = excluded.code_hash, expires_at = excluded.expires_at
            """, installationUUID, digest)
        return code
    }

    // MARK: Alerts

    /// A minimal valid alert body for `app` about `project`.
    static func alertBody(app: App, project: Project, eventID: String = Fixtures.eventID(), groupID: Int = 7) -> String {
        """
        {"sentry_app":"\(app.slug)","rule":"e2e rule","event":{"event_id":"\(eventID)","project":"\(project.slug)",\
        "group_id":\(groupID),"title":"e2e"}}
        """
    }

    static func sendAlert(
        app: App, project: Project, token: String? = nil, headers: [(String, String)] = []
    ) throws -> TestHTTP.Response {
        try TestHTTP.api(
            "POST", "/api/0/organizations/\(app.organization.slug)/alerts", token: token ?? admin,
            json: alertBody(app: app, project: project), headers: headers)
    }

    // MARK: Waiting

    /// Polls `condition` every `interval` seconds until it holds or `timeout` seconds pass; returns whether it held.
    static func waitUntil(timeout: Double = 20, interval: Double = 0.2, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if try condition() { return true }
            if Date() > deadline { return false }
            Thread.sleep(forTimeInterval: interval)
        }
    }

    // MARK: Database

    /// A fresh connection to the test database (not shared: libpq connections are single-threaded).
    static func database() throws -> PostgresConnection {
        let url = try #require(TestEnvironment.databaseURL, "DATABASE_URL must be set")
        let connection = PostgresConnection(conninfo: url)
        try connection.connect()
        return connection
    }

    struct HealthRow: Equatable, CustomStringConvertible {
        var day: String
        var success: Int
        var error: Int
        var timeout: Int
        var fatal: Int
        var description: String { "\(day): success \(success) error \(error) timeout \(timeout) fatal \(fatal)" }
    }

    /// The app's health counters, newest day first.
    static func healthRows(appID: Int64, db: PostgresConnection) throws -> [HealthRow] {
        try db.query(
            "SELECT day::text, success, error, timeout, fatal FROM health_days WHERE app_id = $1 ORDER BY day DESC",
            appID
        ).map {
            HealthRow(
                day: try $0.decode(0, as: String.self), success: try $0.decode(1, as: Int.self),
                error: try $0.decode(2, as: Int.self), timeout: try $0.decode(3, as: Int.self),
                fatal: try $0.decode(4, as: Int.self))
        }
    }

    /// Today's counters summed (all zero when there is no row).
    static func todayCounters(appID: Int64, db: PostgresConnection) throws -> HealthRow {
        let rows = try db.query(
            """
            SELECT (now() AT TIME ZONE 'UTC')::date::text, coalesce(sum(success), 0)::int, coalesce(sum(error), 0)::int,
                   coalesce(sum(timeout), 0)::int, coalesce(sum(fatal), 0)::int
            FROM health_counters WHERE app_id = $1 AND day = (now() AT TIME ZONE 'UTC')::date
            """, appID)
        let row = rows[0]
        return HealthRow(
            day: try row.decode(0, as: String.self), success: try row.decode(1, as: Int.self),
            error: try row.decode(2, as: Int.self), timeout: try row.decode(3, as: Int.self),
            fatal: try row.decode(4, as: Int.self))
    }

    /// Seeds `days` earlier UTC days (yesterday back) with `error` errors and no success for the app.
    static func seedFailingDays(app: App, days: Int, error: Int = 3, db: PostgresConnection) throws {
        try db.execute(
            """
            INSERT INTO health_counters (app_id, organization_id, day, success, error, timeout, fatal)
            SELECT $1, $2, (now() AT TIME ZONE 'UTC')::date - g, 0, $3, 0, 0 FROM generate_series(1, $4::int) AS g
            """, app.id, app.organization.id, error, days)
    }

    struct LogRow {
        var id: Int64
        var deliveryID: Int64?
        var attempt: Int
        var responseCode: Int
        var errorClass: String?
        var requestBody: String
        var responseBody: String
        var requestHeaders: String
        var webhookURL: String
    }

    /// The app's request-log rows, oldest first.
    static func logRows(appID: Int64, db: PostgresConnection) throws -> [LogRow] {
        try db.query(
            """
            SELECT id, delivery_id, attempt, response_code, error_class, request_body, response_body, request_headers::text,
                   webhook_url
            FROM request_log WHERE app_id = $1 ORDER BY id
            """, appID
        ).map {
            LogRow(
                id: try $0.decode(0, as: Int64.self), deliveryID: try $0.decode(1, as: Int64?.self),
                attempt: try $0.decode(2, as: Int.self), responseCode: try $0.decode(3, as: Int.self),
                errorClass: try $0.decode(4, as: String?.self), requestBody: try $0.decode(5, as: String.self),
                responseBody: try $0.decode(6, as: String.self), requestHeaders: try $0.decode(7, as: String.self),
                webhookURL: try $0.decode(8, as: String.self))
        }
    }

    /// Seconds until the delivery falls due (negative when overdue) while it is `queued` or `retrying`; nil when it
    /// waits for nothing (delivered, failed, or being attempted).
    static func secondsUntilRetry(deliveryID: Int64, db: PostgresConnection) throws -> Double? {
        try db.query(
            """
            SELECT extract(epoch FROM due_at - now())::float8 FROM deliveries
            WHERE id = $1 AND status IN ('queued', 'retrying')
            """, deliveryID
        ).first?.decode(0, as: Double.self)
    }

    /// Deliveries of the app still waiting for an attempt or being attempted.
    static func pendingDeliveries(appID: Int64, db: PostgresConnection) throws -> Int {
        try db.query(
            "SELECT count(*)::int FROM deliveries WHERE app_id = $1 AND status IN ('queued', 'retrying', 'sending')", appID
        )[0].decode(0, as: Int.self)
    }

    struct DeliveryRow {
        var status: String
        var attempts: Int
        var responseCode: Int?
        var errorClass: String?
    }

    static func delivery(id: Int64, db: PostgresConnection) throws -> DeliveryRow? {
        try db.query("SELECT status, attempts, response_code, error_class FROM deliveries WHERE id = $1", id).first.map {
            DeliveryRow(status: try $0.decode(0, as: String.self), attempts: try $0.decode(1, as: Int.self),
                        responseCode: try $0.decode(2, as: Int?.self), errorClass: try $0.decode(3, as: String?.self))
        }
    }

    struct AuditRow {
        var event: String
        var data: String
        var actor: String
    }

    static func auditRows(organizationID: Int64, event: String, db: PostgresConnection) throws -> [AuditRow] {
        try db.query(
            "SELECT event, data::text, actor FROM audit_log WHERE organization_id = $1 AND event = $2 ORDER BY id",
            organizationID, event
        ).map {
            AuditRow(event: try $0.decode(0, as: String.self), data: try $0.decode(1, as: String.self),
                     actor: try $0.decode(2, as: String.self))
        }
    }

    struct EmailJob {
        var to: String
        var subject: String
        var text: String
        var html: String
    }

    /// E-mail jobs addressed to any of `recipients`, whatever their state.
    static func emailJobs(to recipients: [String], db: PostgresConnection) throws -> [EmailJob] {
        try db.query(
            """
            SELECT coalesce(payload ->> 'to', ''), coalesce(payload ->> 'subject', ''), coalesce(payload ->> 'text', ''),
                   coalesce(payload ->> 'html', '')
            FROM jobs WHERE kind = 'email' AND payload ->> 'to' = ANY($1::text[]) ORDER BY id
            """, recipients
        ).map {
            EmailJob(to: try $0.decode(0, as: String.self), subject: try $0.decode(1, as: String.self),
                     text: try $0.decode(2, as: String.self), html: try $0.decode(3, as: String.self))
        }
    }

    static func installationUUID(appID: Int64, organizationID: Int64, db: PostgresConnection) throws -> String {
        let rows = try db.query(
            "SELECT uuid::text FROM installations WHERE app_id = $1 AND organization_id = $2", appID, organizationID)
        return try #require(rows.first).decode(0, as: String.self)
    }

    // MARK: Python oracles

    struct ProcessResult {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `script` with ALERT_RELAY_TEST_PYTHON (`python3 -c script`), feeding `stdin`.
    static func python(_ script: String, stdin: [UInt8] = []) throws -> ProcessResult {
        let python = try #require(TestEnvironment.variable("ALERT_RELAY_TEST_PYTHON"), "ALERT_RELAY_TEST_PYTHON must be set")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-c", script]
        let input = Pipe()
        let output = Pipe()
        let errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        // Read both pipes on other threads so neither can fill up and block the child.
        let collected = CollectedOutput()
        let group = DispatchGroup()
        for (index, pipe) in [output, errors].enumerated() {
            group.enter()
            Thread {
                let data = pipe.fileHandleForReading.readDataToEndOfFile()
                collected.store(index, data)
                group.leave()
            }.start()
        }
        input.fileHandleForWriting.write(Data(stdin))
        try input.fileHandleForWriting.close()
        group.wait()
        process.waitUntilExit()
        return ProcessResult(
            status: process.terminationStatus, stdout: String(decoding: collected.value(0), as: UTF8.self),
            stderr: String(decoding: collected.value(1), as: UTF8.self))
    }

    /// Verifies a received webhook with the `standardwebhooks` PyPI package, once per secret.
    /// Returns one result per secret: "ok" or the verifier's error.
    static func verifyStandardWebhook(body: [UInt8], headers: [(String, String)], secrets: [String]) throws -> [String] {
        let script = """
            import base64, json, sys
            from standardwebhooks.webhooks import Webhook
            job = json.loads(sys.stdin.buffer.read())
            body = base64.b64decode(job["body"])
            headers = {name: value for name, value in job["headers"]}
            results = []
            for secret in job["secrets"]:
                try:
                    Webhook("whsec_" + base64.b64encode(secret.encode()).decode()).verify(body, headers)
                    results.append("ok")
                except Exception as error:
                    results.append("%s: %s" % (type(error).__name__, error))
            print(json.dumps(results))
            """
        let job: [String: Any] = [
            "body": Data(body).base64EncodedString(), "headers": headers.map { [$0.0, $0.1] }, "secrets": secrets,
        ]
        let result = try python(script, stdin: Array(try TestHTTP.encode(job).utf8))
        guard result.status == 0,
            let parsed = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String]
        else { throw TestHTTP.Failure("standardwebhooks verifier failed: \(result.stderr)") }
        return parsed
    }

    /// Python's `json.dumps(json.loads(body), separators=(',', ':')).encode()`.
    static func pythonReserialized(_ body: [UInt8]) throws -> [UInt8] {
        let result = try python(
            "import json, sys; sys.stdout.buffer.write(json.dumps(json.loads(sys.stdin.buffer.read()), separators=(',', ':')).encode())",
            stdin: body)
        guard result.status == 0 else { throw TestHTTP.Failure("python re-serialization failed: \(result.stderr)") }
        return Array(result.stdout.utf8)
    }

    /// Python's `str.title()` of `text`.
    static func pythonTitle(_ text: String) throws -> String {
        let result = try python("import sys; sys.stdout.write(sys.stdin.read().title())", stdin: Array(text.utf8))
        guard result.status == 0 else { throw TestHTTP.Failure("python title failed: \(result.stderr)") }
        return result.stdout
    }

    // MARK: Canary

    /// What the canary listener recorded (empty when it was never contacted).
    static func canaryLog() throws -> String {
        let path = try #require(
            TestEnvironment.variable("ALERT_RELAY_TEST_CANARY_LOG"), "ALERT_RELAY_TEST_CANARY_LOG must be set")
        guard let data = FileManager.default.contents(atPath: path) else { return "" }
        return String(decoding: data, as: UTF8.self)
    }

    static func canaryPort() throws -> Int {
        let text = try #require(
            TestEnvironment.variable("ALERT_RELAY_TEST_CANARY_PORT"), "ALERT_RELAY_TEST_CANARY_PORT must be set")
        return try #require(Int(text))
    }
}

/// Output collected from reader threads.
final class CollectedOutput: Sendable {
    private let storage = SleepingMutex<[Int: Data]>([:])
    func store(_ index: Int, _ data: Data) { storage.withLock { $0[index] = data } }
    func value(_ index: Int) -> Data { storage.withLock { $0[index] ?? Data() } }
}

/// The recording receiver's control API (scripts/receiver.py). Tests use unique paths and never reset the recording,
/// so suites running in parallel do not disturb each other.
enum Receiver {
    struct Recorded {
        var method: String
        var path: String
        var headers: [(String, String)]
        var body: [UInt8]
        var receivedAt: Double?

        func header(_ name: String) -> String? {
            headers.first { $0.0.lowercased() == name.lowercased() }?.1
        }
        func headers(named name: String) -> [String] {
            headers.filter { $0.0.lowercased() == name.lowercased() }.map(\.1)
        }
    }

    struct Rule: Sendable {
        var status: Int
        var headers: [String: String] = [:]
        var body: String = "{\"ok\":true}"
        var hangSeconds: Double = 0
        /// Raw body bytes (e.g. invalid UTF-8); replaces `body` when set.
        var bodyBytes: [UInt8]? = nil
    }

    /// Clears every recording and rule: do not call while other suites may run.
    static func reset() throws {
        let response = try TestHTTP.request(method: "POST", url: Fixtures.receiverURL + "/_control/reset", body: [])
        try Fixtures.expect(response, 200, "receiver reset")
    }

    /// Successive requests to `path` get successive responses; the last one repeats.
    static func setRules(path: String, responses: [Rule]) throws {
        let rules: [[String: Any]] = responses.map { rule in
            var fields: [String: Any] = ["status": rule.status, "headers": rule.headers, "hang_seconds": rule.hangSeconds]
            if let bytes = rule.bodyBytes {
                fields["body_b64"] = Data(bytes).base64EncodedString()
            } else {
                fields["body"] = rule.body
            }
            return fields
        }
        let response = try TestHTTP.request(
            method: "POST", url: Fixtures.receiverURL + "/_control/rules", headers: [("Content-Type", "application/json")],
            body: Array(try TestHTTP.encode(["path": path, "responses": rules]).utf8))
        guard (200...299).contains(response.status) else {
            throw TestHTTP.Failure("receiver rules: \(response.summary)")
        }
    }

    /// What the receiver got on `path`, in arrival order.
    static func requests(path: String) throws -> [Recorded] {
        let escaped = path.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed.subtracting(["&", "=", "+"])) ?? path
        let response = try TestHTTP.request(method: "GET", url: Fixtures.receiverURL + "/_control/requests?path=" + escaped)
        try Fixtures.expect(response, 200, "receiver requests")
        guard let items = try response.json() as? [[String: Any]] else {
            throw TestHTTP.Failure("receiver requests: not a list: \(response.text.prefix(300))")
        }
        return try items.map { item in
            let pairs = (item["headers"] as? [[String]]) ?? []
            guard let bodyText = item["body_b64"] as? String, let body = Data(base64Encoded: bodyText) else {
                throw TestHTTP.Failure("receiver request without body_b64")
            }
            return Recorded(
                method: item["method"] as? String ?? "", path: item["path"] as? String ?? "",
                headers: pairs.compactMap { $0.count == 2 ? ($0[0], $0[1]) : nil }, body: Array(body),
                receivedAt: (item["received_at"] as? NSNumber)?.doubleValue)
        }
    }

    /// Requests to `path` being answered now, and the most at once since its rules were last set.
    static func concurrency(path: String) throws -> (inFlight: Int, maxInFlight: Int) {
        let escaped = path.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed.subtracting(["&", "=", "+"])) ?? path
        let response = try TestHTTP.request(method: "GET", url: Fixtures.receiverURL + "/_control/concurrency?path=" + escaped)
        try Fixtures.expect(response, 200, "receiver concurrency")
        let object = try response.object()
        guard let now = object["in_flight"] as? Int, let most = object["max_in_flight"] as? Int else {
            throw TestHTTP.Failure("receiver concurrency: \(response.text)")
        }
        return (now, most)
    }

    /// Waits until the receiver has at least `count` requests on `path` and returns them.
    static func waitForRequests(path: String, count: Int, timeout: Double = 20) throws -> [Recorded] {
        var last: [Recorded] = []
        _ = try Fixtures.waitUntil(timeout: timeout) {
            last = try requests(path: path)
            return last.count >= count
        }
        return last
    }
}
