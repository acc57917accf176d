import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A tiny blocking HTTP/1.1 client over a raw TCP socket, for loopback targets only (127.0.0.0/8 and ::1).
///
/// Every request is sent with `Connection: close` and read until the server closes, so the raw bytes on the wire are
/// exactly what the test built: no client library adds, reorders or normalizes anything.
enum TestHTTP {
    /// A response as received: headers in order with their original spelling, the body de-chunked.
    struct Response: Sendable {
        var status: Int
        var headers: [(String, String)]
        var body: [UInt8]

        /// The first header named `name` (case-insensitive).
        func header(_ name: String) -> String? {
            headers.first { $0.0.lowercased() == name.lowercased() }?.1
        }

        /// Every header named `name` (case-insensitive), in order.
        func headers(named name: String) -> [String] {
            headers.filter { $0.0.lowercased() == name.lowercased() }.map(\.1)
        }

        var text: String { String(decoding: body, as: UTF8.self) }

        /// The body parsed by Foundation's `JSONSerialization` (fragments allowed).
        func json() throws -> Any {
            try JSONSerialization.jsonObject(with: Data(body), options: [.fragmentsAllowed])
        }

        /// The body as a JSON object; throws when it is anything else.
        func object() throws -> [String: Any] {
            guard let object = try json() as? [String: Any] else {
                throw Failure("expected a JSON object, got: \(text.prefix(300))")
            }
            return object
        }

        /// The body as a JSON array of objects; throws when it is anything else.
        func array() throws -> [[String: Any]] {
            guard let array = try json() as? [[String: Any]] else {
                throw Failure("expected a JSON array of objects, got: \(text.prefix(300))")
            }
            return array
        }

        /// For failure messages.
        var summary: String { "\(status) \(text.prefix(500))" }
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    /// A parsed `http://host:port/path?query` URL.
    struct Target {
        var host: String
        var port: UInt16
        var pathAndQuery: String
        var isIPv6: Bool

        init(_ url: String) throws {
            guard url.hasPrefix("http://") else { throw Failure("only http:// URLs are supported: \(url)") }
            let rest = url.dropFirst("http://".count)
            let authority = rest.prefix { $0 != "/" && $0 != "?" }
            let tail = String(rest.dropFirst(authority.count))
            pathAndQuery = tail.isEmpty ? "/" : (tail.hasPrefix("?") ? "/" + tail : tail)
            var portText: Substring
            if authority.hasPrefix("[") {
                guard let close = authority.firstIndex(of: "]") else { throw Failure("bad IPv6 authority in \(url)") }
                host = String(authority[authority.index(after: authority.startIndex)..<close])
                portText = authority[authority.index(after: close)...]
                isIPv6 = true
            } else {
                let parts = authority.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
                host = String(parts[0])
                portText = parts.count > 1 ? ":" + parts[1] : ""
                isIPv6 = false
            }
            if portText.isEmpty {
                port = 80
            } else {
                guard portText.hasPrefix(":"), let value = UInt16(portText.dropFirst()) else {
                    throw Failure("bad port in \(url)")
                }
                port = value
            }
            // The project's hard rule: tests talk to loopback only.
            if isIPv6 {
                guard host == "::1" else { throw Failure("refusing non-loopback IPv6 host \(host)") }
            } else {
                let octets = host.split(separator: ".").compactMap { UInt8($0) }
                guard octets.count == 4, octets[0] == 127, host.split(separator: ".").count == 4 else {
                    throw Failure("refusing non-loopback host \(host) (use a 127.x.y.z literal)")
                }
            }
        }
    }

    /// Sends one request and reads the whole response. `headers` are sent as given, after `Host`; `Content-Length`
    /// is added for a body unless the caller set it; `Connection: close` is always added.
    static func request(
        method: String, url: String, headers: [(String, String)] = [], body: [UInt8]? = nil, timeoutSeconds: Int = 60
    ) throws -> Response {
        let target = try Target(url)
        var head = "\(method) \(target.pathAndQuery) HTTP/1.1\r\n"
        head += "Host: \(target.isIPv6 ? "[\(target.host)]" : target.host):\(target.port)\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if let body, !headers.contains(where: { $0.0.lowercased() == "content-length" }) {
            head += "Content-Length: \(body.count)\r\n"
        }
        head += "Connection: close\r\n\r\n"
        var bytes = Array(head.utf8)
        if let body { bytes += body }

        let fd = try connect(target, timeoutSeconds: timeoutSeconds)
        defer { close(fd) }
        sendAll(fd, bytes)
        let raw = try receiveAll(fd)
        return try parse(raw, method: method)
    }

    /// A request to the service under test: `path` is appended to `base` (default ALERT_RELAY_TEST_BASE_URL);
    /// `json` is sent as the body with `Content-Type: application/json`.
    static func api(
        _ method: String, _ path: String, token: String?, json: String? = nil, headers: [(String, String)] = [],
        base: String? = nil
    ) throws -> Response {
        guard let base = base ?? TestEnvironment.variable("ALERT_RELAY_TEST_BASE_URL") else {
            throw Failure("ALERT_RELAY_TEST_BASE_URL is not set")
        }
        var all: [(String, String)] = []
        if let token { all.append(("Authorization", "Bearer \(token)")) }
        if json != nil { all.append(("Content-Type", "application/json")) }
        all += headers
        return try request(method: method, url: base + path, headers: all, body: json.map { Array($0.utf8) })
    }

