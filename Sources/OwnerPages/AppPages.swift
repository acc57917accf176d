import AlertRelayAPI
import AlertRelayDelivery
import AlertRelayLogic
import AlertRelayStore
import HTTPCore
import HTTPTypes
import SystemSupport

/// The organization's apps, an app's settings page and its dashboard, and their forms.
enum AppPages {
    /// Request-log entries per page.
    static let logPageSize = 100
    /// Installations listed on the settings page.
    static let installationsShown = 50

    /// The app `{app}` when it belongs to the visitor's organization; 404 otherwise, the same for another
    /// organization's app as for an unknown one.
    static func app(_ visitor: Visitor, _ context: RequestContext) throws -> App {
        let slug = context.parameter("app")
        guard Slug.isValid(slug), let app = try AppStore.find(slug: slug, db: context.db),
            app.organizationID == visitor.organization.id
        else {
            throw APIError.notFound("There is no integration '\(slug)' in \(visitor.organization.slug).")
        }
        return app
    }

    static func frame(_ title: String, _ visitor: Visitor, _ request: Request) -> Frame {
        let query = QueryParameters(request.query)
        var notice: String?
        switch query["done"] {
        case "enabled":
            notice = "Re-enabled. Its health counters are cleared and it receives webhooks again."
        case "redelivered":
            notice = "Redelivery queued: the request goes out again with its original webhook-id."
        case "replayed":
            let count = InputRules.integer(query["queued"] ?? "", in: 0...ReplayFlow.limit) ?? 0
            notice = "Queued \(Text.grouped(count)) \(count == 1 ? "delivery" : "deliveries") again."
                + (query["more"] == "true"
                    ? " More matched than \(Text.grouped(ReplayFlow.limit)): replay again to queue the next ones." : "")
        default:
            notice = nil
        }
        return Frame(title: title, paths: visitor.paths, session: visitor.session, notice: notice)
    }

    static func list(_ site: Site, _ request: Request, _ context: RequestContext) throws -> Response {
        let visitor = try SignInPages.visitor(site, request, context)
        let apps = try AppOverviewStore.apps(organizationID: visitor.organization.id, limit: 500, db: context.db)
        return site.page(
            "apps", Views.apps(frame("Developer settings", visitor, request), organizationName: visitor.organization.name, apps: apps))
    }

    static func settings(_ site: Site, _ request: Request, _ context: RequestContext) throws -> Response {
        let visitor = try SignInPages.visitor(site, request, context, linkApp: context.parameter("app"))
        let app = try app(visitor, context)
        let (installations, more) = try AppOverviewStore.installations(
            appID: app.id, limit: installationsShown, db: context.db)
        let today = UTCDay(unixSeconds: WallClock.unixSeconds())
        let health = try RequestLogStore.healthDays(
            appID: app.id, organizationID: app.organizationID, today: today, db: context.db)
        return site.page(
            "settings",
            Views.settings(
                frame(app.name, visitor, request), app: app, installations: installations, moreInstallations: more,
                health: health, today: today, timeoutThreshold: site.config.brokenTimeoutThreshold))
    }

    /// Re-enable: what `POST /api/0/sentry-apps/{app}/enable` does, with the signed-in person as the audit's actor.
    static func enable(_ site: Site, _ request: Request, _ context: RequestContext) throws -> Response {
        let visitor = try SignInPages.visitor(site, request, context)
        _ = try SignInPages.checkForm(site, request, visitor)
        let app = try app(visitor, context)
        try DisableFlow.enable(app: app, actor: visitor.session.actor, db: context.db)
        return site.redirect(visitor.paths.settings(app.slug) + "?done=enabled")
    }

    static func dashboard(_ site: Site, _ request: Request, _ context: RequestContext) throws -> Response {
        let visitor = try SignInPages.visitor(site, request, context, linkApp: context.parameter("app"))
        let app = try app(visitor, context)
        let (query, filter, problem) = logQuery(QueryParameters(request.query))
        let entries = try RequestLogStore.entries(
            appID: app.id, filter: filter, limit: logPageSize + 1, cursor: query.cursor, db: context.db)
        let today = UTCDay(unixSeconds: WallClock.unixSeconds())
        let history = try AppOverviewStore.healthHistory(appID: app.id, days: HealthChart.days, today: today, db: context.db)
        let (installations, _) = try AppOverviewStore.installations(appID: app.id, limit: installationsShown, db: context.db)
        let replaySince = app.disabledAt.map(Text.localInput)
            ?? Text.localInput(RFC3339.format(unixMicroseconds: (WallClock.unixSeconds() - 86_400) * 1_000_000))
        var frame = frame(app.name + " · dashboard", visitor, request)
        frame.problem = problem
        return site.page(
            "dashboard",
            Views.dashboard(
                frame, app: app, chart: HealthChart.layout(history, today: today),
                entries: Array(entries.prefix(logPageSize)), more: entries.count > logPageSize, query: query,
                installations: installations, replaySince: replaySince,
                timeoutThreshold: site.config.brokenTimeoutThreshold))
    }

