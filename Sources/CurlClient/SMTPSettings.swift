/// Where and how `SMTPClient` submits mail.
public struct SMTPSettings: Sendable {
    /// `smtp://host:port` or `smtps://host:port` (implicit TLS).
    public var url: String
    /// TLS on an `smtp://` connection.
    public enum TLSMode: String, Sendable, CaseIterable {
        /// Plain text only.
        case none
        /// STARTTLS if the server offers it, else plain text (CURLUSESSL_TRY).
        case opportunistic
        /// STARTTLS or fail (CURLUSESSL_ALL).
        case required
    }
    public var tls: TLSMode
    public var username: String?
    /// Handed to libcurl only; never logged or put in results.
    public var password: String?
    public var timeoutMilliseconds: Int

    public init(
        url: String,
        tls: TLSMode = .opportunistic,
        username: String? = nil,
        password: String? = nil,
        timeoutMilliseconds: Int = 10_000
    ) {
        self.url = url
        self.tls = tls
        self.username = username
        self.password = password
        self.timeoutMilliseconds = timeoutMilliseconds
    }
}

extension SMTPSettings: CustomStringConvertible {
    /// Safe to log: the password is never included.
    public var description: String {
        "SMTPSettings(url: \(url), tls: \(tls.rawValue), username: \(username ?? "-"), password: \(password == nil ? "-" : "<redacted>"))"
    }
}
