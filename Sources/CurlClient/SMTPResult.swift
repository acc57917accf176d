/// The outcome of one `SMTPClient.send`.
public struct SMTPResult: Sendable {
    /// True when the server accepted the message for every recipient.
    public var succeeded: Bool
    /// The last SMTP reply code (e.g. 250, 550); nil when the server never answered.
    public var responseCode: Int?
    /// True for a 5xx reply (retrying the same message will not help).
    public var permanent: Bool
    /// Safe to log; never contains credentials.
    public var message: String
    /// The transport failure class when not `succeeded` (`.connect`, `.timeout`, `.tls`, ...).
    public var failure: TransferFailure?

    public init(
        succeeded: Bool, responseCode: Int? = nil, permanent: Bool = false, message: String,
        failure: TransferFailure? = nil
    ) {
        self.succeeded = succeeded
        self.responseCode = responseCode
        self.permanent = permanent
        self.message = message
        self.failure = failure
    }
}
