import Testing

@testable import AlertRelayLogic

/// The warning before the broken rule disables an app (issue 11), table-driven over 7-day patterns.
@Suite struct WarningRuleTests {
    static let today = UTCDay(year: 2026, month: 12, day: 5)

    /// A window written oldest day first, today last: `E` errors and no success, `S` successes only, `B` both, `.`
    /// nothing, `T` timeouts only, `F` a fatal.
    static func days(_ pattern: String) -> [HealthDay] {
        let letters = Array(pattern)
        return letters.enumerated().map { index, letter in
            var day = HealthDay(day: today.adding(days: index - (letters.count - 1)))
            switch letter {
            case "E": day.error = 3
            case "S": day.success = 5
            case "B": day.error = 3; day.success = 1
            case "T": day.timeout = 1
            case "F": day.fatal = 1
            default: break
            }
            return day
        }
    }

    /// Patterns that warn: the run of failing days ending today, and the day the broken rule would disable.
    @Test(arguments: [
        ("...EEEE", 4, "2026-12-08"),
        ("..EEEEE", 5, "2026-12-07"),
        (".EEEEEE", 6, "2026-12-06"),
        ("S..EEEE", 4, "2026-12-08"),
        ("BBBEEEE", 4, "2026-12-08"),
        ("T.SEEEE", 4, "2026-12-08"),
        ("EEE.EEEE", 4, "2026-12-08"),  // an eighth day outside the window changes nothing
    ])
    func errorRunsThatWarn(pattern: String, run: Int, disableDay: String) throws {
        let verdict = try #require(WarningRule.evaluate(Self.days(pattern), today: Self.today, timeoutThreshold: 1000))
        #expect(verdict.reason == .consecutiveErrorDays)
        #expect(verdict.count == run)
        #expect(verdict.disableDay.description == disableDay)
    }

    /// Patterns that do not warn: a run shorter than 4 days, a run that a quiet or successful day ended, a success
    /// today, and the broken rule itself (then the disable e-mail goes out instead).
    @Test(arguments: [
        ".......", "....EEE", "...EEEB", "EEEE..E", "EEEE.EE", "EE.EEE.", "EEEESEE", "..EEEES", "SSSSSSE",
        "EEEEEEE", "F.....E", "...EEEF", "TTTTTTT",
    ])
    func patternsThatDoNotWarn(pattern: String) {
        #expect(WarningRule.evaluate(Self.days(pattern), today: Self.today, timeoutThreshold: 1000) == nil, "\(pattern)")
    }

    /// Today's timeouts reaching half the threshold warn (`2 × timeouts ≥ threshold`); at the threshold the broken
    /// rule holds instead. Earlier days' timeouts do not count.
    @Test(arguments: [
        (1000, 499, false), (1000, 500, true), (1000, 999, true), (1000, 1000, false),
        (3, 1, false), (3, 2, true), (3, 3, false),
        (4, 2, true), (1, 1, false), (2, 1, true),
    ])
    func timeoutsToday(threshold: Int, timeouts: Int, warns: Bool) throws {
        let rows = [HealthDay(day: Self.today, success: 10, timeout: timeouts)]
        let verdict = WarningRule.evaluate(rows, today: Self.today, timeoutThreshold: threshold)
        #expect((verdict != nil) == warns, "threshold \(threshold), \(timeouts) timeouts")
        if let verdict {
            #expect(verdict.reason == .timeouts)
            #expect(verdict.count == timeouts)
            #expect(verdict.threshold == threshold)
            #expect(verdict.disableDay == Self.today)
        }
    }

    @Test func timeoutsOfEarlierDaysDoNotWarn() {
        let rows = [HealthDay(day: Self.today.adding(days: -1), timeout: 900), HealthDay(day: Self.today, error: 1)]
        #expect(WarningRule.evaluate(rows, today: Self.today, timeoutThreshold: 1000) == nil)
    }

    /// A run of failing days wins over timeouts: it is the nearer certainty about when the disable comes.
    @Test func errorRunBeforeTimeouts() throws {
        var rows = Self.days("...EEEE")
        rows[6].timeout = 600
        let verdict = try #require(WarningRule.evaluate(rows, today: Self.today, timeoutThreshold: 1000))
        #expect(verdict.reason == .consecutiveErrorDays)
    }
}

