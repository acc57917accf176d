#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where the FastCGI server listens: a unix socket (preferred behind a local nginx) or a TCP address.
public enum ListenAddress: Sendable, Equatable, CustomStringConvertible {
    /// A unix socket at `path`, chmod-ed to `mode` after bind so nginx workers (`nobody`) can connect.
    case unixSocket(path: String, mode: mode_t = 0o666)
    /// A numeric IPv4 or IPv6 address (without brackets) or `localhost`, and a port in 1...65535.
    case tcp(host: String, port: Int)

    /// Parses a bind string.
    ///
    /// - `unix:PATH`, a path starting with `/` or `.`, or any string without `:` → ``unixSocket(path:mode:)``
    ///   with mode 0o666.
    /// - `HOST:PORT` with a numeric IPv4 host or `localhost`, or `[V6]:PORT` → ``tcp(host:port:)``.
    ///
    /// Host names other than `localhost` are rejected: the server never resolves names.
    public static func parse(bind: String) throws -> ListenAddress {
        func invalid(_ why: String) -> FastCGIServerError {
            FastCGIServerError(code: .invalidListenAddress, message: "\(why): \"\(bind)\"")
        }
        if bind.isEmpty {
            throw invalid("empty listen address")
        }
        if bind.hasPrefix("unix:") {
            let path = String(bind.dropFirst("unix:".count))
            if path.isEmpty {
                throw invalid("empty unix socket path")
            }
            return .unixSocket(path: path)
        }
        if bind.hasPrefix("/") || bind.hasPrefix(".") || !bind.contains(":") {
            return .unixSocket(path: bind)
        }

        let host: String
        let portText: Substring
        if bind.hasPrefix("[") {
            guard let close = bind.firstIndex(of: "]") else {
                throw invalid("missing ] in IPv6 address")
            }
            host = String(bind[bind.index(after: bind.startIndex)..<close])
            let rest = bind[bind.index(after: close)...]
            guard rest.hasPrefix(":") else {
                throw invalid("missing :PORT after IPv6 address")
            }
            portText = rest.dropFirst()
            guard isNumericAddress(host, family: AF_INET6) else {
                throw invalid("not a numeric IPv6 address")
            }
        } else {
            guard let colon = bind.lastIndex(of: ":") else {
                throw invalid("missing port")
            }
            host = String(bind[..<colon])
            portText = bind[bind.index(after: colon)...]
            if host.contains(":") {
                throw invalid("IPv6 addresses must be written as [ADDRESS]:PORT")
            }
            guard host == "localhost" || isNumericAddress(host, family: AF_INET) else {
                throw invalid("host must be a numeric IPv4 address, localhost or [IPv6]")
            }
        }
        guard !portText.isEmpty, portText.utf8.count <= 5,
            portText.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
            let port = Int(portText), (1...65535).contains(port)
        else {
            throw invalid("port must be a number in 1...65535")
        }
        return .tcp(host: host, port: port)
    }

    /// `unix:PATH`, `HOST:PORT` or `[V6]:PORT`, for logs.
    public var description: String {
        switch self {
        case .unixSocket(let path, _):
            return "unix:\(path)"
        case .tcp(let host, let port):
            return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        }
    }

    static func isNumericAddress(_ host: String, family: Int32) -> Bool {
        var storage = in6_addr()
        return host.withCString { inet_pton(family, $0, &storage) } == 1
    }
}
