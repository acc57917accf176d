import HTTPTypes

/// One HTTP request as the responder sees it: already read from FastCGI, independent of any socket.
public struct Request: Sendable {
    public var method: HTTPRequest.Method
    /// The decoded path without the query string, e.g. `/api/0/organizations/acme`.
    public var path: String
    /// The raw query string without the leading `?`.
    public var query: String
    public var headers: HTTPFields
    public var body: [UInt8]
    /// True when the declared body was larger than the configured limit; `body` is then empty and unread.
    public var bodyExceededLimit: Bool
    /// The client address as nginx reported it (`REMOTE_ADDR`).
    public var remoteAddress: String

    public init(
        method: HTTPRequest.Method,
        path: String,
        query: String = "",
        headers: HTTPFields = [:],
        body: [UInt8] = [],
        bodyExceededLimit: Bool = false,
        remoteAddress: String = ""
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.bodyExceededLimit = bodyExceededLimit
        self.remoteAddress = remoteAddress
    }
}