/// The warning e-mail.
@Suite struct HealthWarningEmailTests {
    let verdict = WarningRule.Verdict(
        reason: .consecutiveErrorDays, disableDay: UTCDay(year: 2026, month: 12, day: 8), count: 4, threshold: 1000)

    @Test func subjectSaysWarningAndWhen() {
        let mail = HealthWarningEmail.render(
            appName: "my app2go", orgSlug: "acme", appSlug: "my-app2go", webhookURL: "https://hooks.example.com/in",
            urlPrefix: "http://127.0.0.1:8080", verdict: verdict)
        #expect(mail.subject == "Warning: your My App2Go integration will be disabled on 8 Dec 2026 if its errors go on")
        #expect(mail.text.contains("Tuesday 8 December 2026 (UTC)"))
        #expect(mail.text.contains("4 UTC days in a row"))
        #expect(mail.html.contains("Tuesday 8 December 2026 (UTC)"))
        let timeouts = HealthWarningEmail.render(
            appName: "X", orgSlug: "o", appSlug: "x", webhookURL: "http://x", urlPrefix: "http://p",
            verdict: .init(reason: .timeouts, disableDay: UTCDay(year: 2026, month: 12, day: 5), count: 500, threshold: 1000))
        #expect(timeouts.subject == "Warning: your X integration will be disabled today if its timeouts go on")
        #expect(timeouts.text.contains("If 500 more time out before midnight UTC today (Saturday 5 December 2026)"))
    }

    @Test func linksCarryTheRecipientsToken() {
        let mail = HealthWarningEmail.render(
            appName: "A", orgSlug: "acme", appSlug: "a", webhookURL: "http://x", urlPrefix: "https://relay.example.com/",
            verdict: verdict, signInToken: "3.1796604800.abc_-")
        let page = "https://relay.example.com/settings/acme/developer-settings/a/?referrer=sentry-app-warning&token=3.1796604800.abc_-"
        let log = "https://relay.example.com/settings/acme/developer-settings/a/dashboard/?referrer=sentry-app-warning&token=3.1796604800.abc_-"
        #expect(mail.text.contains(page + "\n"))
        #expect(mail.text.contains(log + "\n"))
        #expect(mail.html.contains("href=\"\(page.replacingAmpersands())\""))
        #expect(mail.html.contains("href=\"\(log.replacingAmpersands())\""))
    }

    @Test func htmlEscapesEveryValue() {
        let mail = HealthWarningEmail.render(
            appName: "<script>alert(1)</script>", orgSlug: "a&b", appSlug: "s", webhookURL: "https://e/?q=<b>",
            urlPrefix: "http://p", verdict: verdict)
        #expect(!mail.html.contains("<script>"))
        #expect(mail.html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(mail.html.contains("https://e/?q=&lt;b&gt;"))
        #expect(!mail.html.contains("a&b"))
    }

    @Test func disableNoticeLinksCarryTheToken() {
        let mail = DisableNoticeEmail.render(
            appName: "A", orgSlug: "acme", appSlug: "a", webhookURL: "http://x", urlPrefix: "http://p",
            signInToken: "3.9.xyz")
        #expect(mail.text.contains("http://p/settings/acme/developer-settings/a/?referrer=disabled-sentry-app&token=3.9.xyz\n"))
        #expect(mail.html.contains(
            "href=\"http://p/settings/acme/developer-settings/a/dashboard/?referrer=disabled-sentry-app&amp;token=3.9.xyz\""))
        // Without a token, exactly the reference's links.
        let plain = DisableNoticeEmail.render(appName: "A", orgSlug: "acme", appSlug: "a", webhookURL: "http://x", urlPrefix: "http://p")
        #expect(plain.text.contains("http://p/settings/acme/developer-settings/a/?referrer=disabled-sentry-app\n"))
        #expect(!plain.text.contains("token="))
    }
}

extension String {
    fileprivate func replacingAmpersands() -> String {
        split(separator: "&", omittingEmptySubsequences: false).joined(separator: "&amp;")
    }
}
