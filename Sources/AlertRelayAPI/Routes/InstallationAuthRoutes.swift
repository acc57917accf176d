import AlertRelayDelivery
import AlertRelayLogic
import AlertRelayStore
import HTTPCore

/// What an integration calls to complete its installation, as on Sentry's integration platform:
/// `POST /api/0/sentry-app-installations/{uuid}/authorizations/` exchanges the grant code (or a refresh token) for an
/// installation token, authenticated by the app's `client_id` and `client_secret` in the body;
/// `GET`/`PUT /api/0/sentry-app-installations/{uuid}/` read the installation and mark it installed, with that token.
enum InstallationAuthRoutes {
    static func register(_ router: inout Router) {
        router.add(.post, "/api/0/sentry-app-installations/{uuid}/authorizations", authorize)
        router.add(.get, "/api/0/sentry-app-installations/{uuid}", getInstallation)
        router.add(.put, "/api/0/sentry-app-installations/{uuid}", updateInstallation)
    }

    static let exchangeAuditEvent = "sentry-app-installation.token-exchange"
    static let exchangeFailedAuditEvent = "sentry-app-installation.token-exchange-failed"
    static let updateAuditEvent = "sentry-app-installation.update"

    // MARK: Token exchange

    /// 401 unless the body carries the client id and secret (the current one, or the previous one while its grace
    /// period lasts) of an app; then 404 unless `{uuid}` is an installation of that app; then the grant.
    static func authorize(_ request: Request, _ context: RequestContext) throws -> Response {
        let body = try JSONBody.parse(request)
        let app = try authenticateClient(body, context)
        let uuid = context.parameter("uuid")
        guard AppRoutes.isUUID(uuid), let installation = try InstallationStore.find(uuid: uuid, db: context.db),
            installation.appID == app.id
        else {
            throw APIError.notFound("Installation '\(uuid)' of app '\(app.slug)' does not exist.")
        }
        let grantType = try body.string("grant_type")
        let actor = "sentry-app:\(app.slug)"
        func audit(_ event: String, _ fields: [(String, JSONValue)]) throws {
            try AuditStore.write(
                organizationID: installation.organizationID, event: event,
                data: .object(JSONObject([
                    ("app", .string(app.slug)), ("uuid", .string(installation.view.uuid)), ("grant_type", .string(grantType)),
                ] + fields)),
                actor: actor, db: context.db)
        }
        func refused(_ reason: String, _ detail: String) throws -> APIError {
            try audit(exchangeFailedAuditEvent, [("reason", .string(reason))])
            return APIError(.unauthorized, code: "invalid_grant", detail)
        }

        let issued: GrantStore.IssuedToken
        switch grantType {
        case "authorization_code":
            let code = try body.string("code")
            switch try GrantStore.exchange(installationID: installation.id, code: code, db: context.db) {
            case .issued(let token): issued = token
            case .unknownCode:
                throw try refused("unknown_code", "The grant code is not valid for this installation (each code works once).")
            case .expiredCode:
                throw try refused("expired_code", "The grant code has expired (codes are valid for ten minutes).")
            }
        case "refresh_token":
            let refreshToken = try body.string("refresh_token")
            guard let token = try GrantStore.refresh(
                installationID: installation.id, refreshToken: refreshToken, db: context.db)
            else {
                throw try refused("unknown_refresh_token", "The refresh token is not this installation's current one.")
            }
            issued = token
        default:
            throw APIError.unprocessable("Field 'grant_type' must be authorization_code or refresh_token.")
        }
        try audit(exchangeAuditEvent, [("token_id", .int64(issued.id))])

        // Sentry's ApiTokenSerializer for a token without an application, in its key order.
        let state = body.value("state") ?? .null
        return .json(.object(JSONObject([
            ("id", .string(String(issued.id))), ("scopes", .array([])), ("application", .null),
            ("expiresAt", .string(issued.expiresAt)), ("dateCreated", .string(issued.dateCreated)),
            ("state", state.stringValue.map(JSONValue.string) ?? .null), ("token", .string(issued.token)),
            ("refreshToken", .string(issued.refreshToken)), ("tokenLastCharacters", .string(String(issued.token.suffix(4)))),
        ])), status: .created)
    }

    /// The app whose credentials the body carries; 401 `unauthorized` for missing or wrong ones (the same answer for
    /// an unknown client id and a wrong secret).
    static func authenticateClient(_ body: JSONBody, _ context: RequestContext) throws -> App {
        let refused = APIError(
            .unauthorized, code: "unauthorized",
            "Valid client credentials are required: the app's client_id and client_secret in the body.")
        guard case .string(let clientID)? = body.value("client_id"), case .string(let secret)? = body.value("client_secret"),
            GrantStore.isTokenShaped(clientID), !secret.isEmpty, !secret.unicodeScalars.contains("\u{0}"),
            let app = try AppStore.find(clientID: clientID, db: context.db)
        else { throw refused }
        let matches = [app.clientSecret, app.previousSecret].compactMap { $0 }.reduce(false) { matched, candidate in
            ConstantTime.equal(secret, candidate) || matched
        }
        guard matches else { throw refused }
        return app
    }

    // MARK: The installation, for its installation token

    /// The installation `{uuid}` for its own installation token (or the admin token): 401 without a valid token, 403
    /// for an organization token, 404 for an unknown installation or another installation's token.
    static func installation(_ request: Request, _ context: RequestContext) throws -> (Installation, Principal) {
        let principal = try context.principal(for: request)
        if case .token = principal {
            throw APIError.forbidden(
                "Only the integration's installation token (from the token exchange) may use this route.")
        }
        let uuid = context.parameter("uuid")
        let notFound = APIError.notFound("Installation '\(uuid)' does not exist.")
        guard AppRoutes.isUUID(uuid), let installation = try InstallationStore.find(uuid: uuid, db: context.db) else {
            throw notFound
        }
        if case .installation(_, let installationID, _) = principal, installationID != installation.id { throw notFound }
        return (installation, principal)
    }

    static func getInstallation(_ request: Request, _ context: RequestContext) throws -> Response {
        let (installation, _) = try installation(request, context)
        return .json(installation.view.json())
    }

    /// `{"status": "installed"}` marks a pending installation installed (alerts go to it from then on); `{}` changes
    /// nothing. Writes audit event `sentry-app-installation.update` when the status changed.
    static func updateInstallation(_ request: Request, _ context: RequestContext) throws -> Response {
        let (installation, principal) = try installation(request, context)
        let body = try JSONBody.parse(request)
        guard let status = try body.optionalString("status") else { return .json(installation.view.json()) }
        guard status == "installed" else {
            throw APIError.unprocessable("Field 'status' can only be set to installed.")
        }
        try context.db.transaction { db in
            guard try InstallationStore.markInstalled(id: installation.id, db: db) else { return }
            try AuditStore.write(
                organizationID: installation.organizationID, event: updateAuditEvent,
                data: .object(JSONObject([
                    ("app", .string(installation.view.appSlug)), ("uuid", .string(installation.view.uuid)),
                    ("status", .string("installed")),
                ])),
                actor: principal.actorName, db: db)
        }
        guard let updated = try InstallationStore.find(id: installation.id, db: context.db) else {
            throw APIError.notFound("Installation '\(installation.view.uuid)' does not exist.")
        }
        return .json(updated.view.json())
    }
}
