import Crypto

/// A rendered email: subject plus plain-text and HTML bodies.
public struct RenderedEmail: Sendable, Equatable {
    public var subject: String
    public var text: String
    public var html: String

    public init(subject: String, text: String, html: String) {
        self.subject = subject
        self.text = text
        self.html = html
    }
}

/// The mail each organization owner gets when an integration is disabled as broken (BEHAVIOUR A6).
public enum DisableNoticeEmail {
    /// Subject `Action required: Fix your {Name} integration` with `{Name}` in Python `str.title()` casing;
    /// links to the settings page (`L?referrer=disabled-sentry-app`) and the request log
    /// (`L` + `dashboard/?referrer=disabled-sentry-app`), L = prefix + `/settings/{org}/developer-settings/{appSlug}/`.
    /// With `signInToken` (a ``SignInLink`` for the recipient) both links also carry `&token=…`, which signs them in.
    public static func render(
        appName: String, orgSlug: String, appSlug: String, webhookURL: String, urlPrefix: String,
        signInToken: String? = nil
    ) -> RenderedEmail {
        let title = TitleCase.python(appName)
        let settings = OwnerLinks.settings(urlPrefix: urlPrefix, orgSlug: orgSlug, appSlug: appSlug)
        let fixLink = OwnerLinks.link(settings, referrer: "disabled-sentry-app", token: signInToken)
        let logLink = OwnerLinks.link(settings + "dashboard/", referrer: "disabled-sentry-app", token: signInToken)
        let subject = "Action required: Fix your \(title) integration"

        let text = """
            Your \(title) integration has been disabled

            We unsubscribed the integration "\(appName)" in the organization "\(orgSlug)" from \
            webhook events after repeated errors delivering to its webhook URL:

                \(webhookURL)

            Fix the problem at the receiving end, then re-enable the integration here:
            \(fixLink)

            The request log shows the recent requests and the errors they got:
            \(logLink)

            You receive this email because you are an owner of the organization "\(orgSlug)".

            """

        let h = HTML.escape
        let html = HTML.emailDocument(title: subject, heading: "Your \(title) integration has been disabled") + """
            <p>We unsubscribed the integration <strong>\(h(appName))</strong> in the organization \
            <strong>\(h(orgSlug))</strong> from webhook events after repeated errors delivering to its webhook URL:</p>
            <p><code>\(h(webhookURL))</code></p>
            <p>Fix the problem at the receiving end, then \
            <a href="\(h(fixLink))">re-enable the integration</a>.</p>
            <p>The <a href="\(h(logLink))">request log</a> shows the recent requests and the errors they got.</p>
            <p style="color: #80708f; font-size: 12px;">You receive this email because you are an owner of the \
            organization \(h(orgSlug)).</p>
            </body>
            </html>

            """
        return RenderedEmail(subject: subject, text: text, html: html)
    }
}

/// HTML text and attribute escaping, and the frame of the e-mails' HTML parts.
public enum HTML {
    /// The start of an e-mail's HTML part up to its heading (both escaped here); the caller adds the paragraphs and
    /// closes `body` and `html`.
    static func emailDocument(title: String, heading: String) -> String {
        """
        <!DOCTYPE html>
        <html>
        <head><meta charset="utf-8"><title>\(escape(title))</title></head>
        <body style="font-family: sans-serif; line-height: 1.5; color: #2b2233;">
        <h1 style="font-size: 20px;">\(escape(heading))</h1>

        """
    }

    /// Escapes `& < > " '` like Python's `html.escape`.
    public static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for c in s.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#x27;"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }
}

/// An RFC 5322 / MIME `multipart/alternative` message with text and HTML parts, CRLF line endings,
/// quoted-printable bodies and RFC 2047 encoded-word headers. Dot-stuffing is left to the SMTP client.
public enum MIMEMessage {
    /// The complete message bytes. `messageID` includes the angle brackets (`<id@host>`). The boundary is
    /// derived from `messageID` and starts with `=_`, which quoted-printable text can never contain.
    public static func build(
        from: String, to: [String], subject: String, text: String, html: String, date: Int64, messageID: String
    ) -> [UInt8] {
        let boundary = "=_alert-relay_" + Hex.encode(SHA256.hash(data: Array(messageID.utf8)).prefix(12))
        var lines: [String] = []
        lines.append("From: " + address(from))
        lines.append(foldAddressList("To: ", to.map(address)))
        lines.append(contentsOf: encodeHeader(name: "Subject", value: subject))
        lines.append("Date: " + rfc5322Date(date))
        lines.append("Message-ID: " + clean(messageID))
        lines.append("MIME-Version: 1.0")
        lines.append("Auto-Submitted: auto-generated")
        lines.append("Content-Type: multipart/alternative;")
        lines.append(" boundary=\"\(boundary)\"")
        lines.append("")
        lines.append("This is a multi-part message in MIME format.")
        for (subtype, body) in [("plain", text), ("html", html)] {
            lines.append("--" + boundary)
            lines.append("Content-Type: text/\(subtype); charset=utf-8")
            lines.append("Content-Transfer-Encoding: quoted-printable")
            lines.append("")
            lines.append(contentsOf: QuotedPrintable.encodeLines(body))
        }
        lines.append("--" + boundary + "--")
        lines.append("")
        return Array(lines.joined(separator: "\r\n").utf8)
    }

