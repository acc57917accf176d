/// The outcome of one `HTTPClient.post`: an HTTP response, a failure, or (rarely) both, e.g. a
/// timeout while the body was still arriving.
public struct OutboundResponse: Sendable {
    /// The final HTTP status; nil when no HTTP response arrived.
    public var status: Int?
    /// Headers of the final response only, in order (interim 1xx responses are dropped).
    public var headers: [(name: String, value: String)]
    /// At most `maxResponseBodyBytes` bytes of the response body.
    public var body: [UInt8]
    /// True when the response body was longer than `maxResponseBodyBytes`.
    public var bodyTruncated: Bool
    public var durationMilliseconds: Double
    /// The peer address of the connection that carried the request (after a failed connect: the
    /// last address tried); nil when none was reached or the address was blocked.
    public var connectedAddress: ConnectAddress?
    /// nil when the transfer completed (whatever the HTTP status).
    public var failure: TransferFailure?

    public init(
        status: Int? = nil,
        headers: [(name: String, value: String)] = [],
        body: [UInt8] = [],
        bodyTruncated: Bool = false,
        durationMilliseconds: Double = 0,
        connectedAddress: ConnectAddress? = nil,
        failure: TransferFailure? = nil
    ) {
        self.status = status
        self.headers = headers
        self.body = body
        self.bodyTruncated = bodyTruncated
        self.durationMilliseconds = durationMilliseconds
        self.connectedAddress = connectedAddress
        self.failure = failure
    }

    /// The value of the first header with this name (case-insensitive).
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.name.lowercased() == wanted }?.value
    }
}
