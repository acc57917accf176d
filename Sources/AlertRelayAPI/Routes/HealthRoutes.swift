import AlertRelayDelivery
import AlertRelayLogic
import AlertRelayStore
import HTTPCore
import HTTPTypes
import SystemSupport

/// What owners use to see and fix an integration: request log, redelivery, health view, enable (BEHAVIOUR B7, B9).
enum HealthRoutes {
    static func register(_ router: inout Router) {
        router.add(.get, "/api/0/sentry-apps/{app}/requests", listRequests)
        router.add(.post, "/api/0/sentry-apps/{app}/requests/{id}/redeliver", redeliver)
        router.add(.get, "/api/0/sentry-apps/{app}/health", health)
        router.add(.post, "/api/0/sentry-apps/{app}/enable", enable)
        router.add(.post, "/api/0/sentry-apps/{app}/disable", disable)
    }

    static func listRequests(_ request: Request, _ context: RequestContext) throws -> Response {
        let (app, _) = try AppRoutes.ownedApp(request, context, scope: .orgRead)
        let query = QueryParameters(request.query)
        let page = try Page(query: query)
        var filter = RequestLogStore.Filter()
        filter.eventType = try Validation.queryText(query, "eventType")
        filter.errorsOnly = try parseQueryBool(query["errorsOnly"], name: "errorsOnly") ?? false
        if let slug = try Validation.queryText(query, "organization") {
            filter.organizationID = try appOrganization(slug, app: app, context: context).id
        }
        if let status = try Validation.queryText(query, "status") {
            guard let range = InputRules.statusFilter(status) else {
                throw APIError.badRequest("Query parameter 'status' must be a class like 5xx, an HTTP status like 404, or 0.")
            }
            filter.statusRange = (range.lowerBound, range.upperBound)
        }
        filter.since = try Validation.queryTimestamp(query, "since")
        let entries = try RequestLogStore.list(appID: app.id, filter: filter, page: page, db: context.db)
        return page.response(entries.map { ($0.id, $0.json) }, request: request)
    }

    /// An organization the app's owners may ask about: their own, or one the app is installed in. Every other slug,
    /// existing or not, gets the same 404, so the filter cannot be used to probe for organizations.
    static func appOrganization(_ slug: String, app: App, context: RequestContext) throws -> Organization {
        if let organization = try OrganizationStore.find(
            slug: slug, whereAppActs: app, db: context.db, cache: context.app.cache)
        {
            return organization
        }
        throw APIError.notFound("App '\(app.slug)' has no installation in organization '\(slug)'.")
    }

    static func redeliver(_ request: Request, _ context: RequestContext) throws -> Response {
        let (app, _) = try AppRoutes.ownedApp(request, context, scope: .orgWrite)
        let (original, payload) = try RedeliveryFlow.original(app: app, logID: context.parameter("id"), db: context.db)
        // Before anything is recorded: a refusal must leave no new delivery behind.
        guard let organization = try OrganizationStore.find(id: original.organizationID, db: context.db, cache: context.app.cache) else {
            throw APIError.notFound("Request '\(context.parameter("id"))' does not exist in the log of app '\(app.slug)'.")
        }
        let permit = AlertRoutes.prefersAsync(request) ? nil : context.app.inlineLimiter.acquire(appID: app.id)
        defer { permit.map(context.app.inlineLimiter.release) }
        let delivery = try RedeliveryFlow.record(
            original, payload: payload, app: app, start: AlertRoutes.start(inline: permit != nil, context), db: context.db)
        return try AlertRoutes.respond(
            delivery, payload: payload, app: app, inline: permit != nil, organization: organization, context)
    }

    static func health(_ request: Request, _ context: RequestContext) throws -> Response {
        let (app, owner) = try AppRoutes.ownedApp(request, context, scope: .orgRead)
        var organization = owner
        if let slug = try Validation.queryText(QueryParameters(request.query), "organization"), slug != owner.slug {
            organization = try appOrganization(slug, app: app, context: context)
        }
        let today = UTCDay(unixSeconds: WallClock.unixSeconds())
        let rows = try RequestLogStore.healthDays(appID: app.id, organizationID: organization.id, today: today, db: context.db)
        let verdict = BrokenRule.evaluate(rows, today: today, timeoutThreshold: context.config.brokenTimeoutThreshold)
        let days = BrokenRule.window(rows, today: today).map { day in
            JSONValue.object(JSONObject([
                ("date", .string(day.day.description)), ("success", .int(day.success)), ("error", .int(day.error)),
                ("timeout", .int(day.timeout)), ("fatal", .int(day.fatal)),
            ]))
        }
        return .json(.object(JSONObject([
            ("app", .string(app.slug)), ("organization", .string(organization.slug)),
            ("state", .string(app.isDisabled ? "disabled" : "active")), ("disabled_at", .optionalString(app.disabledAt)),
            ("disabled_reason", .optionalString(app.disabledReason)), ("broken", .bool(verdict.isBroken)),
            ("reason", .optionalString(verdict.reason)), ("days", .array(days)),
        ])))
    }

    /// Pauses an app by hand: the same disable as the broken rule's (nothing is sent to it until it is enabled, its
    /// waiting deliveries fail `app_disabled`), audited with the caller as actor, and without the owners' e-mail
    /// (an owner or admin did it). Disabling a disabled app changes nothing.
    static func disable(_ request: Request, _ context: RequestContext) throws -> Response {
        let (app, organization) = try AppRoutes.ownedApp(request, context, scope: .orgAdmin)
        let actor = try context.principal(for: request).actorName
        try DisableFlow.disable(
            app: app, reason: "disabled by \(actor)", config: context.config, logger: context.logger, db: context.db,
            by: actor)
        guard let disabled = try AppStore.find(id: app.id, db: context.db) else {
            throw APIError.notFound("App '\(app.slug)' does not exist.")
        }
        return .json(disabled.json(organizationSlug: organization.slug))
    }

    static func enable(_ request: Request, _ context: RequestContext) throws -> Response {
        let (app, organization) = try AppRoutes.ownedApp(request, context, scope: .orgAdmin)
        try DisableFlow.enable(app: app, actor: try context.principal(for: request).actorName, db: context.db)
        guard let enabled = try AppStore.find(id: app.id, db: context.db) else {
            throw APIError.notFound("App '\(app.slug)' does not exist.")
        }
        return .json(enabled.json(organizationSlug: organization.slug))
    }
}
