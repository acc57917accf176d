import AlertRelayDelivery
import AlertRelayLogic
import AlertRelayStore
import HTTPCore
import HTTPTypes
import PostgresClient

/// Apps (integrations) and installations (API.md).
enum AppRoutes {
    static let maxTimeoutMilliseconds = 30_000

    static func register(_ router: inout Router) {
        router.add(.post, "/api/0/organizations/{org}/sentry-apps", createApp)
        router.add(.get, "/api/0/sentry-apps/{app}", getApp)
        router.add(.put, "/api/0/sentry-apps/{app}", updateApp)
        router.add(.delete, "/api/0/sentry-apps/{app}", deleteApp)
        router.add(.post, "/api/0/sentry-apps/{app}/rotate-secret", rotateSecret)
        router.add(.post, "/api/0/sentry-apps/{app}/installations", install)
        router.add(.delete, "/api/0/sentry-apps/{app}/installations/{uuid}", uninstall)
    }

    /// The app named by the `{app}` parameter when the caller's organization owns it (404 otherwise: no leak).
    /// The token and its scope are checked first (401/403), so an anonymous caller learns nothing about which apps exist.
    static func ownedApp(_ request: Request, _ context: RequestContext, scope: Scope) throws -> (App, Organization) {
        _ = try Authenticator.authorize(request, context, scope: scope)
        let slug = context.parameter("app")
        let notFound = APIError.notFound("App '\(slug)' does not exist.")
        guard Slug.isValid(slug), let app = try AppStore.find(slug: slug, db: context.db) else { throw notFound }
        _ = try Authenticator.authorize(request, context, ownerID: app.organizationID, scope: scope, notFound: notFound)
        guard let organization = try OrganizationStore.find(id: app.organizationID, db: context.db, cache: context.app.cache) else { throw notFound }
        return (app, organization)
    }

    static func createApp(_ request: Request, _ context: RequestContext) throws -> Response {
        let organization = try Authenticator.authorize(request, context, organization: context.parameter("org"), scope: .orgWrite)
        let body = try JSONBody.parse(request)
        let name = try Validation.name(body.string("name"))
        // Optional: an app without a webhook URL receives no webhooks (alerts to it are refused).
        let webhookURL = try body.optionalString("webhook_url").map(validWebhookURL)
        guard let status = AppStatus(rawValue: try body.optionalString("status") ?? AppStatus.internal.rawValue) else {
            throw APIError.unprocessable(
                "Field 'status' must be one of \(AppStatus.allCases.map(\.rawValue).joined(separator: ", ")).")
        }
        // Applies to installations made with POST .../installations; an internal app's own installation, made here,
        // is installed at once (as Sentry's internal integrations are).
        let verifyInstall = try body.optionalBool("verify_install") ?? false
        let events = try body.optionalStringArray("events") ?? ["event_alert"]
        let timeout = try validTimeout(body.optionalInt("timeout_ms") ?? 1000)
        let givenSlug = try body.optionalString("slug").map(OrganizationRoutes.validSlug)
        var new = AppStore.NewApp(
            organizationID: organization.id, slug: givenSlug ?? Slug.make(from: name), name: name, status: status,
            webhookURL: webhookURL, events: events, timeoutMilliseconds: timeout, verifyInstall: verifyInstall)
        // A derived slug that is taken gets a short random suffix; a slug the caller chose is a 409 instead.
        var attempt = 0
        while true {
            do {
                // One transaction: the app, its own installation and its audit entry commit together.
                let app = try context.db.transaction { db in
                    let app = try AppStore.create(new, db: db)
                    try AuditStore.write(
                        organizationID: organization.id, event: "sentry-app.create",
                        data: .object(JSONObject([("name", .string(name)), ("slug", .string(app.slug))])),
                        actor: try context.principal(for: request).actorName, db: db)
                    return app
                }
                return .json(app.json(organizationSlug: organization.slug, includeSecret: true), status: .created)
            } catch let error as PostgresError
                where givenSlug == nil && attempt < 5 && error.isUniqueViolation && error.constraint == "apps_slug_key"
            {
                attempt += 1
                new.slug = String(Slug.make(from: name).prefix(58)) + "-" + String(RandomToken.uuid4Hex().prefix(5))
            }
        }
    }

    static func getApp(_ request: Request, _ context: RequestContext) throws -> Response {
        let (app, organization) = try ownedApp(request, context, scope: .orgRead)
        return .json(app.json(organizationSlug: organization.slug))
    }

