import AlertRelayLogic
import HTTPCore
import HTTPTypes
import Logging
import Testing

@testable import AlertRelayAPI
@testable import AlertRelayDelivery
@testable import AlertRelayStore

/// The request pipeline with no database: everything here is answered before any query is made.
@Suite struct ApplicationTests {
    static let adminToken = "test-admin-token-0123456789"
    static let app = Application(
        config: try! Config(environment: ["ALERT_RELAY_ADMIN_TOKEN": adminToken]),
        logger: Logger(label: "test"))
    /// A connection that cannot open: these requests must not need the database (or must answer 503).
    let services = ThreadServices(databaseURL: "host=/nonexistent-socket-dir port=1 connect_timeout=1")

    func respond(_ request: Request) -> (Response, JSONObject) {
        let response = Self.app.respond(to: request, services: services)
        let body = (try? JSONValue.parse(response.body))?.objectValue ?? JSONObject()
        return (response, body)
    }

    func adminPost(_ path: String, body: String, contentType: String = "application/json") -> Request {
        var headers = HTTPFields()
        headers[.authorization] = "Bearer \(Self.adminToken)"
        headers[.contentType] = contentType
        return Request(method: .post, path: path, headers: headers, body: Array(body.utf8))
    }

    @Test func unknownRouteIs404WithJSONError() {
        let (response, body) = respond(Request(method: .get, path: "/nope"))
        #expect(response.status == .notFound)
        #expect(body["code"] == .string("not_found"))
        #expect(body["detail"]?.stringValue?.contains("/nope") == true)
        #expect(response.headers[.contentType] == "application/json; charset=utf-8")
    }

    @Test func wrongMethodIs405WithAllow() {
        let (response, body) = respond(Request(method: .patch, path: "/api/0/organizations"))
        #expect(response.status == .methodNotAllowed)
        #expect(response.headers[.allow] == "POST")
        #expect(body["code"] == .string("method_not_allowed"))
    }

    @Test func everyResponseCarriesARequestID() {
        let (generated, _) = respond(Request(method: .get, path: "/nope"))
        let id = generated.headers[HTTPField.Name("X-Request-ID")!]
        #expect(id?.utf8.count == 32)
        var headers = HTTPFields()
        headers[HTTPField.Name("X-Request-ID")!] = "caller-id-123"
        let (echoed, _) = respond(Request(method: .get, path: "/nope", headers: headers))
        #expect(echoed.headers[HTTPField.Name("X-Request-ID")!] == "caller-id-123")
        headers[HTTPField.Name("X-Request-ID")!] = "bad id with spaces"
        let (replaced, _) = respond(Request(method: .get, path: "/nope", headers: headers))
        #expect(replaced.headers[HTTPField.Name("X-Request-ID")!] != "bad id with spaces")
    }

    @Test func oversizedBodyIs413() {
        var request = adminPost("/api/0/organizations", body: "")
        request.bodyExceededLimit = true
        let (response, body) = respond(request)
        #expect(response.status == .contentTooLarge)
        #expect(body["code"] == .string("payload_too_large"))
        #expect(body["detail"]?.stringValue?.contains("1048576") == true)
    }

    @Test func missingTokenIs401() {
        let (response, body) = respond(Request(method: .get, path: "/api/0/organizations/acme"))
        #expect(response.status == .unauthorized)
        #expect(body["code"] == .string("unauthorized"))
    }

    @Test func nonBearerSchemeIs401() {
        var headers = HTTPFields()
        headers[.authorization] = "Basic \(Self.adminToken)"
        let (response, _) = respond(Request(method: .get, path: "/api/0/organizations/acme", headers: headers))
        #expect(response.status == .unauthorized)
    }

    @Test func malformedJSONIs400NamingThePosition() {
        let (response, body) = respond(adminPost("/api/0/organizations", body: "{\"slug\": \"a\",}"))
        #expect(response.status == .badRequest)
        #expect(body["code"] == .string("malformed_json"))
        #expect(body["detail"]?.stringValue?.contains("byte") == true)
    }

    @Test func nonObjectBodyIs400() {
        let (response, body) = respond(adminPost("/api/0/organizations", body: "[1,2]"))
        #expect(response.status == .badRequest)
        #expect(body["detail"]?.stringValue?.contains("object") == true)
    }

    @Test func wrongTypeIs400NamingTheField() {
        let (response, body) = respond(adminPost("/api/0/organizations", body: "{\"slug\": 5, \"name\": \"A\"}"))
        #expect(response.status == .badRequest)
        #expect(body["code"] == .string("wrong_type"))
        #expect(body["detail"]?.stringValue?.contains("'slug'") == true)
    }

    @Test func missingFieldIs400NamingTheField() {
        let (response, body) = respond(adminPost("/api/0/organizations", body: "{\"slug\": \"acme\"}"))
        #expect(response.status == .badRequest)
        #expect(body["code"] == .string("missing_field"))
        #expect(body["detail"]?.stringValue?.contains("'name'") == true)
    }

    @Test func invalidSlugIs422() {
        let (response, body) = respond(adminPost("/api/0/organizations", body: "{\"slug\": \"Not A Slug\", \"name\": \"A\"}"))
        #expect(response.status == .unprocessableContent)
        #expect(body["detail"]?.stringValue?.contains("'slug'") == true)
    }

    @Test func nonJSONContentTypeIs415() {
        let (response, body) = respond(adminPost("/api/0/organizations", body: "slug=a", contentType: "application/x-www-form-urlencoded"))
        #expect(response.status == .unsupportedMediaType)
        #expect(body["code"] == .string("unsupported_media_type"))
    }

    @Test func databaseOutageIs503() {
        // A valid admin request that must query: the unreachable database gives 503, not 500.
        let (response, body) = respond(adminPost("/api/0/organizations", body: "{\"slug\": \"acme\", \"name\": \"Acme\"}"))
        #expect(response.status == .serviceUnavailable)
        #expect(body["code"] == .string("database_unavailable"))
    }
}
