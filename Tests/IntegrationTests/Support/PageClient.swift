import Foundation
import Testing

/// A person's browser for the owner pages, as far as the tests need one: a cookie jar (name → value, as the server
/// set them; expired ones removed) over ``TestHTTP``, form posts, and the hidden CSRF value of a page.
final class PageClient {
    var cookies: [String: String] = [:]
    /// The `Set-Cookie` headers of the last response, as sent.
    var lastSetCookies: [String] = []

    /// `pathOrURL`: a full `http://127.0.0.1:…` URL or a path below ALERT_RELAY_TEST_BASE_URL.
    func get(_ pathOrURL: String, headers: [(String, String)] = []) throws -> TestHTTP.Response {
        try send("GET", pathOrURL, headers: headers, body: nil)
    }

    /// POSTs `fields` as `application/x-www-form-urlencoded`.
    func post(_ pathOrURL: String, form fields: [(String, String)]) throws -> TestHTTP.Response {
        let body = fields.map { "\(Self.escape($0.0))=\(Self.escape($0.1))" }.joined(separator: "&")
        return try send(
            "POST", pathOrURL, headers: [("Content-Type", "application/x-www-form-urlencoded")], body: Array(body.utf8))
    }

    func send(_ method: String, _ pathOrURL: String, headers: [(String, String)], body: [UInt8]?) throws -> TestHTTP.Response {
        let url = pathOrURL.hasPrefix("http://") ? pathOrURL : Fixtures.baseURL + pathOrURL
        var all = headers
        if !cookies.isEmpty {
            all.append(("Cookie", cookies.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")))
        }
        let response = try TestHTTP.request(method: method, url: url, headers: all, body: body)
        lastSetCookies = response.headers(named: "Set-Cookie")
        for header in lastSetCookies {
            let first = header.split(separator: ";", maxSplits: 1)[0]
            let pair = first.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard pair.count == 2 else { continue }
            let name = String(pair[0]).trimmingCharacters(in: .whitespaces)
            if header.contains("Max-Age=0") { cookies[name] = nil } else { cookies[name] = String(pair[1]) }
        }
        return response
    }

    /// The value of the first `<input type="hidden" name="csrf" value="…">` in `html`.
    static func csrf(in html: String) throws -> String {
        let marker = #"name="csrf" value=""#
        guard let start = html.range(of: marker) else { throw TestHTTP.Failure("no CSRF field in the page") }
        let rest = html[start.upperBound...]
        guard let end = rest.firstIndex(of: "\"") else { throw TestHTTP.Failure("unterminated CSRF field") }
        return String(rest[..<end])
    }

    static func escape(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? text
    }

    /// The path and query of a full URL (`http://host:port/p?q` → `/p?q`).
    static func pathAndQuery(_ url: String) -> String {
        guard let scheme = url.range(of: "://"), let slash = url[scheme.upperBound...].firstIndex(of: "/") else { return url }
        return String(url[slash...])
    }
}
