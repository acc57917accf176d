import AlertRelayLogic
import CurlClient

/// Sends one webhook attempt over this thread's libcurl handle, refusing non-global targets (SSRF guard) on the
/// address actually connected to, unless the configured allowlist covers it.
public final class WebhookSender {
    private let client: HTTPClient

    public init() throws {
        CurlRuntime.initialize()
        client = try HTTPClient()
    }

    public func send(
        url: String, headers: [(name: String, value: String)], body: [UInt8], timeoutMilliseconds: Int,
        maxResponseBodyBytes: Int, policy: TargetPolicy
    ) -> OutboundResponse {
        // Confined to the allowlist: a host name is refused before curl would look it up (0.0.0.0:0 = not resolved).
        if !policy.permitsHost(ofURL: url), let unresolved = ConnectAddress(family: .ipv4, bytes: [0, 0, 0, 0], port: 0) {
            return OutboundResponse(failure: .blocked(unresolved))
        }
        let request = OutboundRequest(
            url: url, headers: headers, body: body, timeoutMilliseconds: timeoutMilliseconds,
            connectTimeoutMilliseconds: timeoutMilliseconds, maxResponseBodyBytes: maxResponseBodyBytes)
        return client.post(request) { address in policy.allows(address.bytes) }
    }
}

extension OutboundResponse {
    /// The attempt's failure in the terms of the outcome table.
    var attemptFailure: AttemptFailure? {
        switch failure {
        case nil: nil
        case .timeout: .timeout
        case .dns: .dns
        case .connect, .other: .connection
        case .tls: .tls
        case .blocked: .blocked
        case .invalidURL: .invalidURL
        }
    }
}
