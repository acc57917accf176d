import CCurl

/// Sends webhook POSTs with libcurl, one at a time, blocking the calling thread. One per thread: it owns one
/// reused easy handle, so connections to the same host stay alive between posts.
public final class HTTPClient {
    private let transfer: HTTPTransfer

    /// Creates the easy handle (and runs `CurlRuntime.initialize()` if nobody did).
    public init() throws {
        transfer = try HTTPTransfer()
    }

    /// POSTs the body. `allowAddress` is consulted for EVERY address curl is about to connect to
    /// (CURLOPT_OPENSOCKETFUNCTION, also for IPv4-mapped IPv6) and for a reused keep-alive
    /// connection before anything is sent on it; returning false refuses the address and the
    /// result is failure `.blocked(address)`, with no packet sent to it. Redirects are not followed.
    public func post(_ request: OutboundRequest, allowAddress: (ConnectAddress) -> Bool) -> OutboundResponse {
        withoutActuallyEscaping(allowAddress) { allow in
            // The transfer forgets `allow` in `finish`, before this call returns.
            if let failure = transfer.prepare(request, allowAddress: allow) {
                return OutboundResponse(failure: failure)
            }
            return transfer.finish(transfer.handle.perform())
        }
    }
}

@available(*, unavailable, message: "HTTPClient owns a CURL handle; create one per thread")
extension HTTPClient: Sendable {}
