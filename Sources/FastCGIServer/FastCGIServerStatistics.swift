import Synchronization

/// Counters of one ``FastCGIServer``, readable while it runs.
public final class FastCGIServerStatistics: Sendable {
    /// Connections accepted from the web server.
    public let connectionsAccepted = Atomic<Int>(0)
    /// Requests answered (a response was handed to libfcgi).
    public let requestsServed = Atomic<Int>(0)

    init() {}
}