    static func updateApp(_ request: Request, _ context: RequestContext) throws -> Response {
        let (app, organization) = try ownedApp(request, context, scope: .orgWrite)
        let body = try JSONBody.parse(request)
        let name = try body.optionalString("name").map { (name: String) throws(APIError) in try Validation.name(name) }
        let webhookURL = try body.optionalString("webhook_url").map(validWebhookURL)
        let events = try body.optionalStringArray("events")
        let timeout = try body.optionalInt("timeout_ms").map(validTimeout)
        let updatable = ["name", "webhook_url", "events", "timeout_ms", "verify_install"]
        for field in body.object.keys where !updatable.contains(field) {
            throw APIError.badRequest(
                "Field '\(field)' cannot be updated; updatable: \(updatable.joined(separator: ", ")).", code: "unknown_field")
        }
        let verifyInstall = try body.optionalBool("verify_install")
        try AppStore.update(
            id: app.id, name: name, webhookURL: webhookURL, events: events, timeoutMilliseconds: timeout,
            verifyInstall: verifyInstall, db: context.db)
        guard let updated = try AppStore.find(id: app.id, db: context.db) else {
            throw APIError.notFound("App '\(app.slug)' does not exist.")
        }
        return .json(updated.json(organizationSlug: organization.slug))
    }

    static func deleteApp(_ request: Request, _ context: RequestContext) throws -> Response {
        let (app, organization) = try ownedApp(request, context, scope: .orgAdmin)
        try context.db.transactionRetryingConflicts { db in
            // Its deliveries and request log go with it (the apps_delete_history trigger).
            try AppStore.delete(id: app.id, db: db)
            try AuditStore.write(
                organizationID: organization.id, event: "sentry-app.remove",
                data: .object(JSONObject([("name", .string(app.name)), ("slug", .string(app.slug))])),
                actor: try context.principal(for: request).actorName, db: db)
        }
        return .noContent()
    }

    static func rotateSecret(_ request: Request, _ context: RequestContext) throws -> Response {
        let (app, organization) = try ownedApp(request, context, scope: .orgAdmin)
        let secret = try context.db.transaction { db in
            let secret = try AppStore.rotateSecret(id: app.id, graceSeconds: context.config.secretGracePeriodSeconds, db: db)
            try AuditStore.write(
                organizationID: organization.id, event: "sentry-app.rotate-secret",
                data: .object(JSONObject([("slug", .string(app.slug))])),
                actor: try context.principal(for: request).actorName, db: db)
            return secret
        }
        return .json(.object(JSONObject([
            ("client_secret", .string(secret)),
            ("previous_secret_valid_for_seconds", .int(context.config.secretGracePeriodSeconds)),
        ])))
    }

    static func install(_ request: Request, _ context: RequestContext) throws -> Response {
        // The token first: the installing organization is only known from the body.
        _ = try Authenticator.authorize(request, context, scope: .orgWrite)
        let slug = context.parameter("app")
        let body = try JSONBody.parse(request)
        let target = try Authenticator.authorize(request, context, organization: body.string("organization"), scope: .orgWrite)
        guard Slug.isValid(slug), let app = try AppStore.find(slug: slug, db: context.db),
            app.status == .published || app.organizationID == target.id
        else {
            throw APIError.notFound("App '\(slug)' does not exist.")
        }
        let installed = try InstallationFlow.install(
            app: app, organization: target, actor: try context.principal(for: request).actorName, db: context.db)
        return .json(.object(JSONObject([
            ("uuid", .string(installed.view.uuid)), ("app", .string(app.slug)), ("organization", .string(target.slug)),
            ("status", .string(installed.view.status)), ("date_created", .string(installed.dateCreated)),
            ("code", .string(installed.code)),
        ])), status: .created)
    }

    static func uninstall(_ request: Request, _ context: RequestContext) throws -> Response {
        _ = try Authenticator.authorize(request, context, scope: .orgAdmin)
        let slug = context.parameter("app")
        let uuid = context.parameter("uuid")
        let notFound = APIError.notFound("Installation '\(uuid)' of app '\(slug)' does not exist.")
        guard isUUID(uuid), Slug.isValid(slug), let app = try AppStore.find(slug: slug, db: context.db),
            let organizationID = try AppStore.installationOrganization(appID: app.id, uuid: uuid, db: context.db)
        else { throw notFound }
        let principal = try Authenticator.authorize(request, context, ownerID: organizationID, scope: .orgAdmin, notFound: notFound)
        guard let organization = try OrganizationStore.find(id: organizationID, db: context.db, cache: context.app.cache),
            try InstallationFlow.uninstall(
                app: app, uuid: uuid, organization: organization, actor: principal.actorName, db: context.db)
        else { throw notFound }
        return .noContent()
    }

    // MARK: Validation

    static func validWebhookURL(_ url: String) throws(APIError) -> String {
        if let problem = WebhookTarget.problem(with: url) {
            throw APIError.unprocessable("Field 'webhook_url' is invalid: \(problem)")
        }
        return url
    }

    static func validTimeout(_ milliseconds: Int) throws(APIError) -> Int {
        guard (1...maxTimeoutMilliseconds).contains(milliseconds) else {
            throw APIError.unprocessable("Field 'timeout_ms' must be between 1 and \(maxTimeoutMilliseconds).")
        }
        return milliseconds
    }

    static func isUUID(_ text: String) -> Bool {
        let hex = text.utf8.filter { $0 != UInt8(ascii: "-") }
        return text.utf8.count == 36 && hex.count == 32 && hex.allSatisfy { $0.isHexDigit }
    }
}

extension UInt8 {
    var isHexDigit: Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(self)
            || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(self)
    }
}
