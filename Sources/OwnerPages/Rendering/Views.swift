import AlertRelayAPI
import AlertRelayDelivery
import AlertRelayStore
import AlertRelayLogic

/// The addresses of one organization's owner pages below the site's base path (the URL prefix's path, often empty).
struct Paths: Sendable {
    var base: String
    var orgSlug: String

    var settingsRoot: String { "\(base)/settings/\(orgSlug)/" }
    var home: String { settingsRoot + "developer-settings/" }
    var signIn: String { settingsRoot + "sign-in" }
    var signOut: String { settingsRoot + "sign-out" }
    var css: String { base + Stylesheet.path }
    func settings(_ appSlug: String) -> String { home + appSlug + "/" }
    func dashboard(_ appSlug: String) -> String { settings(appSlug) + "dashboard/" }
    func enable(_ appSlug: String) -> String { settings(appSlug) + "enable" }
    func redeliver(_ appSlug: String) -> String { dashboard(appSlug) + "redeliver" }
    func replay(_ appSlug: String) -> String { dashboard(appSlug) + "replay" }
}

/// What every page shows around its content.
struct Frame {
    var title: String
    var paths: Paths
    var session: OwnerSession?
    var notice: String?
    var problem: String?
}

/// The request log's filters as the dashboard's query gives them (the API's filters: errors only, event type, status
/// class, since), with the page's own `cursor` and `open`.
struct LogQuery: Sendable, Equatable {
    var errorsOnly = false
    var eventType = ""
    var status = ""
    /// As typed (`2026-12-05T10:00` from the form, or RFC 3339).
    var since = ""
    var cursor: Int64?
    var open: Int64?

    /// The filter pairs of a link that keeps them (empty ones left out), then `extra`.
    func pairs(_ extra: [(String, String)] = []) -> [(String, String)] {
        var pairs: [(String, String)] = []
        if errorsOnly { pairs.append(("errorsOnly", "true")) }
        if !eventType.isEmpty { pairs.append(("eventType", eventType)) }
        if !status.isEmpty { pairs.append(("status", status)) }
        if !since.isEmpty { pairs.append(("since", since)) }
        return pairs + extra
    }

    func href(_ page: String, _ extra: [(String, String)] = []) -> String {
        let query = URLQuery.encode(pairs(extra))
        return query.isEmpty ? page : page + "?" + query
    }

    static let statusChoices: [(value: String, label: String)] = [
        ("", "Any"), ("2xx", "2xx success"), ("3xx", "3xx"), ("4xx", "4xx"), ("5xx", "5xx"), ("0", "No response"),
    ]
}

/// Builds the templates' views from what the stores read. Pure: no I/O, so the escaping of hostile values and the
/// chart can be tested without a server.
enum Views {
    typealias View = PageRenderer.View

    static func frame(_ frame: Frame) -> View {
        var view: View = [
            "title": frame.title, "css": frame.paths.css, "home": frame.paths.home, "orgSlug": frame.paths.orgSlug,
        ]
        if let session = frame.session {
            view["session"] = ["actor": Text.person(session.actor), "signOut": frame.paths.signOut, "csrf": session.csrfToken] as View
            view["csrf"] = session.csrfToken
        }
        if let notice = frame.notice { view["notice"] = notice }
        if let problem = frame.problem { view["problem"] = problem }
        return view
    }

    static func app(_ app: App, paths: Paths, timeoutThreshold: Int) -> View {
        var view: View = [
            "name": app.name, "slug": app.slug, "webhookURL": app.webhookURL ?? "(none)", "timeout": Text.timeout(app.timeoutMilliseconds),
            "kind": app.status.rawValue, "settingsHref": paths.settings(app.slug), "dashboardHref": paths.dashboard(app.slug),
            "disabled": app.isDisabled,
        ]
        if let since = app.disabledAt {
            view["disabledSince"] = Text.time(since) + " UTC"
            view["reason"] = Text.disableReason(app.disabledReason, timeoutThreshold: timeoutThreshold)
        }
        return view
    }