    /// RFC 5322 date, always UTC: `Thu, 27 Nov 2026 10:00:00 +0000`.
    public static func rfc5322Date(_ unix: Int64) -> String {
        let day = UTCDay(unixSeconds: unix)
        let secondsOfDay = Int(unix - day.unixSeconds)
        let weekdays = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        let weekday = weekdays[((day.daysSinceEpoch % 7) + 7) % 7]
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(weekday), \(two(day.day)) \(months[day.month - 1]) \(day.year) "
            + "\(two(secondsOfDay / 3600)):\(two(secondsOfDay / 60 % 60)):\(two(secondsOfDay % 60)) +0000"
    }

    /// A header as one or more lines: plain when printable ASCII fits in 76 columns per line (folded at
    /// spaces), otherwise RFC 2047 `=?utf-8?b?...?=` words of whole characters on folded lines.
    static func encodeHeader(name: String, value: String) -> [String] {
        let value = clean(value)
        let prefix = name + ": "
        let isPlain = value.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value < 0x7F }
            && !value.contains("=?")
        if isPlain {
            let words = value.split(separator: " ", omittingEmptySubsequences: false)
            if words.allSatisfy({ $0.utf8.count <= 76 - prefix.utf8.count }) {
                var lines: [String] = []
                var current = prefix
                var currentHasWord = false
                for word in words {
                    if currentHasWord && current.utf8.count + 1 + word.utf8.count > 76 {
                        lines.append(current)
                        current = " " + word
                    } else {
                        current += (currentHasWord ? " " : "") + word
                    }
                    currentHasWord = true
                }
                lines.append(current)
                return lines
            }
        }
        return encodedWords(value).enumerated().map { i, word in (i == 0 ? prefix : " ") + word }
    }

    /// RFC 2047 base64 encoded-words of at most 39 UTF-8 bytes each (64 columns), split between scalars.
    static func encodedWords(_ value: String) -> [String] {
        var words: [String] = []
        var chunk: [UInt8] = []
        for scalar in value.unicodeScalars {
            let bytes = Array(String(scalar).utf8)
            if chunk.count + bytes.count > 39 {
                words.append("=?utf-8?b?" + Base64.encode(chunk) + "?=")
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty || words.isEmpty { words.append("=?utf-8?b?" + Base64.encode(chunk) + "?=") }
        return words
    }

    /// An address, with a non-ASCII display name (`Name <addr>`) as an encoded-word.
    static func address(_ raw: String) -> String {
        let a = clean(raw).trimmingASCIIWhitespace()
        guard !a.unicodeScalars.allSatisfy({ $0.isASCII }), let open = a.lastIndex(of: "<"), a.hasSuffix(">") else { return a }
        var name = a[..<open].trimmingCharacters(of: " ")
        if name.hasPrefix("\"") && name.hasSuffix("\"") && name.count >= 2 { name = String(name.dropFirst().dropLast()) }
        return encodedWords(name).joined(separator: " ") + " " + a[open...]
    }

    /// Joins addresses with `,`, folding between them to keep lines short.
    static func foldAddressList(_ prefix: String, _ addresses: [String]) -> String {
        var out = prefix
        var lineLength = prefix.utf8.count
        for (i, a) in addresses.enumerated() {
            var piece = a
            if i < addresses.count - 1 { piece += "," }
            if i > 0 {
                if lineLength + 1 + piece.utf8.count > 76 {
                    out += "\r\n "
                    lineLength = 1
                } else {
                    out += " "
                    lineLength += 1
                }
            }
            out += piece
            lineLength += piece.utf8.count
        }
        return out
    }

    /// Header values never carry line breaks or other control characters (no header injection).
    static func clean(_ s: String) -> String {
        String(String.UnicodeScalarView(s.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? " " : $0 }))
    }
}

/// RFC 2045 quoted-printable.
enum QuotedPrintable {
    private static let hex: [UInt8] = Array("0123456789ABCDEF".utf8)

    /// Encodes text (any of LF, CRLF or CR as line breaks) into lines of at most 76 characters, without line ends.
    static func encodeLines(_ text: String) -> [String] {
        var hardLines: [[UInt8]] = [[]]
        let bytes = Array(text.utf8)
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            if b == 0x0D || b == 0x0A {
                if b == 0x0D && i + 1 < bytes.count && bytes[i + 1] == 0x0A { i += 1 }
                hardLines.append([])
            } else {
                hardLines[hardLines.count - 1].append(b)
            }
            i += 1
        }
        var out: [String] = []
        for line in hardLines {
            var current: [UInt8] = []
            for (k, b) in line.enumerated() {
                let isLast = k == line.count - 1
                var token: [UInt8]
                if (b >= 33 && b <= 126 && b != 0x3D) || ((b == 0x20 || b == 0x09) && !isLast) {
                    token = [b]
                } else {
                    token = [0x3D, hex[Int(b >> 4)], hex[Int(b & 0x0F)]]
                }
                // Keep room for the soft-break "=" (76 columns in all).
                let limit = isLast ? 76 : 75
                if current.count + token.count > limit {
                    current.append(0x3D)
                    out.append(String(decoding: current, as: UTF8.self))
                    current = []
                }
                token.withUnsafeBufferPointer { current.append(contentsOf: $0) }
            }
            out.append(String(decoding: current, as: UTF8.self))
        }
        return out
    }
}

extension StringProtocol {
    fileprivate func trimmingCharacters(of c: Character) -> String {
        var s = Substring(self)
        while s.first == c { s = s.dropFirst() }
        while s.last == c { s = s.dropLast() }
        return String(s)
    }
}
