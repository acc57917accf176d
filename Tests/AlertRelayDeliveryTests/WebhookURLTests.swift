import Testing

@testable import AlertRelayDelivery
@testable import AlertRelayStore
@testable import AlertRelayLogic

@Suite struct WebhookURLTests {
    @Test(arguments: [
        "http://example.com", "https://example.com/", "https://hooks.example.com/sentry?x=1&y=2#frag",
        "HTTPS://Example.COM/Path", "http://127.0.0.2:8080/hook", "http://[::1]:9000/x", "http://[2001:db8::1]/",
        "https://a.b-c.d_e.example:443/p", "https://example.com./", "http://localhost", "https://example.com:65535",
        "https://example.com:1", "https://xn--bcher-kva.example/hook", "https://example.com/ü/path",
        "https://example.com/" + String(repeating: "a", count: 2048 - 20), "http://127.1/", "http://example.com:080/",
    ])
    func accepts(url: String) {
        #expect(WebhookTarget.problem(with: url) == nil, "\(url)")
    }

    @Test(arguments: [
        ("", "must not be empty"),
        ("ftp://example.com", "http or https"),
        ("javascript://alert(1)", "http or https"),
        ("file:///etc/passwd", "http or https"),
        ("example.com/hook", "absolute http or https URL"),
        ("//example.com", "absolute http or https URL"),
        ("http://user:pass@example.com/", "credentials"),
        ("http://user@example.com/", "credentials"),
        ("https://@example.com", "credentials"),
        ("http:///path", "must include a host"),
        ("http://", "must include a host"),
        ("http://:80/", "must include a host"),
        ("http://example.com:0/", "port"),
        ("http://example.com:65536/", "port"),
        ("http://example.com:/", "port"),
        ("http://example.com:8o/", "port"),
        ("http://example.com:-1/", "port"),
        ("http://example.com:123456/", "port"),
        ("http://exa mple.com/", "whitespace"),
        ("http://example.com/a b", "whitespace"),
        ("http://example.com/\n", "whitespace"),
        ("http://example.com/\t", "whitespace"),
        ("http://example.com/\u{7F}", "control"),
        ("http://example.com/\u{85}", "control"),
        ("http://example.com/\u{A0}", "whitespace"),
        ("http://example.com/\u{2028}", "whitespace"),
        ("http://ex\\ample.com/", "invalid host"),
        ("http://exämple.com/", "invalid host"),
        ("http://-bad.example/", "invalid host"),
        ("http://bad..example/", "invalid host"),
        ("http://[::1/", "invalid IPv6"),
        ("http://[not-v6]/", "invalid IPv6"),
        ("http://[::1]x/", "port"),
        ("http://[fe80::1%25eth0]/", "invalid IPv6"),
        ("http://exa%20mple.com/", "invalid host"),
        ("http://[::1]:0/", "port"),
        ("https://example.com/" + String(repeating: "a", count: 2048), "at most 2048"),
    ])
    func rejects(url: String, fragment: String) throws {
        let message = try #require(WebhookTarget.problem(with: url), "\(url) was accepted")
        #expect(message.contains(fragment), "\(url): \(message)")
        #expect(message.hasSuffix("."))
    }

    /// The host the check sees is the host libcurl connects to, however the URL spells it.
    @Test(arguments: [
        ("http://2130706434/", "127.0.0.2"), ("http://0x7f.0.0.2:9/", "127.0.0.2"), ("http://127.2/", "127.0.0.2"),
        ("http://[::FFFF:127.0.0.2]/", "[::FFFF:127.0.0.2]"), ("https://Example.COM./x", "Example.COM."),
        ("http:///x", "x"),
    ])
    func hostIsLibcurls(url: String, host: String) {
        #expect(WebhookTarget.host(of: url) == host)
    }

    @Test(arguments: [
        (URLParts(scheme: "https", host: "example.com", port: 443), nil),
        (URLParts(scheme: "http", host: "[::1]", port: 1), nil),
        (URLParts(scheme: "ftp", host: "example.com"), "http or https"),
        (URLParts(scheme: "http", host: "example.com", hasCredentials: true), "credentials"),
        (URLParts(scheme: "http", host: "example.com", port: 0), "port"),
        (URLParts(scheme: "http", host: "[fe80::1]", zoneID: "eth0"), "IPv6"),
        (URLParts(scheme: "http", host: "[fe80::zz]"), "IPv6"),
        (URLParts(scheme: "http", host: "a_b.example"), nil),
        (URLParts(scheme: "http", host: ""), "must include a host"),
        (URLParts(scheme: "http", host: String(repeating: "a", count: 64) + ".example"), "invalid host"),
    ] as [(URLParts, String?)])
    func partsRules(parts: URLParts, fragment: String?) {
        let message = WebhookURLRules.check(parts, text: "\(parts.scheme)://\(parts.host)/")
        if let fragment {
            #expect(message?.contains(fragment) == true, "\(parts): \(message ?? "accepted")")
        } else {
            #expect(message == nil)
        }
    }

    @Test(arguments: [
        ("My App", "my-app"), ("TestApp", "testapp"), ("  Hello,   World!!  ", "hello-world"), ("a--b__c", "a-b-c"),
        ("Élan Vital", "lan-vital"), ("日本語", "app"), ("", "app"), ("---", "app"), ("App 2 Go", "app-2-go"),
        ("123", "123"), (String(repeating: "ab ", count: 40), String(repeating: "ab-", count: 21) + "a"),
        (String(repeating: "x", count: 63) + " y", String(repeating: "x", count: 63)),
    ])
    func slugs(name: String, expected: String) {
        let slug = Slug.make(from: name)
        #expect(slug == expected)
        #expect(Slug.isValid(slug))
        #expect(slug.count <= 64)
    }

    @Test func slugValidity() {
        #expect(Slug.isValid("a"))
        #expect(Slug.isValid("my-app"))
        #expect(Slug.isValid("0-"))
        #expect(Slug.isValid(String(repeating: "a", count: 64)))
        #expect(!Slug.isValid(String(repeating: "a", count: 65)))
        #expect(!Slug.isValid(""))
        #expect(!Slug.isValid("-app"))
        #expect(!Slug.isValid("My-App"))
        #expect(!Slug.isValid("my_app"))
        #expect(!Slug.isValid("my app"))
        #expect(!Slug.isValid("é"))
    }
}
