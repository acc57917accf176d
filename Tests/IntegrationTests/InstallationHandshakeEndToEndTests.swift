import Foundation
import PostgresClient
import Testing

/// Issue 12: the installation handshake Sentry integrations expect, from the integration's side, through nginx +
/// responder + worker to the recording receiver: `installation.created` with a grant code, the token exchange
/// (`POST /api/0/sentry-app-installations/{uuid}/authorizations/`), reading and verifying the installation with the
/// installation token, `installation.deleted` on uninstall.
@Suite(.enabled(if: Fixtures.servicesAvailable), .usesDatabase)
struct InstallationHandshakeEndToEndTests {
    typealias Rule = Receiver.Rule

    static func isLowerHex(_ text: String?, count: Int) -> Bool {
        AlertDeliveryEndToEndTests.isLowerHex(text, count: count)
    }

    /// The installation webhooks the receiver got on `path`, waiting for `count` of them.
    static func installationWebhooks(path: String, count: Int) throws -> [Receiver.Recorded] {
        var found: [Receiver.Recorded] = []
        _ = try Fixtures.waitUntil(timeout: 25) {
            found = try Receiver.requests(path: path).filter { $0.header("Sentry-Hook-Resource") == "installation" }
            return found.count >= count
        }
        return found
    }

    /// Checks the signatures of a received webhook as an integration would: HMAC over the raw bytes, Standard Webhooks
    /// with the off-the-shelf verifier, and the body a fixed point of Python's compact re-serialization.
    static func expectVerifiable(_ hook: Receiver.Recorded, secret: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(hook.header("Sentry-Hook-Signature") == Fixtures.hmacHex(hook.body, secret: secret), sourceLocation: sourceLocation)
        let verdicts = try Fixtures.verifyStandardWebhook(body: hook.body, headers: hook.headers, secrets: [secret, secret + "x"])
        #expect(verdicts == ["ok", verdicts.last ?? ""] && verdicts.last != "ok", "\(verdicts)", sourceLocation: sourceLocation)
        #expect(try Fixtures.pythonReserialized(hook.body) == hook.body, sourceLocation: sourceLocation)
        for name in ["Content-Type", "Request-ID", "Sentry-Hook-Resource", "Sentry-Hook-Timestamp", "Sentry-Hook-Signature",
                     "webhook-id", "webhook-timestamp", "webhook-signature"]
        {
            #expect(hook.headers(named: name).count == 1, "\(name)", sourceLocation: sourceLocation)
        }
    }

    static func installation(_ uuid: String, token: String?) throws -> TestHTTP.Response {
        try TestHTTP.api("GET", "/api/0/sentry-app-installations/\(uuid)/", token: token)
    }

