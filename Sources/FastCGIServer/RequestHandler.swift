import HTTPCore

/// Answers requests on one server thread.
///
/// The server creates one instance per worker thread, on that thread, and calls it only from there,
/// so an implementation may own thread-bound resources (a database connection, a curl handle)
/// without locking. It need not be `Sendable`.
public protocol RequestHandler: AnyObject {
    /// Builds the response for one request. A slow handler blocks only its own thread.
    func handle(_ request: Request) -> Response
}