    /// JSON text of a Foundation value (objects, arrays, strings, numbers, booleans, NSNull), sorted keys.
    static func encode(_ value: Any) throws -> String {
        let data = try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed])
        return String(decoding: data, as: UTF8.self)
    }

    /// A TCP port on `host` (an IPv4 loopback literal) that nothing listens on: bound once to get a free number,
    /// then closed, so connecting to it is refused.
    static func closedPort(host: String) throws -> Int {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw Failure("socket() failed: errno \(errno)") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { throw Failure("bad IPv4 address \(host)") }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw Failure("bind to \(host) failed: errno \(errno)") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { throw Failure("getsockname failed: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    // MARK: Socket plumbing

    private static func connect(_ target: Target, timeoutSeconds: Int) throws -> Int32 {
        let family = target.isIPv6 ? AF_INET6 : AF_INET
        #if canImport(Glibc)
        let fd = socket(family, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(family, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw Failure("socket() failed: errno \(errno)") }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        _ = setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let result: Int32
        if target.isIPv6 {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = target.port.bigEndian
            guard inet_pton(AF_INET6, target.host, &address.sin6_addr) == 1 else {
                close(fd)
                throw Failure("bad IPv6 address \(target.host)")
            }
            result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        } else {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = target.port.bigEndian
            guard inet_pton(AF_INET, target.host, &address.sin_addr) == 1 else {
                close(fd)
                throw Failure("bad IPv4 address \(target.host)")
            }
            result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
        guard result == 0 else {
            let code = errno
            close(fd)
            throw Failure("connect to \(target.host):\(target.port) failed: errno \(code)")
        }
        return fd
    }

    /// Sends as much as the peer takes; a peer that answers early (nginx's 413) and resets is not an error here:
    /// the response is read afterwards.
    private static func sendAll(_ fd: Int32, _ bytes: [UInt8]) {
        var offset = 0
        bytes.withUnsafeBytes { buffer in
            guard let base = buffer.baseAddress else { return }
            while offset < buffer.count {
                let sent = send(fd, base + offset, buffer.count - offset, Int32(MSG_NOSIGNAL))
                if sent < 0 {
                    if errno == EINTR { continue }
                    return
                }
                offset += sent
            }
        }
    }

    private static func receiveAll(_ fd: Int32) throws -> [UInt8] {
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                data += buffer[0..<count]
            } else if count == 0 {
                break
            } else if errno == EINTR {
                continue
            } else if errno == ECONNRESET, !data.isEmpty {
                break
            } else {
                throw Failure("recv failed: errno \(errno) after \(data.count) bytes")
            }
        }
        return data
    }

    // MARK: Parsing

    static func parse(_ raw: [UInt8], method: String) throws -> Response {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let headEnd = firstIndex(of: separator, in: raw) else {
            throw Failure("no complete response head in \(raw.count) bytes: \(String(decoding: raw.prefix(200), as: UTF8.self))")
        }
        let headText = String(decoding: raw[0..<headEnd], as: UTF8.self)
        var lines = headText.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst()
        let statusParts = statusLine.split(separator: " ", maxSplits: 2)
        guard statusParts.count >= 2, statusParts[0].hasPrefix("HTTP/1."), let status = Int(statusParts[1]) else {
            throw Failure("bad status line: \(statusLine)")
        }
        var headers: [(String, String)] = []
        for line in lines where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { throw Failure("bad header line: \(line)") }
            let name = String(line[..<colon])
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            headers.append((name, value))
        }
        var body = Array(raw[(headEnd + 4)...])
        let chunked = headers.contains {
            $0.0.lowercased() == "transfer-encoding" && $0.1.lowercased().contains("chunked")
        }
        if method == "HEAD" || status == 204 || status == 304 {
            body = []
        } else if chunked {
            body = try dechunk(body)
        } else if let length = headers.first(where: { $0.0.lowercased() == "content-length" }).flatMap({ Int($0.1) }) {
            guard body.count >= length else { throw Failure("body shorter (\(body.count)) than Content-Length \(length)") }
            body = Array(body.prefix(length))
        }
        return Response(status: status, headers: headers, body: body)
    }

    private static func dechunk(_ data: [UInt8]) throws -> [UInt8] {
        var out: [UInt8] = []
        var index = 0
        while true {
            guard let lineEnd = firstIndex(of: [13, 10], in: data, from: index) else { throw Failure("bad chunk framing") }
            let sizeText = String(decoding: data[index..<lineEnd], as: UTF8.self)
                .split(separator: ";").first.map(String.init) ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else {
                throw Failure("bad chunk size '\(sizeText)'")
            }
            index = lineEnd + 2
            if size == 0 { return out }
            guard index + size <= data.count else { throw Failure("truncated chunk") }
            out += data[index..<(index + size)]
            index += size + 2
        }
    }

    private static func firstIndex(of needle: [UInt8], in haystack: [UInt8], from start: Int = 0) -> Int? {
        guard haystack.count >= needle.count, start <= haystack.count - needle.count else { return nil }
        for index in start...(haystack.count - needle.count) where haystack[index] == needle[0] {
            if Array(haystack[index..<(index + needle.count)]) == needle { return index }
        }
        return nil
    }
}
