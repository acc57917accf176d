/// One HTTP POST to send with `HTTPClient`.
public struct OutboundRequest: Sendable {
    /// `http://` or `https://` URL; other schemes fail with `.invalidURL`.
    public var url: String
    /// Sent in order. Names and values must not contain CR, LF or NUL; an empty value is sent as `Name:`.
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    /// Whole-transfer limit; values below 1 are treated as 1 (libcurl reads 0 as "no limit").
    public var timeoutMilliseconds: Int
    /// Connect (and TLS handshake) limit; values below 1 are treated as 1.
    public var connectTimeoutMilliseconds: Int
    /// At most this many response body bytes are kept; the rest is read and discarded.
    public var maxResponseBodyBytes: Int

    public init(
        url: String,
        headers: [(name: String, value: String)] = [],
        body: [UInt8] = [],
        timeoutMilliseconds: Int = 1000,
        connectTimeoutMilliseconds: Int = 1000,
        maxResponseBodyBytes: Int = 64 * 1024
    ) {
        self.url = url
        self.headers = headers
        self.body = body
        self.timeoutMilliseconds = timeoutMilliseconds
        self.connectTimeoutMilliseconds = connectTimeoutMilliseconds
        self.maxResponseBodyBytes = maxResponseBodyBytes
    }
}
