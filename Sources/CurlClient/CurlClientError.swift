/// A failure to set up a libcurl client (not a transfer failure; those are values in the results).
public struct CurlClientError: Error, Sendable, CustomStringConvertible {
    /// Safe to log; never holds credentials.
    public var message: String

    public var description: String { "CurlClientError: \(message)" }
}