    static func apps(_ frame: Frame, organizationName: String, apps: [App]) -> View {
        var view = self.frame(frame)
        view["orgName"] = organizationName
        view["apps"] = apps.map { app -> View in
            [
                "name": app.name, "settingsHref": frame.paths.settings(app.slug), "webhookURL": app.webhookURL ?? "(none)",
                "state": app.isDisabled ? "disabled" : "active", "stateLabel": app.isDisabled ? "Disabled" : "Active",
            ]
        }
        return view
    }

    static func installations(_ installations: [InstalledOrganization]) -> [View] {
        installations.map {
            ["name": $0.organizationName, "slug": $0.organizationSlug, "since": String($0.dateCreated.prefix(10))] as View
        }
    }

    /// `health`: the app's own organization's last 7 UTC days of live counters (what the broken rule sees).
    static func settings(
        _ frame: Frame, app: App, installations: [InstalledOrganization], moreInstallations: Bool, health: [HealthDay],
        today: UTCDay, timeoutThreshold: Int
    ) -> View {
        var view = self.frame(frame)
        view["app"] = self.app(app, paths: frame.paths, timeoutThreshold: timeoutThreshold)
        if !app.isDisabled {
            let (text, warning) = Text.health(health, today: today, timeoutThreshold: timeoutThreshold)
            view["health"] = ["text": text, "warning": warning] as View
        }
        view["onSettings"] = true
        view["installations"] = self.installations(installations)
        view["hasInstallations"] = !installations.isEmpty
        view["moreInstallations"] = moreInstallations
        view["enableAction"] = frame.paths.enable(app.slug)
        return view
    }

    /// The chart's view: geometry from ``HealthChart`` plus titles, a summary sentence and the table's rows.
    static func chart(_ chart: HealthChart) -> View {
        var totals = (success: 0, error: 0, timeout: 0, fatal: 0)
        let bars = chart.bars.map { bar -> View in
            let day = bar.day
            totals.success += day.success
            totals.error += day.error
            totals.timeout += day.timeout
            totals.fatal += day.fatal
            return [
                "date": day.day.description, "x": bar.x, "any": !bar.segments.isEmpty,
                "label": "\(day.day): \(day.success) success, \(day.error) error, \(day.timeout) timeout, \(day.fatal) fatal",
                "success": day.success, "error": day.error, "timeout": day.timeout, "fatal": day.fatal,
                "segments": bar.segments.map { ["kind": $0.kind.rawValue, "y": $0.y, "height": $0.height] as View },
            ]
        }
        var view: View = [
            "bars": bars, "max": Text.grouped(chart.scaleMax), "width": HealthChart.width, "height": HealthChart.height,
            "barWidth": HealthChart.barWidth,
            "ticks": chart.ticks.map { ["x": $0.x, "text": $0.text] as View },
            "title": "Deliveries per UTC day over the last 30 days, stacked by outcome; the table below lists the numbers.",
            "summary": "\(Text.grouped(totals.success)) successful, \(Text.grouped(totals.error)) errors, "
                + "\(Text.grouped(totals.timeout)) timeouts and \(Text.grouped(totals.fatal)) fatal in 30 days.",
        ]
        if chart.scaleMax % 2 == 0 { view["half"] = Text.grouped(chart.scaleMax / 2) }
        return view
    }