    static func seconds(_ rfc3339: String?) -> Double? {
        guard let text = rfc3339 else { return nil }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)?.timeIntervalSince1970
    }

    // MARK: The whole handshake

    @Test func installExchangeVerifyAndUninstall() throws {
        try Fixtures.requireServices()
        let owner = try Fixtures.makeOrganization()
        let org = try Fixtures.makeOrganization()
        let project = try Fixtures.makeProject(org: org)
        var app = try Fixtures.makeApp(org: owner, status: "published", verifyInstall: true)
        // The first attempt of installation.created fails: it is retried like any webhook.
        try Receiver.setRules(path: app.path, responses: [Rule(status: 500, body: "not yet"), Rule(status: 200)])
        let db = try Fixtures.database()

        // 1. Installing: 201 pending, with the grant code; installation.created reaches the integration.
        let orgAdmin = try Fixtures.makeToken(org: org, scopes: ["org:admin"])
        let installResponse = try TestHTTP.api(
            "POST", "/api/0/sentry-apps/\(app.slug)/installations", token: orgAdmin,
            json: #"{"organization":"\#(org.slug)"}"#)
        try Fixtures.expect(installResponse, 201, "install")
        let installed = try installResponse.object()
        let uuid = try #require(installed["uuid"] as? String)
        let code = try #require(installed["code"] as? String)
        #expect(installed["status"] as? String == "pending")
        #expect(installed["app"] as? String == app.slug && installed["organization"] as? String == org.slug)
        #expect(Self.isLowerHex(code, count: 32), "code \(code)")

        let created = try Self.installationWebhooks(path: app.path, count: 2)
        try #require(created.count == 2, "the failed attempt and its retry: \(created.count)")
        let expected = #"{"action":"created","installation":{"uuid":"\#(uuid)"},"data":{"installation":{"app":{"uuid":"\#(app.uuid)","slug":"\#(app.slug)"},"organization":{"slug":"\#(org.slug)","id":\#(org.id)},"uuid":"\#(uuid)","status":"pending","code":"\#(code)"}},"actor":{"type":"application","id":"sentry","name":"Sentry"}}"#
        for hook in created {
            #expect(String(decoding: hook.body, as: UTF8.self) == expected)
            #expect(hook.header("Sentry-Hook-Resource") == "installation")
            try Self.expectVerifiable(hook, secret: app.secret)
        }
        #expect(Set(created.compactMap { $0.header("webhook-id") }).count == 1, "one message, retried")
        // The receiver records a request before answering it; the dispatcher records the attempt after the answer.
        var logged: [String] = []
        _ = Fixtures.waitUntil(timeout: 10) {
            logged = (try? db.query(
                "SELECT event_type, response_code FROM request_log WHERE app_id = $1 ORDER BY id", app.id
            ).map { "\(try $0.decode(0, as: String.self)) \(try $0.decode(1, as: Int.self))" }) ?? []
            return logged.count >= 2
        }
        #expect(logged == ["installation.created 500", "installation.created 200"])
        let counters = try db.query(
            "SELECT coalesce(sum(success), 0)::int, coalesce(sum(error), 0)::int FROM health_counters WHERE app_id = $1 AND organization_id = $2",
            app.id, org.id)[0]
        #expect(try [counters.decode(0, as: Int.self), counters.decode(1, as: Int.self)] == [1, 1], "counted like any webhook")

        // 2. While pending, alerts are not sent (Sentry sends alerts to installed installations only).
        app.organization = org
        let early = try Fixtures.sendAlert(app: app, project: project)
        let refusal = try Fixtures.expectError(early, 409, code: "not_installed")
        #expect((refusal["detail"] as? String)?.contains("pending") == true)

        // 3. The token exchange: client credentials first, then the code, which works once.
        let wrongSecret = try Fixtures.authorizations(uuid: uuid, Fixtures.codeExchange(app: app, code: code, secret: app.secret + "x"))
        try Fixtures.expectError(wrongSecret, 401, code: "unauthorized")
        var unknownClient = Fixtures.codeExchange(app: app, code: code)
        unknownClient["client_id"] = String(repeating: "a", count: 64)
        try Fixtures.expectError(try Fixtures.authorizations(uuid: uuid, unknownClient), 401, code: "unauthorized")
        let wrongCode = try Fixtures.authorizations(uuid: uuid, Fixtures.codeExchange(app: app, code: String(repeating: "0", count: 32)))
        try Fixtures.expectError(wrongCode, 401, code: "invalid_grant")

        let grantStored = try db.query(
            """
            SELECT g.code_hash = encode(sha256(convert_to($2, 'UTF8')), 'hex') FROM installation_grants g
            JOIN installations i ON i.id = g.installation_id WHERE i.uuid = $1::uuid
            """, uuid, code)
        #expect(try grantStored.first?.decode(0, as: Bool.self) == true, "the code is stored as its SHA-256")
        let before = Date().timeIntervalSince1970
        var exchangeBody = Fixtures.codeExchange(app: app, code: code)
        exchangeBody["state"] = "from-the-integration"
        let exchanged = try Fixtures.authorizations(uuid: uuid, exchangeBody)
        try Fixtures.expect(exchanged, 201, "exchange")
        let grant = try exchanged.object()
        #expect(Set(grant.keys) == ["id", "scopes", "application", "expiresAt", "dateCreated", "state", "token", "refreshToken",
                                    "tokenLastCharacters"], "\(grant.keys.sorted())")
        let token = try #require(grant["token"] as? String)
        let refreshToken = try #require(grant["refreshToken"] as? String)
        #expect(Self.isLowerHex(token, count: 64) && Self.isLowerHex(refreshToken, count: 64) && token != refreshToken)
        #expect(grant["id"] is String && grant["application"] is NSNull && grant["state"] as? String == "from-the-integration")
        #expect(grant["tokenLastCharacters"] as? String == String(token.suffix(4)))
        let expiresAt = try #require(Self.seconds(grant["expiresAt"] as? String), "expiresAt \(grant["expiresAt"] ?? "nil")")
        #expect(abs(expiresAt - before - 8 * 3600) < 60, "valid for eight hours")
        // Stored hashed (SHA-256), never in clear; the code is gone once exchanged.
        let stored = try db.query(
            """
            SELECT t.token_hash = encode(sha256(convert_to($2, 'UTF8')), 'hex'),
                   t.refresh_token_hash = encode(sha256(convert_to($3, 'UTF8')), 'hex'),
                   (SELECT count(*)::int FROM installation_grants g WHERE g.installation_id = i.id)
            FROM installation_tokens t JOIN installations i ON i.id = t.installation_id WHERE i.uuid = $1::uuid
            """, uuid, token, refreshToken)
        try #require(stored.count == 1)
        #expect(try stored[0].decode(0, as: Bool.self) && stored[0].decode(1, as: Bool.self))
        #expect(try stored[0].decode(2, as: Int.self) == 0)

        let again = try Fixtures.authorizations(uuid: uuid, Fixtures.codeExchange(app: app, code: code))
        try Fixtures.expectError(again, 401, code: "invalid_grant")

        // 4. The integration reads its installation with the token and marks it installed.
        let read = try Self.installation(uuid, token: token)
        try Fixtures.expect(read, 200, "GET installation")
        let view = try read.object()
        #expect(view["uuid"] as? String == uuid && view["status"] as? String == "pending")
        #expect(view["app"] as? NSDictionary == ["uuid": app.uuid, "slug": app.slug] as NSDictionary)
        #expect(view["organization"] as? NSDictionary == ["slug": org.slug, "id": org.id] as NSDictionary)
        #expect(view["code"] == nil, "the code is only in the webhook")
        try Fixtures.expectError(
            try TestHTTP.api("PUT", "/api/0/sentry-app-installations/\(uuid)/", token: token, json: #"{"status":"pending"}"#),
            422, code: "invalid_value")
        let verified = try TestHTTP.api(
            "PUT", "/api/0/sentry-app-installations/\(uuid)/", token: token, json: #"{"status":"installed"}"#)
        try Fixtures.expect(verified, 200, "PUT installed")
        #expect(try verified.object()["status"] as? String == "installed")
        #expect(try (verified.object()["app"] as? [String: Any])?["slug"] as? String == app.slug, "what Sentry's example reads")

        // Now alerts go to it.
        try Receiver.setRules(path: app.path, responses: [Rule(status: 200)])
        let (_, alert) = try AlertDeliveryEndToEndTests.delivery(try Fixtures.sendAlert(app: app, project: project))
        #expect(alert["status"] as? String == "delivered")

        // The token is for its installation only: no organization or app route (403).
        for (method, path) in [("GET", "/api/0/organizations/\(org.slug)"), ("GET", "/api/0/organizations/\(org.slug)/projects"),
                               ("GET", "/api/0/sentry-apps/\(app.slug)"), ("GET", "/api/0/organizations/\(owner.slug)")] {
            try Fixtures.expectError(try TestHTTP.api(method, path, token: token), 403, code: "forbidden")
        }
        try Fixtures.expectError(
            try TestHTTP.api("POST", "/api/0/organizations/\(org.slug)/alerts", token: token,
                             json: Fixtures.alertBody(app: app, project: project)), 403, code: "forbidden")
        // An organization token cannot use the installation's routes (they are the integration's).
        try Fixtures.expectError(try Self.installation(uuid, token: orgAdmin), 403, code: "forbidden")

        // 5. Refreshing rotates both: the old token and refresh token stop working at once.
        let refreshBody: [String: Any] = [
            "grant_type": "refresh_token", "refresh_token": refreshToken, "client_id": app.clientID, "client_secret": app.secret,
        ]
        let refreshed = try Fixtures.authorizations(uuid: uuid, refreshBody)
        try Fixtures.expect(refreshed, 201, "refresh")
        let newToken = try #require(try refreshed.object()["token"] as? String)
        let newRefresh = try #require(try refreshed.object()["refreshToken"] as? String)
        #expect(newToken != token && newRefresh != refreshToken)
        try Fixtures.expectError(try Self.installation(uuid, token: token), 401, code: "unauthorized")
        try Fixtures.expectError(try Fixtures.authorizations(uuid: uuid, refreshBody), 401, code: "invalid_grant")
        try Fixtures.expect(try Self.installation(uuid, token: newToken), 200, "the new token")

        // Audited, in the installing organization.
        let exchanges = try Fixtures.auditRows(organizationID: org.id, event: "sentry-app-installation.token-exchange", db: db)
        #expect(exchanges.map(\.actor) == ["sentry-app:\(app.slug)", "sentry-app:\(app.slug)"])
        #expect(exchanges.map { $0.data.contains("authorization_code") } == [true, false])
        let failures = try Fixtures.auditRows(organizationID: org.id, event: "sentry-app-installation.token-exchange-failed", db: db)
        #expect(failures.map { $0.data.contains("unknown_code") } == [true, true, false], "\(failures.map(\.data))")
        #expect(failures.last?.data.contains("unknown_refresh_token") == true)
        let updates = try Fixtures.auditRows(organizationID: org.id, event: "sentry-app-installation.update", db: db)
        #expect(updates.count == 1 && updates.first?.actor.hasPrefix("installation-token:") == true)
        #expect(try Fixtures.auditRows(organizationID: org.id, event: "sentry-app.install", db: db).count == 1)

        // 6. Uninstalling: installation.deleted arrives although the installation is gone; the token stops working.
        let uninstall = try TestHTTP.api("DELETE", "/api/0/sentry-apps/\(app.slug)/installations/\(uuid)", token: orgAdmin)
        try Fixtures.expect(uninstall, 204, "uninstall")
        try Fixtures.expectError(try Self.installation(uuid, token: newToken), 401, code: "unauthorized")
        let all = try Self.installationWebhooks(path: app.path, count: 3)
        let deleted = try #require(all.last)
        #expect(String(decoding: deleted.body, as: UTF8.self) == #"{"action":"deleted","installation":{"uuid":"\#(uuid)"},"data":{"installation":{"app":{"uuid":"\#(app.uuid)","slug":"\#(app.slug)"},"organization":{"slug":"\#(org.slug)","id":\#(org.id)},"uuid":"\#(uuid)","status":"installed"}},"actor":{"type":"application","id":"sentry","name":"Sentry"}}"#)
        try Self.expectVerifiable(deleted, secret: app.secret)
        #expect(try db.query("SELECT count(*)::int FROM installations WHERE uuid = $1::uuid", uuid)[0].decode(0, as: Int.self) == 0)
        let deliveredDeletion = try Fixtures.waitUntil(timeout: 10) {
            try db.query(
                "SELECT status FROM deliveries WHERE app_id = $1 AND event_type = 'installation.deleted'", app.id
            ).first?.decode(0, as: String.self) == "delivered"
        }
        #expect(deliveredDeletion, "installation.deleted recorded as delivered")
        try Fixtures.expectError(try Fixtures.sendAlert(app: app, project: project), 409, code: "not_installed")
        // Its owners may redeliver installation.deleted (the same message), not an alert to the uninstalled organization.
        func logID(_ eventType: String) throws -> Int64 {
            try db.query(
                "SELECT max(id) FROM request_log WHERE app_id = $1 AND event_type = $2", app.id, eventType
            )[0].decode(0, as: Int64.self)
        }
        let redelivered = try TestHTTP.api(
            "POST", "/api/0/sentry-apps/\(app.slug)/requests/\(try logID("installation.deleted"))/redeliver", token: Fixtures.admin)
        try Fixtures.expect(redelivered, 201, "redeliver installation.deleted")
        let resent = try Self.installationWebhooks(path: app.path, count: 4)
        #expect(resent.last?.body == deleted.body && resent.last?.header("webhook-id") == deleted.header("webhook-id"))
        let alertAgain = try TestHTTP.api(
            "POST", "/api/0/sentry-apps/\(app.slug)/requests/\(try logID("event_alert.triggered"))/redeliver", token: Fixtures.admin)
        try Fixtures.expectError(alertAgain, 409, code: "not_installed")
    }

    // MARK: Codes and tokens

    @Test func anExpiredCodeIsRefusedAndGone() throws {
        try Fixtures.requireServices()
        let app = try Fixtures.makeApp(org: try Fixtures.makeOrganization(), status: "published", verifyInstall: true)
        let org = try Fixtures.makeOrganization()
        let installed = try Fixtures.install(app: app, into: org)
        let db = try Fixtures.database()
        try db.execute(
            """
            UPDATE installation_grants SET expires_at = now() - interval '1 second'
            WHERE installation_id = (SELECT id FROM installations WHERE uuid = $1::uuid)
            """, installed.uuid)
        let expired = try Fixtures.authorizations(uuid: installed.uuid, Fixtures.codeExchange(app: app, code: installed.code))
        let object = try Fixtures.expectError(expired, 401, code: "invalid_grant")
        #expect((object["detail"] as? String)?.contains("expired") == true)
        let later = try Fixtures.authorizations(uuid: installed.uuid, Fixtures.codeExchange(app: app, code: installed.code))
        try Fixtures.expectError(later, 401, code: "invalid_grant")
        #expect(try db.query(
            "SELECT count(*)::int FROM installation_grants g JOIN installations i ON i.id = g.installation_id WHERE i.uuid = $1::uuid",
            installed.uuid)[0].decode(0, as: Int.self) == 0)
        let failed = try Fixtures.auditRows(organizationID: org.id, event: "sentry-app-installation.token-exchange-failed", db: db)
        #expect(failed.first?.data.contains("expired_code") == true)
    }

    /// A token of one installation cannot read another's (404, like a missing one), nor use a code of another
    /// installation of the same app; an app's credentials reach only its own installations.
    @Test func tokensAndCodesBelongToOneInstallation() throws {
        try Fixtures.requireServices()
        let owner = try Fixtures.makeOrganization()
        let app = try Fixtures.makeApp(org: owner, status: "published")
        let other = try Fixtures.makeApp(org: owner, status: "published")
        let orgB = try Fixtures.makeOrganization()
        let orgC = try Fixtures.makeOrganization()
        let b = try Fixtures.install(app: app, into: orgB)
        let c = try Fixtures.install(app: app, into: orgC)
        // C's code on B's installation: refused, and C's code still works for C afterwards.
        try Fixtures.expectError(try Fixtures.authorizations(uuid: b.uuid, Fixtures.codeExchange(app: app, code: c.code)),
                                 401, code: "invalid_grant")
        // Another app's credentials do not reach this app's installation.
        try Fixtures.expectError(try Fixtures.authorizations(uuid: b.uuid, Fixtures.codeExchange(app: other, code: b.code)),
                                 404, code: "not_found")
        let tokenB = try Fixtures.exchange(app: app, installation: b.uuid, code: b.code).token
        let tokenC = try Fixtures.exchange(app: app, installation: c.uuid, code: c.code).token
        try Fixtures.expect(try Self.installation(b.uuid, token: tokenB), 200, "own installation")
        let foreign = try Self.installation(c.uuid, token: tokenB)
        let missing = try Self.installation(UUID().uuidString.lowercased(), token: tokenB)
        try Fixtures.expectError(foreign, 404, code: "not_found")
        try Fixtures.expectError(missing, 404, code: "not_found")
        try Fixtures.expectError(
            try TestHTTP.api("PUT", "/api/0/sentry-app-installations/\(c.uuid)/", token: tokenB, json: #"{"status":"installed"}"#),
            404, code: "not_found")
        try Fixtures.expect(try Self.installation(c.uuid, token: tokenC), 200, "C's own token")
        // No organization route for either, not even its own organization's.
        try Fixtures.expectError(try TestHTTP.api("GET", "/api/0/organizations/\(orgB.slug)", token: tokenB), 403, code: "forbidden")
        try Fixtures.expectError(
            try TestHTTP.api("GET", "/api/0/organizations/\(orgB.slug)/audit-logs", token: tokenB), 403, code: "forbidden")
    }

    // MARK: Existing callers, internal apps, apps without a webhook

    /// Without `verify_install` (the default) an installation is `installed` at once, as API.md promised: alerts go to
    /// it at once, and the integration still hears of it with a code it may exchange.
    @Test func withoutVerificationInstallationsAreInstalledAtOnce() throws {
        try Fixtures.requireServices()
        var app = try Fixtures.makeApp(org: try Fixtures.makeOrganization(), status: "published")
        let org = try Fixtures.makeOrganization()
        let project = try Fixtures.makeProject(org: org)
        let installed = try Fixtures.install(app: app, into: org)
        #expect(installed.status == "installed")
        app.organization = org
        let (_, alert) = try AlertDeliveryEndToEndTests.delivery(try Fixtures.sendAlert(app: app, project: project))
        #expect(alert["status"] as? String == "delivered")
        let created = try #require(try Self.installationWebhooks(path: app.path, count: 1).first)
        let body = try #require(try JSONSerialization.jsonObject(with: Data(created.body)) as? [String: Any])
        let data = (body["data"] as? [String: Any])?["installation"] as? [String: Any]
        #expect(data?["status"] as? String == "installed" && data?["code"] as? String == installed.code)
        _ = try Fixtures.exchange(app: app, installation: installed.uuid, code: installed.code)
    }

    /// Internal apps are installed in their own organization at once (also with `verify_install`, which governs
    /// installations made later) and, as in Sentry, get no installation webhook for it.
    @Test func internalAppsAreInstalledAtOnceWithoutAWebhook() throws {
        try Fixtures.requireServices()
        let org = try Fixtures.makeOrganization()
        let project = try Fixtures.makeProject(org: org)
        let app = try Fixtures.makeApp(org: org, verifyInstall: true)
        let db = try Fixtures.database()
        #expect(try db.query(
            "SELECT status FROM installations WHERE app_id = $1 AND organization_id = $2", app.id, org.id
        ).first?.decode(0, as: String.self) == "installed")
        let (_, alert) = try AlertDeliveryEndToEndTests.delivery(try Fixtures.sendAlert(app: app, project: project))
        #expect(alert["status"] as? String == "delivered")
        Thread.sleep(forTimeInterval: 1)
        let kinds = try db.query("SELECT event_type FROM deliveries WHERE app_id = $1", app.id).map { try $0.decode(0, as: String.self) }
        #expect(kinds == ["event_alert.triggered"])
        #expect(try Receiver.requests(path: app.path).map { $0.header("Sentry-Hook-Resource") } == ["event_alert"])
    }

    /// An app without a webhook URL: created without one (`webhook_url: null`), installed with the code in the
    /// response only, no webhook recorded for installing or uninstalling, alerts refused; the exchange still works.
    @Test func appsWithoutAWebhookURLGetNoWebhooks() throws {
        try Fixtures.requireServices()
        var app = try Fixtures.makeApp(org: try Fixtures.makeOrganization(), status: "published", withoutWebhook: true)
        let read = try TestHTTP.api("GET", "/api/0/sentry-apps/\(app.slug)", token: Fixtures.admin).object()
        #expect(read["webhook_url"] is NSNull)
        #expect(read["client_id"] as? String == app.clientID && Self.isLowerHex(app.clientID, count: 64))
        #expect(read["client_secret"] == nil, "the secret only on creation")
        let org = try Fixtures.makeOrganization()
        let project = try Fixtures.makeProject(org: org)
        let installed = try Fixtures.install(app: app, into: org)
        app.organization = org
        try Fixtures.expectError(try Fixtures.sendAlert(app: app, project: project), 409, code: "no_webhook_url")
        let token = try Fixtures.exchange(app: app, installation: installed.uuid, code: installed.code).token
        try Fixtures.expect(try Self.installation(installed.uuid, token: token), 200, "GET installation")
        try Fixtures.expect(
            try TestHTTP.api("DELETE", "/api/0/sentry-apps/\(app.slug)/installations/\(installed.uuid)", token: Fixtures.admin),
            204, "uninstall")
        let db = try Fixtures.database()
        #expect(try db.query("SELECT count(*)::int FROM deliveries WHERE app_id = $1", app.id)[0].decode(0, as: Int.self) == 0)
        // Giving it a URL later: alerts to installations made from then on... and webhooks from now on.
        let update = try TestHTTP.api(
            "PUT", "/api/0/sentry-apps/\(app.slug)", token: Fixtures.admin,
            json: #"{"webhook_url":"\#(Fixtures.receiverURL + app.path)"}"#)
        try Fixtures.expect(update, 200, "set the webhook URL")
        _ = try Fixtures.install(app: app, into: try Fixtures.makeOrganization())
        #expect(try Self.installationWebhooks(path: app.path, count: 1).count == 1)
    }
}
