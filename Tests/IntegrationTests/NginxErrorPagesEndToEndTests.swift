import AlertRelayAPI
import AlertRelayDelivery
import AlertRelayStore
import Foundation
import Testing

/// Issue 10: nginx and the responder agree on errors. What nginx answers itself (404, 405, 413, 414, 431, 501, ...)
/// is the API's JSON error body with `X-Request-ID`, and every 405, also for methods nginx refuses before FastCGI
/// (TRACE), carries the `Allow` header of the path (RFC 9110 §15.5.6). Through the real nginx of scripts/test.sh.
@Suite(.enabled(if: Fixtures.servicesAvailable))
struct NginxErrorPagesEndToEndTests {
    /// A JSON error `{"detail", "code"}` with `status` and an `X-Request-ID`.
    @discardableResult
    static func expectJSONError(
        _ response: TestHTTP.Response, _ status: Int, code: String, sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> [String: Any] {
        let object = try Fixtures.expectError(response, status, code: code, sourceLocation: sourceLocation)
        #expect(Set(object.keys).isSubset(of: ["detail", "code", "request_id"]), "\(object)", sourceLocation: sourceLocation)
        #expect(response.header("X-Request-ID")?.isEmpty == false, "X-Request-ID on \(response.summary)",
                sourceLocation: sourceLocation)
        return object
    }

    /// TRACE (refused by nginx itself) and other methods no route has, on every registered route: JSON 405 with
    /// exactly the methods the route table registers for that path in `Allow`.
    @Test(arguments: ["TRACE", "PATCH", "OPTIONS", "QUERY", "CONNECT"])
    func undeclaredMethodsAre405WithAllowOnEveryRoute(method: String) throws {
        try Fixtures.requireServices()
        let routes = Routes.makeRouter().registered
        var methodsByPattern: [String: Set<String>] = [:]
        for route in routes { methodsByPattern[route.pattern, default: []].insert(route.method.rawValue) }
        #expect(methodsByPattern.count >= 15)
        for (pattern, methods) in methodsByPattern.sorted(by: { $0.key < $1.key }) {
            #expect(!methods.contains(method), "\(pattern) declares \(method); pick another method for this test")
            let path = pattern.replacing(#/\{[a-z]+\}/#, with: "x1")
            let response = try TestHTTP.request(method: method, url: Fixtures.baseURL + path)
            try Self.expectJSONError(response, 405, code: "method_not_allowed")
            let allow = try #require(response.header("Allow"), "\(method) \(path): no Allow header")
            #expect(Set(allow.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }) == methods,
                    "\(method) \(path): Allow: \(allow)")
        }
    }

    @Test func traceOnAnUnknownPathIsTheJSON404() throws {
        try Fixtures.requireServices()
        let response = try TestHTTP.request(method: "TRACE", url: Fixtures.baseURL + "/no-such-route-\(Fixtures.random(6))")
        try Self.expectJSONError(response, 404, code: "not_found")
    }

    /// nginx's own 404: its internal error locations cannot be requested from outside.
    @Test func nginxOwn404IsJSON() throws {
        try Fixtures.requireServices()
        let response = try TestHTTP.request(method: "GET", url: Fixtures.baseURL + "/_errors/500.json")
        try Self.expectJSONError(response, 404, code: "not_found")
    }

    @Test func overlongURIIsJSON414() throws {
        try Fixtures.requireServices()
        let response = try TestHTTP.request(
            method: "GET", url: Fixtures.baseURL + "/api/0/organizations/" + String(repeating: "a", count: 20_000))
        try Self.expectJSONError(response, 414, code: "uri_too_long")
    }

    @Test func oversizedHeadersAreJSON431() throws {
        try Fixtures.requireServices()
        let response = try TestHTTP.request(
            method: "GET", url: Fixtures.baseURL + "/healthz", headers: [("X-Padding", String(repeating: "a", count: 20_000))])
        try Self.expectJSONError(response, 431, code: "headers_too_large")
    }

    @Test func unknownTransferEncodingIsJSON501() throws {
        try Fixtures.requireServices()
        let response = try TestHTTP.request(
            method: "POST", url: Fixtures.baseURL + "/api/0/organizations", headers: [("Transfer-Encoding", "gzip")])
        try Self.expectJSONError(response, 501, code: "not_implemented")
    }

    @Test func bodyOverTheLimitIsJSON413FromNginx() throws {
        try Fixtures.requireServices()
        let response = try TestHTTP.request(
            method: "POST", url: Fixtures.baseURL + "/api/0/organizations",
            headers: [("Authorization", "Bearer \(Fixtures.admin)"), ("Content-Type", "application/json")],
            body: Array(repeating: UInt8(ascii: " "), count: 1_048_576 + 1))
        let object = try Self.expectJSONError(response, 413, code: "payload_too_large")
        #expect((object["detail"] as? String)?.contains("1048576") == true)
    }
}