    /// One request-log row; with `open`, what was sent and received too.
    static func entry(_ entry: RequestLogEntry, open: Bool, query: LogQuery) -> View {
        var view: View = [
            "id": entry.id, "time": Text.time(entry.date), "code": entry.responseCode == 0 ? "none" : String(entry.responseCode),
            "codeClass": Text.statusClass(entry.responseCode), "eventType": entry.eventType,
            "duration": Text.duration(entry.durationMilliseconds), "errorClass": entry.errorClass ?? "",
            "open": open,
        ]
        var keep = query
        keep.open = nil
        let cursor: [(String, String)] = query.cursor.map { [("cursor", String($0))] } ?? []
        // Relative to the dashboard itself (the query replaces the current one): short, as 100 of them are.
        view["toggleHref"] = open
            ? "?" + URLQuery.encode(keep.pairs(cursor)) + "#r\(entry.id)"
            : "?" + URLQuery.encode(keep.pairs(cursor + [("open", String(entry.id))])) + "#r\(entry.id)"
        if open {
            var meta: [(String, String)] = [
                ("Attempt", String(entry.attempt)), ("Duration", Text.milliseconds(entry.durationMilliseconds)),
                ("Error class", entry.errorClass ?? "none"), ("URL", entry.webhookURL),
            ]
            if let deliveryID = entry.deliveryID { meta.append(("Delivery", String(deliveryID))) }
            if let errorID = entry.errorID { meta.append(("Sentry-Hook-Error", errorID)) }
            if let projectID = entry.projectID { meta.append(("Sentry-Hook-Project", projectID)) }
            view["meta"] = meta.map { ["name": $0.0, "value": $0.1] as View }
            view["requestHeaders"] = RequestLogStore.headerPairs(entry.requestHeaders).map {
                ["name": $0.name, "value": $0.value] as View
            }
            view["responseHeaders"] = RequestLogStore.headerPairs(entry.responseHeaders).map {
                ["name": $0.name, "value": $0.value] as View
            }
            view["requestBody"] = entry.requestBody.isEmpty ? "(empty)" : entry.requestBody
            view["responseBody"] = entry.responseBody.isEmpty ? "(empty)" : entry.responseBody
        }
        return view
    }

    static func dashboard(
        _ frame: Frame, app: App, chart: HealthChart, entries: [RequestLogEntry], more: Bool, query: LogQuery,
        installations: [InstalledOrganization], replaySince: String, timeoutThreshold: Int
    ) -> View {
        var view = self.frame(frame)
        let dashboard = frame.paths.dashboard(app.slug)
        view["app"] = self.app(app, paths: frame.paths, timeoutThreshold: timeoutThreshold)
        view["onDashboard"] = true
        view["chart"] = self.chart(chart)
        view["entries"] = entries.map { self.entry($0, open: $0.id == query.open, query: query) }
        view["hasEntries"] = !entries.isEmpty
        if more, let last = entries.last {
            view["older"] = query.href(dashboard, [("cursor", String(last.id))])
        }
        view["filter"] = [
            "errorsOnly": query.errorsOnly, "eventType": query.eventType, "since": query.since,
            "statuses": LogQuery.statusChoices.map {
                ["value": $0.value, "label": $0.label, "selected": $0.value == query.status] as View
            },
        ] as View
        view["redeliverAction"] = frame.paths.redeliver(app.slug)
        view["replayAction"] = frame.paths.replay(app.slug)
        view["replaySince"] = replaySince
        view["replayLimit"] = Text.grouped(ReplayFlow.limit)
        view["installations"] = self.installations(installations)
        view["chooseOrganization"] = installations.count > 1
        return view
    }

    static func signIn(_ frame: Frame, heading: String, message: String?, csrf: String, next: String) -> View {
        var view = self.frame(frame)
        view["heading"] = heading
        if let message { view["message"] = message }
        view["action"] = frame.paths.signIn
        view["csrf"] = csrf
        view["next"] = next
        return view
    }

    static func message(_ frame: Frame, heading: String, message: String, back: (href: String, label: String)?, requestID: String?)
        -> View
    {
        var view = self.frame(frame)
        view["heading"] = heading
        view["message"] = message
        if let back {
            view["back"] = back.href
            view["backLabel"] = back.label
        }
        if let requestID { view["requestID"] = requestID }
        return view
    }
}
