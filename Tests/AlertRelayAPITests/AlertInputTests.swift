import HTTPCore
import HTTPTypes
import Testing

@testable import AlertRelayAPI
@testable import AlertRelayDelivery
@testable import AlertRelayStore
@testable import AlertRelayLogic

/// The body of `POST /api/0/organizations/{org}/alerts`, checked before anything is looked up.
@Suite struct AlertInputTests {
    static let eventID = "0123456789abcdef0123456789ABCDEF"

    static func input(_ json: String) throws(APIError) -> AlertRoutes.AlertInput {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return try AlertRoutes.AlertInput(JSONBody.parse(Request(method: .post, path: "/", headers: headers, body: Array(json.utf8))))
    }

    static func body(event: String = #"{"event_id":"\#(eventID)","project":"web","group_id":12}"#, extra: String = "") -> String {
        #"{"sentry_app":"my-app","rule":"High CPU","event":\#(event)\#(extra)}"#
    }

    @Test func readsAValidAlert() throws {
        let input = try Self.input(Self.body())
        #expect(input.appSlug == "my-app")
        #expect(input.rule == "High CPU")
        #expect(input.eventID == Self.eventID.lowercased())
        #expect(input.projectReference == "web")
        #expect(input.groupID == "12")
        #expect(input.additionalKey == nil && input.additionalPayload == nil)
    }

    @Test(arguments: [
        (#"{"event_id":"\#(eventID)","project":42,"group_id":"77"}"#, "42", "77"),
        (#"{"event_id":"\#(eventID)","project":"42","group_id":0}"#, "42", "0"),
        (#"{"event_id":"\#(eventID)","project":7.0,"group_id":9007199254740993}"#, "7", "9007199254740993"),
    ])
    func projectAndGroupAcceptNumbersAndDigitStrings(event: String, project: String, group: String) throws {
        let input = try Self.input(Self.body(event: event))
        #expect(input.projectReference == project)
        #expect(input.groupID == group)
    }

    @Test func additionalPayloadNeedsItsKey() throws {
        let input = try Self.input(Self.body(extra: #","additional_payload_key":"extra","additional_payload":{"a":1}"#))
        #expect(input.additionalKey == "extra")
        #expect(input.additionalPayload == .object(JSONObject([("a", .integer("1"))])))
    }

    /// Each problem is a 4xx whose detail names the field.
    @Test(arguments: [
        (#"{"rule":"r","event":{}}"#, 400, "'sentry_app'"),
        (#"{"sentry_app":"","rule":"r","event":{"event_id":"\#(eventID)","project":"p","group_id":1}}"#, 422, "'sentry_app'"),
        (#"{"sentry_app":1,"rule":"r","event":{}}"#, 400, "'sentry_app'"),
        (#"{"sentry_app":"a","event":{}}"#, 400, "'rule'"),
        (#"{"sentry_app":"a","rule":"r"}"#, 400, "'event'"),
        (#"{"sentry_app":"a","rule":"r","event":[]}"#, 400, "'event'"),
        (body(event: #"{"project":"p","group_id":1}"#), 400, "'event.event_id'"),
        (body(event: #"{"event_id":7,"project":"p","group_id":1}"#), 400, "'event.event_id'"),
        (body(event: #"{"event_id":"abc","project":"p","group_id":1}"#), 422, "'event.event_id'"),
        (body(event: #"{"event_id":"0123456789abcdef0123456789abcdeg","project":"p","group_id":1}"#), 422, "'event.event_id'"),
        (body(event: #"{"event_id":"\#(eventID)","group_id":1}"#), 400, "'event.project'"),
        (body(event: #"{"event_id":"\#(eventID)","project":null,"group_id":1}"#), 400, "'event.project'"),
        (body(event: #"{"event_id":"\#(eventID)","project":true,"group_id":1}"#), 400, "'event.project'"),
        (body(event: #"{"event_id":"\#(eventID)","project":"a\u0000b","group_id":1}"#), 400, "'event.project'"),
        (body(event: #"{"event_id":"\#(eventID)","project":"p"}"#), 400, "'event.group_id'"),
        (body(event: #"{"event_id":"\#(eventID)","project":"p","group_id":-1}"#), 422, "'event.group_id'"),
        (body(event: #"{"event_id":"\#(eventID)","project":"p","group_id":"1a"}"#), 400, "'event.group_id'"),
        (body(event: #"{"event_id":"\#(eventID)","project":"p","group_id":1.5}"#), 400, "'event.group_id'"),
        (body(extra: #","additional_payload":{"a":1}"#), 400, "'additional_payload_key'"),
        (body(extra: #","additional_payload_key":"k""#), 400, "'additional_payload'"),
        (body(extra: #","additional_payload_key":"event","additional_payload":1"#), 422, "'additional_payload_key'"),
        (body(extra: #","additional_payload_key":"","additional_payload":1"#), 422, "'additional_payload_key'"),
    ])
    func rejectsNamingTheField(json: String, status: Int, field: String) {
        do {
            _ = try Self.input(json)
            Issue.record("accepted: \(json)")
        } catch {
            #expect(error.status.code == status, "\(json): \(error.detail)")
            #expect(error.detail.contains(field), "\(json): \(error.detail)")
        }
    }
}
