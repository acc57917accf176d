import AlertRelayLogic
import AlertRelayStore
import CurlClient
import Logging
import PostgresClient
import SystemSupport

/// One attempt of a delivery: the signed request (headers computed once, and logged exactly as sent), and the
/// inline attempt the responder makes (send, then record through `AttemptRecorder` like every other attempt).
public enum DeliveryAttempt {
    /// Standard headers of every attempt, in the order they are sent.
    public static func headers(
        resource: String, webhookID: String, app: App, body: [UInt8], requestID: String, timestamp: Int64
    ) -> [(name: String, value: String)] {
        var secrets = [app.clientSecret]
        if let previous = app.previousSecret { secrets.append(previous) }
        return [
            ("Content-Type", "application/json"),
            ("Request-ID", requestID),
            ("Sentry-Hook-Resource", resource),
            ("Sentry-Hook-Timestamp", String(timestamp)),
            ("Sentry-Hook-Signature", SentryHookSignature.sign(body: body, secret: app.clientSecret)),
            ("webhook-id", webhookID),
            ("webhook-timestamp", String(timestamp)),
            ("webhook-signature", StandardWebhookSignature.header(
                messageID: webhookID, timestamp: timestamp, body: body, secrets: secrets)),
            ("User-Agent", "alert-relay/1"),
        ]
    }

    /// The request of attempt `attempt`, signed now: the first attempt carries the delivery's `Request-ID`, each
    /// later one a new one (as the reference does); `webhook-id` and the body never change.
    public static func request(
        attempt: Int, firstRequestID: String, resource: String, webhookID: String, payload: String, app: App,
        maxResponseBodyBytes: Int
    ) -> (request: OutboundRequest, sentAt: Double) {
        let sentAt = WallClock.unixTime()
        let body = Array(payload.utf8)
        let requestID = attempt == 1 ? firstRequestID : RandomToken.uuid4Hex()
        let headers = headers(
            resource: resource, webhookID: webhookID, app: app, body: body, requestID: requestID,
            timestamp: Int64(sentAt.rounded(.down)))
        let request = OutboundRequest(
            url: app.webhookURL ?? "", headers: headers, body: body, timeoutMilliseconds: app.timeoutMilliseconds,
            connectTimeoutMilliseconds: app.timeoutMilliseconds, maxResponseBodyBytes: maxResponseBodyBytes)
        return (request, sentAt)
    }

    /// The answer to an attempt the address policy refuses before anything is sent: with global targets off, a host
    /// name is not even looked up (the lookup is traffic to the resolver); nil when the URL may be tried.
    static func refusedBeforeSending(url: String?, policy: TargetPolicy) -> OutboundResponse? {
        // An app without a webhook URL gets no delivery; should one reach an attempt anyway, it is an unusable URL.
        guard let url else { return OutboundResponse(failure: .invalidURL) }
        if policy.allowsGlobal || WebhookTarget.host(of: url).map(policy.permitsHost) == true { return nil }
        // 0.0.0.0:0 stands for "not resolved".
        return ConnectAddress(family: .ipv4, bytes: [0, 0, 0, 0], port: 0).map { OutboundResponse(failure: .blocked($0)) }
    }

    /// Makes attempt `delivery.attempts + 1` with `payload` on this thread and returns the delivery as recorded
    /// afterwards.
    public static func perform(delivery: Delivery, payload: String, app: App, context: FlowContext) throws -> Delivery {
        let attempt = delivery.attempts + 1
        let (request, sentAt) = request(
            attempt: attempt, firstRequestID: delivery.requestID, resource: delivery.resource,
            webhookID: delivery.webhookID, payload: payload, app: app,
            maxResponseBodyBytes: context.config.maxResponseBodyBytes)
        let policy = context.config.targetPolicy
        let response = try Self.refusedBeforeSending(url: app.webhookURL, policy: policy)
            ?? context.services.webhookClient().post(request) { policy.allows($0.bytes) }
        let sent = SentAttempt(
            deliveryID: delivery.id, organizationID: delivery.organizationID, attempt: attempt,
            eventType: delivery.eventType, app: app, requestHeaders: request.headers, requestBody: payload,
            sentAt: sentAt, response: response)
        let recorded = try context.recorder.record([sent], shard: context.services.counterShard, db: context.db)
        // A disable this attempt triggered may have changed the delivery after its record: answer what is stored.
        if recorded.disabledApps.isEmpty, let updated = recorded.deliveries[delivery.id] { return updated }
        return try DeliveryStore.find(id: delivery.id, db: context.db) ?? delivery
    }
}
