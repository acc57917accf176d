/// Settings of one ``FastCGIServer``; read once at startup.
public struct FastCGIServerConfiguration: Sendable {
    /// The socket to listen on.
    public var listen: ListenAddress
    /// Worker threads; each owns one handler and serves one request at a time.
    public var threads: Int
    /// Larger declared bodies are not read; the request arrives with `bodyExceededLimit == true`.
    public var maxBodyBytes: Int
    /// `listen(2)` backlog.
    public var backlog: Int
    /// How long in-flight requests may take to finish after SIGTERM/SIGINT before `run` returns anyway.
    public var shutdownGraceSeconds: Int

    /// Creates a configuration; values are checked when the server starts.
    public init(
        listen: ListenAddress,
        threads: Int,
        maxBodyBytes: Int,
        backlog: Int = 1024,
        shutdownGraceSeconds: Int = 30
    ) {
        self.listen = listen
        self.threads = threads
        self.maxBodyBytes = maxBodyBytes
        self.backlog = backlog
        self.shutdownGraceSeconds = shutdownGraceSeconds
    }

    func validate() throws {
        func invalid(_ message: String) -> FastCGIServerError {
            FastCGIServerError(code: .invalidConfiguration, message: message)
        }
        if threads < 1 || threads > 4096 { throw invalid("threads must be in 1...4096") }
        if maxBodyBytes < 0 || maxBodyBytes > Int(Int32.max) {
            throw invalid("maxBodyBytes must be in 0...\(Int32.max)")
        }
        if backlog < 1 { throw invalid("backlog must be at least 1") }
        if shutdownGraceSeconds < 0 { throw invalid("shutdownGraceSeconds must not be negative") }
    }
}
