import Crypto
import CurlClient
import FoundationEssentials
import Testing

@testable import AlertRelayDelivery
@testable import AlertRelayStore
@testable import AlertRelayLogic

/// The headers of every attempt, checked against HMACs computed here with swift-crypto directly.
@Suite struct WebhookHeadersTests {
    static func app(previousSecret: String? = nil) -> App {
        App(
            id: 1, uuid: "u", organizationID: 2, slug: "s", name: "n", status: .internal, webhookURL: "http://127.0.0.1/",
            events: ["event_alert"], timeoutMilliseconds: 1000, clientSecret: "current-secret",
            previousSecret: previousSecret, disabledAt: nil, disabledReason: nil, dateCreated: "2026-12-05T00:00:00Z",
            clientID: "c", verifyInstall: false)
    }

    static func hmac(_ message: [UInt8], _ secret: String) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: Array(secret.utf8))))
    }

    static let body = Array(#"{"action":"triggered","data":{}}"#.utf8)

    @Test func namesValuesAndOrderAreFixed() throws {
        let headers = DeliveryAttempt.headers(
            resource: "event_alert", webhookID: "msg_abc", app: Self.app(), body: Self.body, requestID: "req-1",
            timestamp: 1_764_000_000)
        #expect(headers.map(\.name) == [
            "Content-Type", "Request-ID", "Sentry-Hook-Resource", "Sentry-Hook-Timestamp", "Sentry-Hook-Signature",
            "webhook-id", "webhook-timestamp", "webhook-signature", "User-Agent",
        ])
        let value = Dictionary(uniqueKeysWithValues: headers.map { ($0.name, $0.value) })
        #expect(value["Content-Type"] == "application/json")
        #expect(value["Request-ID"] == "req-1")
        #expect(value["Sentry-Hook-Resource"] == "event_alert")
        #expect(value["Sentry-Hook-Timestamp"] == "1764000000")
        #expect(value["webhook-id"] == "msg_abc")
        #expect(value["webhook-timestamp"] == "1764000000")
        #expect(value["User-Agent"] == "alert-relay/1")
        // Sentry: lowercase hex HMAC-SHA256 of the body.
        let sentry = Self.hmac(Self.body, "current-secret").hex
        #expect(value["Sentry-Hook-Signature"] == sentry)
        // Standard Webhooks: v1,base64 HMAC of "id.timestamp.body".
        let signed = Array("msg_abc.1764000000.".utf8) + Self.body
        #expect(value["webhook-signature"] == "v1," + Data(Self.hmac(signed, "current-secret")).base64EncodedString())
    }

    @Test func duringRotationBothSecretsSignTheStandardHeaderAndSentryUsesTheNewOne() throws {
        let headers = DeliveryAttempt.headers(
            resource: "event_alert", webhookID: "msg_abc", app: Self.app(previousSecret: "old-secret"), body: Self.body,
            requestID: "r", timestamp: 5)
        let value = Dictionary(uniqueKeysWithValues: headers.map { ($0.name, $0.value) })
        let signed = Array("msg_abc.5.".utf8) + Self.body
        let expected = ["current-secret", "old-secret"].map { "v1," + Data(Self.hmac(signed, $0)).base64EncodedString() }
        #expect(value["webhook-signature"] == expected.joined(separator: " "))
        #expect(value["Sentry-Hook-Signature"] == Self.hmac(Self.body, "current-secret").hex)
    }

    @Test func laterAttemptsGetANewRequestIDButKeepWebhookIDAndBody() throws {
        let first = DeliveryAttempt.request(
            attempt: 1, firstRequestID: "first", resource: "event_alert", webhookID: "msg_x", payload: "{}", app: Self.app(),
            maxResponseBodyBytes: 100)
        let second = DeliveryAttempt.request(
            attempt: 2, firstRequestID: "first", resource: "event_alert", webhookID: "msg_x", payload: "{}", app: Self.app(),
            maxResponseBodyBytes: 100)
        func header(_ request: (request: OutboundRequest, sentAt: Double), _ name: String) -> String? {
            request.request.headers.first { $0.name == name }?.value
        }
        #expect(header(first, "Request-ID") == "first")
        let secondID = try #require(header(second, "Request-ID"))
        #expect(secondID != "first" && secondID.count == 32)
        #expect(header(first, "webhook-id") == "msg_x" && header(second, "webhook-id") == "msg_x")
        #expect(first.request.body == second.request.body)
        #expect(first.request.timeoutMilliseconds == 1000)
    }
}

extension [UInt8] {
    /// Lowercase hex, written out here rather than through the code under test.
    fileprivate var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        return String(decoding: flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] }, as: UTF8.self)
    }
}
