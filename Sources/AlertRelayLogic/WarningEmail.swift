/// The addresses of an app's owner pages, as e-mails link them.
public enum OwnerLinks {
    /// `prefix/settings/{org}/developer-settings/{app}/` (a trailing slash on the prefix does not double).
    public static func settings(urlPrefix: String, orgSlug: String, appSlug: String) -> String {
        let base = urlPrefix.hasSuffix("/") ? String(urlPrefix.dropLast()) : urlPrefix
        return "\(base)/settings/\(orgSlug)/developer-settings/\(appSlug)/"
    }

    /// `page?referrer=…`, then `&token=…` when the link signs its recipient in (the token is URL-safe as it is).
    public static func link(_ page: String, referrer: String, token: String?) -> String {
        page + "?referrer=" + referrer + (token.map { "&token=" + $0 } ?? "")
    }
}

/// The mail each organization owner gets when an integration is on its way to being disabled (issue 11): what the
/// broken rule saw, when it would disable the integration, and links to the owner pages that sign the owner in.
public enum HealthWarningEmail {
    public static func render(
        appName: String, orgSlug: String, appSlug: String, webhookURL: String, urlPrefix: String,
        verdict: WarningRule.Verdict, signInToken: String? = nil
    ) -> RenderedEmail {
        let title = TitleCase.python(appName)
        let settings = OwnerLinks.settings(urlPrefix: urlPrefix, orgSlug: orgSlug, appSlug: appSlug)
        let pageLink = OwnerLinks.link(settings, referrer: "sentry-app-warning", token: signInToken)
        let logLink = OwnerLinks.link(settings + "dashboard/", referrer: "sentry-app-warning", token: signInToken)
        let when = longDate(verdict.disableDay)
        let subject: String
        let finding: String
        let outcome: String
        switch verdict.reason {
        case .consecutiveErrorDays:
            subject = "Warning: your \(title) integration will be disabled on \(shortDate(verdict.disableDay)) if its errors go on"
            finding = "Deliveries to its webhook have failed for \(verdict.count) UTC days in a row, with no successful delivery."
            outcome = "If every day until then has errors and no success, it will be disabled on \(when) (UTC), "
                + "at its first error that day. One successful delivery ends the streak."
        case .timeouts:
            let left = verdict.threshold - verdict.count
            subject = "Warning: your \(title) integration will be disabled today if its timeouts go on"
            finding = "\(verdict.count) deliveries to its webhook timed out today (UTC); at \(verdict.threshold) in one UTC day it is disabled."
            outcome = "If \(left) more time out before midnight UTC today (\(when)), it will be disabled."
        }

        let text = """
            Your \(title) integration is about to be disabled

            The integration "\(appName)" in the organization "\(orgSlug)" is failing. \(finding)

                \(webhookURL)

            \(outcome) While it is disabled it receives no webhooks.

            See its status and health here:
            \(pageLink)

            The request log shows what was sent and what came back:
            \(logLink)

            These links sign you in and work for 7 days. You receive this email because you are an owner of the organization \
            "\(orgSlug)". You get one warning until the integration recovers or is disabled.

            """

        let h = HTML.escape
        let html = HTML.emailDocument(title: subject, heading: "Your \(title) integration is about to be disabled") + """
            <p>The integration <strong>\(h(appName))</strong> in the organization <strong>\(h(orgSlug))</strong> is \
            failing. \(h(finding))</p>
            <p><code>\(h(webhookURL))</code></p>
            <p>\(h(outcome)) While it is disabled it receives no webhooks.</p>
            <p>See its <a href="\(h(pageLink))">status and health</a>, and the <a href="\(h(logLink))">request log</a> \
            with what was sent and what came back.</p>
            <p style="color: #80708f; font-size: 12px;">These links sign you in and work for 7 days. You receive this email \
            because you are an owner of the organization \(h(orgSlug)). You get one warning until the integration \
            recovers or is disabled.</p>
            </body>
            </html>

            """
        return RenderedEmail(subject: subject, text: text, html: html)
    }

    static let months = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
                         "October", "November", "December"]
    static let weekdays = ["Thursday", "Friday", "Saturday", "Sunday", "Monday", "Tuesday", "Wednesday"]

    /// `Tuesday 8 December 2026`.
    public static func longDate(_ day: UTCDay) -> String {
        "\(weekdays[((day.daysSinceEpoch % 7) + 7) % 7]) \(day.day) \(months[day.month - 1]) \(day.year)"
    }

    /// `8 Dec 2026`.
    public static func shortDate(_ day: UTCDay) -> String {
        "\(day.day) \(months[day.month - 1].prefix(3)) \(day.year)"
    }
}
