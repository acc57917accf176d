import AlertRelayLogic
import HTTPCore
import HTTPTypes

/// What owners use to see and fix an integration: request log, redelivery, health view, enable (BEHAVIOUR B7, B9).
enum HealthRoutes {
    static func register(_ router: inout Router) {
        router.add(.get, "/api/0/sentry-apps/{app}/requests", listRequests)
        router.add(.post, "/api/0/sentry-apps/{app}/requests/{id}/redeliver", redeliver)
        router.add(.get, "/api/0/sentry-apps/{app}/health", health)
        router.add(.post, "/api/0/sentry-apps/{app}/enable", enable)
    }

    static func listRequests(_ request: Request, _ context: RequestContext) throws -> Response {
        let (app, _) = try AppRoutes.ownedApp(request, context, scope: .orgRead)
        let query = QueryParameters(request.query)
        let page = try Page(query: query)
        var filter = RequestLogStore.Filter()
        filter.eventType = query["eventType"].flatMap { $0.isEmpty ? nil : $0 }
        filter.errorsOnly = try parseQueryBool(query["errorsOnly"], name: "errorsOnly") ?? false
        if let slug = query["organization"], !slug.isEmpty {
            filter.organizationID = try appOrganization(slug, app: app, context: context).id
        }
        if let status = query["status"], !status.isEmpty {
            filter.statusRange = try statusRange(status)
        }
        if let since = query["since"], !since.isEmpty {
            guard isTimestamp(since) else {
                throw APIError.badRequest("Query parameter 'since' must be an RFC 3339 timestamp like 2026-11-27T00:00:00Z.")
            }
            filter.since = since
        }
        return page.response(try RequestLogStore.list(appID: app.id, filter: filter, page: page, db: context.db), request: request)
    }

    /// An organization the app's owners may ask about: their own, or one the app is installed in. Every other slug,
    /// existing or not, gets the same 404, so the filter cannot be used to probe for organizations.
    static func appOrganization(_ slug: String, app: App, context: RequestContext) throws -> Organization {
        if let organization = try OrganizationStore.find(slug: slug, context: context) {
            if organization.id == app.organizationID { return organization }
            if try AppStore.isInstalled(appID: app.id, organizationID: organization.id, db: context.db) {
                return organization
            }
        }
        throw APIError.notFound("App '\(app.slug)' has no installation in organization '\(slug)'.")
    }

    /// `2xx`, `4xx`, ... a class; `404` an exact code; `0` no response.
    static func statusRange(_ text: String) throws(APIError) -> (low: Int, high: Int) {
        let lowered = text.lowercased()
        if lowered.count == 3, lowered.hasSuffix("xx"), let digit = Int(String(lowered.prefix(1))), (1...5).contains(digit) {
            return (digit * 100, digit * 100 + 99)
        }
        if let code = Int(text), code == 0 || (100...599).contains(code) { return (code, code) }
        throw APIError.badRequest("Query parameter 'status' must be a class like 5xx, an HTTP status like 404, or 0.")
    }

    /// An RFC 3339 date (`2026-11-27`) or date-time (`2026-11-27T08:00:00Z`, `…T08:00:00.5+01:00`), checked fully here
    /// so that a bad time part is a 400 naming `since` rather than the database's "malformed value".
    static func isTimestamp(_ text: String) -> Bool {
        guard text.utf8.count <= 40, UTCDay(String(text.prefix(10))) != nil else { return false }
        let time = text.dropFirst(10)
        return time.isEmpty
            || time.wholeMatch(of: #/[Tt ]([01][0-9]|2[0-3]):[0-5][0-9](:([0-5][0-9]|60)(\.[0-9]{1,9})?)?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])/#) != nil
    }

    static func redeliver(_ request: Request, _ context: RequestContext) throws -> Response {
        let (app, _) = try AppRoutes.ownedApp(request, context, scope: .orgWrite)
        let notFound = APIError.notFound("Request '\(context.parameter("id"))' does not exist in the log of app '\(app.slug)'.")
        guard let logID = Int64(context.parameter("id")),
            let deliveryID = try RequestLogStore.deliveryID(logID: logID, appID: app.id, db: context.db)
        else { throw notFound }
        guard let deliveryID, let (original, payload) = try DeliveryStore.findWithPayload(id: deliveryID, db: context.db)
        else {
            throw APIError(.gone, code: "delivery_expired", "The delivery of this request is past its retention and cannot be redelivered.")
        }
        guard !app.isDisabled else {
            throw APIError.conflict("App '\(app.slug)' is disabled; enable it before redelivering.", code: "app_disabled")
        }
        guard try AppStore.isInstalled(appID: app.id, organizationID: original.organizationID, db: context.db) else {
            throw APIError.conflict("App '\(app.slug)' is no longer installed in that organization.", code: "not_installed")
        }
        let permit = AlertRoutes.prefersAsync(request) ? nil : context.app.inlineLimiter.acquire(appID: app.id)
        defer { permit.map(context.app.inlineLimiter.release) }
        // The same message again: same body and webhook-id, so receivers that already processed it can tell.
        let delivery = try DeliveryStore.insert(
            DeliveryStore.NewDelivery(
                organizationID: original.organizationID, appID: app.id, projectID: original.projectID,
                eventType: original.eventType, resource: original.resource, requestID: RandomToken.uuid4Hex(),
                webhookID: original.webhookID, payload: payload, redeliveryOf: original.id),
            start: AlertRoutes.start(inline: permit != nil, context), db: context.db)
        guard let organization = try OrganizationStore.find(id: original.organizationID, context: context) else {
            throw notFound
        }
        return try AlertRoutes.respond(
            delivery, payload: payload, app: app, inline: permit != nil, organization: organization, context)
    }

    static func health(_ request: Request, _ context: RequestContext) throws -> Response {
        let (app, owner) = try AppRoutes.ownedApp(request, context, scope: .orgRead)
        var organization = owner
        if let slug = QueryParameters(request.query)["organization"], !slug.isEmpty, slug != owner.slug {
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

    static func enable(_ request: Request, _ context: RequestContext) throws -> Response {
        let (app, organization) = try AppRoutes.ownedApp(request, context, scope: .orgAdmin)
        try DisableFlow.enable(app: app, actor: try context.principal(for: request).actorName, db: context.db)
        guard let enabled = try AppStore.find(id: app.id, db: context.db) else {
            throw APIError.notFound("App '\(app.slug)' does not exist.")
        }
        return .json(enabled.json(organizationSlug: organization.slug))
    }
}
