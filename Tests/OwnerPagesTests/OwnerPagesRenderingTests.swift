import Foundation
import AlertRelayLogic
import Testing

@testable import AlertRelayAPI
@testable import AlertRelayStore
@testable import OwnerPages

/// The owner pages without a server: the chart's geometry, HTML escaping of hostile values, the size of a page with
/// 100 log entries, and the small parsers the routes rely on.
@Suite struct OwnerPagesRenderingTests {
    static let today = UTCDay(year: 2026, month: 12, day: 5)
    let renderer: PageRenderer

    init() throws {
        renderer = try PageRenderer()
    }

    // MARK: Chart

    @Test func chartBarsForKnownCounts() throws {
        let rows = [
            HealthDay(day: Self.today, success: 10, error: 5),
            HealthDay(day: Self.today.adding(days: -1), error: 2, timeout: 1, fatal: 1),
            HealthDay(day: Self.today.adding(days: -29), success: 4),
            HealthDay(day: Self.today.adding(days: -30), success: 1000),  // outside the 30 days
        ]
        let chart = HealthChart.layout(rows, today: Self.today)
        #expect(chart.bars.count == 30)
        #expect(chart.scaleMax == 20, "the largest day holds 15: the scale rounds up to 20")
        #expect(chart.bars.first?.day.day == Self.today.adding(days: -29))
        #expect(chart.bars.last?.day.day == Self.today)

        // Today, rightmost: x = 44 + 29 × 20 + 3; success 10/20 of 140 = 70 high from the baseline 152, error 35 above.
        let last = try #require(chart.bars.last)
        #expect(last.x == 627)
        #expect(last.segments == [
            .init(kind: .success, count: 10, y: 82, height: 70), .init(kind: .error, count: 5, y: 47, height: 35),
        ])
        // Yesterday: error 2 → 14, timeout 1 → 7, fatal 1 → 7, stacked in that order.
        #expect(chart.bars[28].segments == [
            .init(kind: .error, count: 2, y: 138, height: 14), .init(kind: .timeout, count: 1, y: 131, height: 7),
            .init(kind: .fatal, count: 1, y: 124, height: 7),
        ])
        #expect(chart.bars[0].x == 47)
        #expect(chart.bars[0].segments == [.init(kind: .success, count: 4, y: 124, height: 28)])
        #expect(chart.bars[1...27].allSatisfy { $0.segments.isEmpty })
        // Ticks under today and every 7th day before it.
        #expect(chart.ticks.map(\.text) == ["7 Nov", "14 Nov", "21 Nov", "28 Nov", "5 Dec"])
        #expect(chart.ticks.last?.x == 634)

        let svg = renderer.render("chart", ["chart": Views.chart(chart)])
        #expect(svg.contains(#"<rect class="s" x="627" y="82" width="14" height="70"/>"#))
        #expect(svg.contains(#"<rect class="e" x="627" y="47" width="14" height="35"/>"#))
        #expect(svg.contains(#"<rect class="f" x="607" y="124" width="14" height="7"/>"#))
        #expect(svg.components(separatedBy: "<rect ").count - 1 == 6)
        #expect(svg.contains("<title>2026-12-05: 10 success, 5 error, 0 timeout, 0 fatal</title>"))
        #expect(svg.contains(#"text-anchor="end">20</text>"#) && svg.contains(#"text-anchor="end">10</text>"#))
    }

    @Test func aSmallCountNextToAHugeOneStaysVisible() throws {
        let chart = HealthChart.layout([HealthDay(day: Self.today, success: 100_000, error: 1)], today: Self.today)
        #expect(chart.scaleMax == 200_000)
        let segments = try #require(chart.bars.last?.segments)
        #expect(segments.map(\.height) == [70, HealthChart.minimumHeight])
    }

    @Test func anEmptyChartHasNoBars() {
        let chart = HealthChart.layout([], today: Self.today)
        #expect(chart.scaleMax == 1)
        #expect(chart.bars.allSatisfy { $0.segments.isEmpty })
        let svg = renderer.render("chart", ["chart": Views.chart(chart)])
        #expect(!svg.contains("<rect"))
    }

    @Test(arguments: [(0, 1), (1, 1), (2, 2), (3, 5), (5, 5), (6, 10), (11, 20), (21, 50), (51, 100), (999, 1000)])
    func scaleRoundsUp(value: Int, expected: Int) {
        #expect(HealthChart.roundedUp(value) == expected)
    }

    // MARK: Escaping

    static let hostile = "<script>alert(1)</script>\"'&"

    func hostileApp() -> App {
        App(
            id: 1, uuid: "u", organizationID: 1, slug: "evil-app", name: Self.hostile, status: .internal,
            webhookURL: "https://x.example/?a=<b>&c=\"d\"", events: [], timeoutMilliseconds: 1000, clientSecret: "s",
            previousSecret: nil, disabledAt: "2026-12-05T10:00:00.000000Z", disabledReason: Self.hostile, dateCreated: "d",
            clientID: "c", verifyInstall: false)
    }

    func entry(id: Int64, body: String = Self.hostile, requestBody: String = "{}") -> RequestLogEntry {
        RequestLogEntry(
            id: id, date: "2026-12-05T10:00:0\(id % 10).123456Z", responseCode: 500, webhookURL: "https://x.example/",
            organizationID: 1, eventType: "event_alert.triggered\"><img src=x onerror=alert(2)>", durationMilliseconds: 12.5,
            errorClass: "http", errorID: nil, projectID: nil,
            requestHeaders: #"[["Content-Type","application/json"],["X-Evil","<script>alert(3)</script>"]]"#,
            requestBody: requestBody, responseBody: body,
            responseHeaders: #"[["<b>Name</b>","\"quoted\" & <tag>"]]"#, deliveryID: 9, attempt: 1)
    }

    func frame() -> Frame {
        Frame(
            title: Self.hostile, paths: Paths(base: "", orgSlug: "acme"),
            session: OwnerSession(id: 1, organizationID: 1, memberID: 1, actor: "member:<b>x</b>@example.com", csrfToken: "c\"sr<f"),
            notice: Self.hostile, problem: Self.hostile)
    }

    @Test func hostileValuesRenderAsText() {
        var query = LogQuery()
        query.open = 3
        query.eventType = "\"><script>alert(4)</script>"
        query.since = "2026-12-05T10:00\"><b>"
        let installation = InstalledOrganization(organizationSlug: "acme", organizationName: Self.hostile, dateCreated: "2026-12-05")
        let pages = [
            renderer.render("dashboard", Views.dashboard(
                frame(), app: hostileApp(), chart: HealthChart.layout([], today: Self.today),
                entries: [entry(id: 3), entry(id: 2)], more: true, query: query,
                installations: [installation, installation], replaySince: "\"><script>", timeoutThreshold: 3)),
            renderer.render("settings", Views.settings(
                frame(), app: hostileApp(), installations: [installation], moreInstallations: false, health: [],
                today: Self.today, timeoutThreshold: 3)),
            renderer.render("apps", Views.apps(frame(), organizationName: Self.hostile, apps: [hostileApp()])),
            renderer.render("signIn", Views.signIn(frame(), heading: Self.hostile, message: Self.hostile, csrf: "\"x", next: "\"<")),
            renderer.render("message", Views.message(frame(), heading: Self.hostile, message: Self.hostile,
                                                     back: ("\"><script>", Self.hostile), requestID: "<r>")),
        ]
        for html in pages {
            #expect(!html.isEmpty)
            #expect(!html.contains("<script"), "\(html)")
            #expect(!html.contains("<img"))
            #expect(!html.contains("<b>"))
            #expect(!html.contains("\"quoted\""))
            #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;"))
        }
        // The open entry shows the response body as text, and the headers escaped.
        #expect(pages[0].contains("aria-label=\"Response body\">&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;</pre>"))
        #expect(pages[0].contains("<dd>&lt;script&gt;alert(3)&lt;/script&gt;</dd>"))
        #expect(pages[0].contains("<dt>&lt;b&gt;Name&lt;/b&gt;</dt><dd>&quot;quoted&quot; &amp; &lt;tag&gt;</dd>"))
        // Attribute values cannot be left.
        #expect(pages[0].contains("value=\"c&quot;sr&lt;f\""))
        #expect(pages[0].contains("value=\"&quot;&gt;&lt;script&gt;alert(4)&lt;/script&gt;\""))
    }

    /// No template uses Mustache's unescaped forms, so nothing can reach a page unescaped.
    @Test func templatesNeverUnescape() {
        for (name, text) in Templates.all {
            #expect(!text.contains("{{{"), "\(name)")
            #expect(!text.contains("{{&"), "\(name)")
        }
    }

    // MARK: Weight

    /// Issue 11: HTML + CSS of a page with 100 log entries under 60 KB, with realistic sizes: a full 1,024-character
    /// request body (the log's cap) in every entry, one entry open, a chart with four outcomes every day.
    @Test func dashboardWithHundredEntriesStaysUnder60KB() {
        let body = String(repeating: "x", count: 1024)
        let entries = (1...100).map { index -> RequestLogEntry in
            var entry = entry(id: Int64(1000 + index), body: body, requestBody: body)
            entry.eventType = "event_alert.triggered"
            entry.responseHeaders = #"[["Content-Type","application/json"],["Content-Length","1024"]]"#
            return entry
        }
        var query = LogQuery()
        query.open = 1050
        let rows = (0..<30).map {
            HealthDay(day: Self.today.adding(days: -$0), success: 1000 + $0, error: 20, timeout: 5, fatal: $0 == 3 ? 1 : 0)
        }
        let html = renderer.render("dashboard", Views.dashboard(
            frame(), app: hostileApp(), chart: HealthChart.layout(rows, today: Self.today), entries: entries, more: true,
            query: query, installations: [], replaySince: "2026-12-04T10:00", timeoutThreshold: 1000))
        let weight = html.utf8.count + Stylesheet.text.utf8.count
        #expect(html.components(separatedBy: "<tr id=\"r").count - 1 == 100)
        #expect(weight < 60 * 1024, "HTML \(html.utf8.count) + CSS \(Stylesheet.text.utf8.count) bytes")
        if let dump = ProcessInfo.processInfo.environment["OWNER_PAGE_DUMP"] {
            try? html.write(toFile: dump, atomically: true, encoding: .utf8)
        }
    }

    // MARK: Parsers

    @Test(arguments: [
        ("2026-12-05T10:00", "2026-12-05T10:00:00.000000Z"),
        ("2026-12-05T10:00:30", "2026-12-05T10:00:30.000000Z"),
        ("2026-12-05T10:00:00+02:00", "2026-12-05T08:00:00.000000Z"),
        ("2026-12-05", "2026-12-05T00:00:00.000000Z"),
    ])
    func formInstants(input: String, expected: String) {
        #expect(Text.instant(fromInput: input) == expected)
    }

    @Test(arguments: ["", "yesterday", "2026-13-05T10:00", "2026-12-05T25:00", "2026-12-05 10:00"])
    func badFormInstants(input: String) {
        #expect(Text.instant(fromInput: input) == nil)
    }

    /// `next` after signing in stays on this organization's pages (no open redirect).
    @Test func nextStaysOnTheOrganizationsPages() {
        let paths = Paths(base: "/relay", orgSlug: "acme")
        let home = "/relay/settings/acme/developer-settings/"
        #expect(SignInPages.safeNext("/relay/settings/acme/developer-settings/app/dashboard/?status=5xx", paths: paths)
            == "/relay/settings/acme/developer-settings/app/dashboard/?status=5xx")
        for bad in [nil, "", "https://evil.example/", "//evil.example/", "/relay/settings/other/developer-settings/",
                    "/relay/settings/acme//evil.example", "/relay/settings/acme/\\evil", "/relay/settings/acme/x\ny"] {
            #expect(SignInPages.safeNext(bad, paths: paths) == home, "\(bad ?? "nil")")
        }
    }

    @Test(arguments: [
        ("http://127.0.0.1:8080", ""), ("https://relay.example.com/", ""), ("https://example.com/relay", "/relay"),
        ("https://example.com/a/b/", "/a/b"),
    ])
    func basePath(prefix: String, expected: String) {
        #expect(OwnerPages.basePath(urlPrefix: prefix) == expected)
    }

    @Test func durations() {
        #expect(Text.duration(0.4) == "<1 ms")
        #expect(Text.duration(12.4) == "12 ms")
        #expect(Text.duration(1540) == "1.5 s")
        #expect(Text.milliseconds(1.9009999999999998) == "1.9 ms")
        #expect(Text.milliseconds(1234.4) == "1,234 ms")
        #expect(Text.timeout(30_000) == "30,000 ms (30 s)")
        #expect(Text.timeout(1500) == "1,500 ms")
    }
}
