import Foundation
import Testing

@testable import AlertRelayLogic

// What was checked once with python3 3.11 while writing these tests (gen/check_mail.py in the helper's
// workspace): messages built by MIMEMessage.build from DisableNoticeEmail.render — one with the name "TestApp",
// one with a long name holding umlauts, CJK, an emoji and Greek capitals, and a To list with a non-ASCII
// display name — were parsed with email.message_from_bytes(policy=email.policy.default): no defects on the
// message or its parts, Subject decoded to exactly "Action required: Fix your " + name.title() + " integration",
// the Date parsed, To yielded three addresses with the decoded display name "Jörg Müller", the parts were
// text/plain then text/html, both decoded bodies held both links, the HTML had "&lt;" escapes, and the raw
// bytes were ASCII with CRLF only and no line over 76 characters.

@Suite struct EmailTests {
    let mail = DisableNoticeEmail.render(
        appName: "my app2go", orgSlug: "acme", appSlug: "my-app2go",
        webhookURL: "https://hooks.example.com/in?a=1&b=2", urlPrefix: "http://127.0.0.1:8080")

    // MARK: Rendering

    @Test func subjectUsesPythonTitleCase() {
        #expect(mail.subject == "Action required: Fix your My App2Go integration")
        let other = DisableNoticeEmail.render(appName: "TestApp", orgSlug: "o", appSlug: "testapp", webhookURL: "http://x", urlPrefix: "http://p")
        #expect(other.subject == "Action required: Fix your Testapp integration")
    }

    @Test func bodiesLinkSettingsAndRequestLog() {
        let fix = "http://127.0.0.1:8080/settings/acme/developer-settings/my-app2go/?referrer=disabled-sentry-app"
        let log = "http://127.0.0.1:8080/settings/acme/developer-settings/my-app2go/dashboard/?referrer=disabled-sentry-app"
        #expect(mail.text.contains(fix))
        #expect(mail.text.contains(log))
        #expect(mail.text.contains("https://hooks.example.com/in?a=1&b=2"))
        #expect(mail.text.contains("unsubscribed"))
        #expect(mail.text.contains("repeated errors"))
        #expect(mail.html.contains("href=\"\(fix)\""))
        #expect(mail.html.contains("href=\"\(log)\""))
        #expect(mail.html.contains("https://hooks.example.com/in?a=1&amp;b=2"))
        #expect(mail.html.contains("unsubscribed"))
        // A trailing slash on the prefix does not double.
        let slashed = DisableNoticeEmail.render(appName: "my app2go", orgSlug: "acme", appSlug: "my-app2go",
            webhookURL: "https://hooks.example.com/in?a=1&b=2", urlPrefix: "http://127.0.0.1:8080/")
        #expect(slashed == mail)
    }

    @Test func htmlEscapesEveryInterpolatedValue() {
        let evil = DisableNoticeEmail.render(
            appName: "<script>alert('x')</script>", orgSlug: "a&b", appSlug: "s\"q",
            webhookURL: "https://e.example/?q=<b>&x=\"y\"", urlPrefix: "http://p")
        #expect(!evil.html.contains("<script>"))
        #expect(evil.html.contains("&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;"))
        #expect(evil.html.contains("a&amp;b"))
        #expect(!evil.html.contains("s\"q"))
        #expect(evil.html.contains("s&quot;q"))
        #expect(evil.html.contains("https://e.example/?q=&lt;b&gt;&amp;x=&quot;y&quot;"))
        #expect(evil.text.contains("<script>alert('x')</script>"))
        #expect(HTML.escape(#"<a href="x">'&'</a>"#) == "&lt;a href=&quot;x&quot;&gt;&#x27;&amp;&#x27;&lt;/a&gt;")
    }

    // MARK: MIME

    func build(subject: String? = nil, to: [String] = ["owner@example.com"], text: String? = nil, html: String? = nil) -> [UInt8] {
        MIMEMessage.build(
            from: "alert-relay@localhost", to: to, subject: subject ?? mail.subject, text: text ?? mail.text,
            html: html ?? mail.html, date: 1_795_000_000, messageID: "<abc123@alert-relay.local>")
    }

    func lines(_ bytes: [UInt8]) -> [String] {
        String(decoding: bytes, as: UTF8.self).components(separatedBy: "\r\n")
    }