    /// The dashboard's query as filters the API takes (the same rules as `GET .../requests`); a value that does not
    /// fit is left out and named in `problem`.
    static func logQuery(_ parameters: QueryParameters) -> (LogQuery, RequestLogStore.Filter, problem: String?) {
        var query = LogQuery()
        var filter = RequestLogStore.Filter()
        var problems: [String] = []
        func text(_ name: String) -> String? {
            guard let value = parameters[name], !value.isEmpty else { return nil }
            return value
        }
        query.errorsOnly = ["true", "1"].contains(parameters["errorsOnly"] ?? "")
        filter.errorsOnly = query.errorsOnly
        if let eventType = text("eventType") {
            if InputRules.textProblem(eventType, length: 1...200) == nil {
                query.eventType = eventType
                filter.eventType = eventType
            } else {
                problems.append("The event type must be 1 to 200 characters.")
            }
        }
        if let status = text("status") {
            if let range = InputRules.statusFilter(status) {
                query.status = status
                filter.statusRange = (range.lowerBound, range.upperBound)
            } else {
                problems.append("The status must be a class like 5xx, a status like 404, or 0.")
            }
        }
        if let since = text("since") {
            if let instant = Text.instant(fromInput: since) {
                query.since = since
                filter.since = instant
            } else {
                problems.append("“Since” must be a date and time, like 2026-12-05T10:00.")
            }
        }
        query.cursor = text("cursor").flatMap(InputRules.id)
        query.open = text("open").flatMap(InputRules.id)
        return (query, filter, problems.isEmpty ? nil : problems.joined(separator: " "))
    }

    /// Redeliver: what `POST .../requests/{id}/redeliver` does, queued (the page does not wait for the receiver).
    static func redeliver(_ site: Site, _ request: Request, _ context: RequestContext) throws -> Response {
        let visitor = try SignInPages.visitor(site, request, context)
        let form = try SignInPages.checkForm(site, request, visitor)
        let app = try app(visitor, context)
        let logID = form["id"] ?? ""
        let (original, payload) = try RedeliveryFlow.original(app: app, logID: logID, db: context.db)
        // One redelivery a person asked for: wake an idle dispatcher now (the throttle is for streams of alerts).
        _ = try RedeliveryFlow.record(original, payload: payload, app: app, start: .queued(wake: true), db: context.db)
        return site.redirect(visitor.paths.dashboard(app.slug) + "?done=redelivered")
    }

    /// Replay failed since ⟨time⟩: what `POST /api/0/sentry-apps/{app}/replay` does.
    static func replay(_ site: Site, _ request: Request, _ context: RequestContext) throws -> Response {
        let visitor = try SignInPages.visitor(site, request, context)
        let form = try SignInPages.checkForm(site, request, visitor)
        let app = try app(visitor, context)
        guard let since = form["since"].flatMap(Text.instant(fromInput:)) else {
            throw APIError.unprocessable("“Failed since” must be a date and time, like 2026-12-05T10:00.")
        }
        var organization = visitor.organization
        if let slug = form["organization"], !slug.isEmpty, slug != organization.slug {
            guard let other = try OrganizationStore.find(
                slug: slug, whereAppActs: app, db: context.db, cache: context.app.cache)
            else { throw APIError.notFound("\(app.name) is not installed in '\(slug)'.") }
            organization = other
        }
        let replayed = try ReplayFlow.replay(
            app: app, organization: organization, since: since, actor: visitor.session.actor, db: context.db)
        return site.redirect(
            visitor.paths.dashboard(app.slug) + "?done=replayed&queued=\(replayed.queued)" + (replayed.more ? "&more=true" : ""))
    }
}
