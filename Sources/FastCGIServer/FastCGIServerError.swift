/// An error from configuring or starting the FastCGI server; `description` is safe to log.
public struct FastCGIServerError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, extensible without breaking callers.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String

        /// The bind string could not be parsed into a ``ListenAddress``.
        public static let invalidListenAddress = Code(rawValue: "invalidListenAddress")
        /// A configuration value is out of range (threads < 1, negative limits).
        public static let invalidConfiguration = Code(rawValue: "invalidConfiguration")
        /// Another live server already answers on the unix socket, or a non-socket file is in the way.
        public static let addressInUse = Code(rawValue: "addressInUse")
        /// `socket`, `bind`, `listen` or `chmod` failed.
        public static let socketFailed = Code(rawValue: "socketFailed")
        /// `FCGX_Init` failed.
        public static let initFailed = Code(rawValue: "initFailed")
        /// `pthread_create` or `pipe` failed.
        public static let threadStartFailed = Code(rawValue: "threadStartFailed")
        /// `run` was called while this server was already running.
        public static let alreadyRunning = Code(rawValue: "alreadyRunning")

        public var description: String { rawValue }
    }

    /// The kind of failure.
    public var code: Code
    /// What failed, naming the address or path involved.
    public var message: String
    /// The C `errno` when a system call failed.
    public var systemErrno: Int32?

    /// Creates an error; `systemErrno` is the `errno` of the failed call, if any.
    public init(code: Code, message: String, systemErrno: Int32? = nil) {
        self.code = code
        self.message = message
        self.systemErrno = systemErrno
    }

    /// `code: message (errno N)`.
    public var description: String {
        if let systemErrno {
            return "\(code): \(message) (errno \(systemErrno))"
        }
        return "\(code): \(message)"
    }
}