    @Test func crlfOnlyAsciiAndShortLines() {
        let longLine = String(repeating: "ä€😀 ", count: 100) + "\n" + String(repeating: "x", count: 500)
        for message in [build(), build(subject: "Größte Ärger 😀 " + String(repeating: "long ", count: 40), text: longLine)] {
            for (i, b) in message.enumerated() {
                if b == 0x0A { #expect(i > 0 && message[i - 1] == 0x0D) }
                if b == 0x0D { #expect(i + 1 < message.count && message[i + 1] == 0x0A) }
                #expect(b < 0x80)
            }
            #expect(lines(message).allSatisfy { $0.utf8.count <= 76 })
        }
    }

    @Test func headers() throws {
        let message = build(to: ["a@example.com", "b@example.com"])
        let all = lines(message)
        let headerEnd = try #require(all.firstIndex(of: ""))
        let headers = Array(all[..<headerEnd])
        #expect(headers.contains("From: alert-relay@localhost"))
        #expect(headers.contains("To: a@example.com, b@example.com"))
        #expect(headers.contains("Subject: Action required: Fix your My App2Go integration"))
        #expect(headers.contains("Date: Wed, 18 Nov 2026 11:06:40 +0000"))
        #expect(headers.contains("Message-ID: <abc123@alert-relay.local>"))
        #expect(headers.contains("MIME-Version: 1.0"))
        let ct = try #require(headers.firstIndex(of: "Content-Type: multipart/alternative;"))
        #expect(headers[ct + 1].hasPrefix(" boundary=\"=_alert-relay_"))
        // The same message id gives the same bytes (no randomness).
        #expect(build(to: ["a@example.com", "b@example.com"]) == message)
    }

    @Test func partsDecodeToTheRenderedBodies() throws {
        let text = "Line one\nLine two with trailing space \nnaïve = café\tend\t\n" + String(repeating: "0123456789", count: 20) + "\n"
        let html = "<p>ü & \"q\"</p>\n"
        let message = build(text: text, html: html)
        let all = lines(message)
        let boundaryLine = try #require(all.first { $0.hasPrefix(" boundary=") })
        let boundary = String(boundaryLine.dropFirst(" boundary=\"".count).dropLast())
        #expect(boundary.hasPrefix("=_"))
        let starts = all.indices.filter { all[$0] == "--" + boundary }
        #expect(starts.count == 2)
        #expect(all.filter { $0 == "--" + boundary + "--" }.count == 1)
        #expect(all[starts[0] + 1] == "Content-Type: text/plain; charset=utf-8")
        #expect(all[starts[0] + 2] == "Content-Transfer-Encoding: quoted-printable")
        #expect(all[starts[1] + 1] == "Content-Type: text/html; charset=utf-8")
        let end = try #require(all.firstIndex(of: "--" + boundary + "--"))
        let plainBody = Array(all[(starts[0] + 4)..<starts[1]])
        let htmlBody = Array(all[(starts[1] + 4)..<end])
        #expect(decodeQP(plainBody) == text.replacingOccurrences(of: "\n", with: "\r\n"))
        #expect(decodeQP(htmlBody) == html.replacingOccurrences(of: "\n", with: "\r\n"))
        // No encoded line ends in whitespace (RFC 2045 6.7 rule 3).
        #expect(plainBody.allSatisfy { !$0.hasSuffix(" ") && !$0.hasSuffix("\t") })
    }

    @Test func nonAsciiSubjectDecodesBack() throws {
        let subject = "Action required: Fix your Größte Überwachung 日本語 😀 " + String(repeating: "Ωmega ", count: 12) + "integration"
        let all = lines(build(subject: subject))
        let first = try #require(all.firstIndex { $0.hasPrefix("Subject: ") })
        var words = [String(all[first].dropFirst("Subject: ".count))]
        var i = first + 1
        while all[i].hasPrefix(" ") {
            words.append(String(all[i].dropFirst()))
            i += 1
        }
        #expect(words.count > 2)
        var decoded = Data()
        for word in words {
            #expect(word.hasPrefix("=?utf-8?b?") && word.hasSuffix("?="))
            #expect(word.utf8.count <= 75)
            let payload = String(word.dropFirst(10).dropLast(2))
            let chunk = try #require(Data(base64Encoded: payload))
            // Each word holds whole characters.
            #expect(String(data: chunk, encoding: .utf8) != nil)
            decoded += chunk
        }
        #expect(String(data: decoded, encoding: .utf8) == subject)
    }

    @Test func longAsciiSubjectIsFoldedAtSpaces() throws {
        let subject = "Action required: Fix your " + String(repeating: "Verylongname ", count: 10) + "integration"
        let all = lines(build(subject: subject))
        let first = try #require(all.firstIndex { $0.hasPrefix("Subject: ") })
        var unfolded = all[first]
        var i = first + 1
        while all[i].hasPrefix(" ") {
            unfolded += all[i]
            i += 1
        }
        #expect(i > first + 1)
        #expect(unfolded == "Subject: " + subject)
    }

    @Test func headerInjectionIsNeutralised() throws {
        let message = build(subject: "Hi\r\nBcc: victim@example.com", to: ["a@example.com\r\nBcc: x@example.com"])
        let all = lines(message)
        #expect(!all.contains { $0.hasPrefix("Bcc:") })
        #expect(all.contains("Subject: Hi  Bcc: victim@example.com"))
    }

    @Test func nonAsciiDisplayNameIsEncoded() {
        let all = lines(build(to: ["Jörg Müller <jm@example.com>"]))
        #expect(all.contains("To: =?utf-8?b?SsO2cmcgTcO8bGxlcg==?= <jm@example.com>"))
    }

    // Expected: python3 time.strftime('%a, %d %b %Y %H:%M:%S +0000', time.gmtime(t)).
    @Test(arguments: [
        (Int64(0), "Thu, 01 Jan 1970 00:00:00 +0000"),
        (1_795_000_000, "Wed, 18 Nov 2026 11:06:40 +0000"),
        (951_782_400, "Tue, 29 Feb 2000 00:00:00 +0000"),
        (1_709_251_199, "Thu, 29 Feb 2024 23:59:59 +0000"),
        (4_102_444_799, "Thu, 31 Dec 2099 23:59:59 +0000"),
        (1_767_225_600, "Thu, 01 Jan 2026 00:00:00 +0000"),
        (86_399, "Thu, 01 Jan 1970 23:59:59 +0000"),
    ])
    func rfc5322Dates(unix: Int64, expected: String) {
        #expect(MIMEMessage.rfc5322Date(unix) == expected)
    }

    @Test func quotedPrintableEdges() {
        #expect(QuotedPrintable.encodeLines("a=b") == ["a=3Db"])
        #expect(QuotedPrintable.encodeLines("end ") == ["end=20"])
        #expect(QuotedPrintable.encodeLines("tab\t") == ["tab=09"])
        #expect(QuotedPrintable.encodeLines("é") == ["=C3=A9"])
        #expect(QuotedPrintable.encodeLines("a\r\nb\rc\nd") == ["a", "b", "c", "d"])
        let long = QuotedPrintable.encodeLines(String(repeating: "é", count: 40))
        #expect(long.allSatisfy { $0.utf8.count <= 76 })
        #expect(long.dropLast().allSatisfy { $0.hasSuffix("=") })
        // An escape is never split by a soft break.
        #expect(long.allSatisfy { line in
            let body = line.hasSuffix("=") ? line.dropLast() : Substring(line)
            return body.utf8.count % 3 == 0
        })
        #expect(decodeQP(long) == String(repeating: "é", count: 40))
    }

    /// A minimal quoted-printable decoder for the checks above.
    func decodeQP(_ lines: [String]) -> String {
        var bytes: [UInt8] = []
        for (i, line) in lines.enumerated() {
            var u = Array(line.utf8)
            let soft = u.last == UInt8(ascii: "=")
            if soft { u.removeLast() }
            var k = 0
            while k < u.count {
                if u[k] == UInt8(ascii: "="), k + 2 < u.count, let v = UInt8(String(decoding: u[(k + 1)...(k + 2)], as: UTF8.self), radix: 16) {
                    bytes.append(v)
                    k += 3
                } else {
                    bytes.append(u[k])
                    k += 1
                }
            }
            if !soft && i < lines.count - 1 { bytes += [0x0D, 0x0A] }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
