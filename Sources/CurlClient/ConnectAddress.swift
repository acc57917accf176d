#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A numeric IP address and TCP port that libcurl is about to connect to (or did connect to).
public struct ConnectAddress: Sendable, Hashable, CustomStringConvertible {
    /// The address family of `bytes`.
    public enum Family: Sendable, Hashable { case ipv4, ipv6 }

    public let family: Family
    /// Network byte order: 4 bytes for IPv4, 16 for IPv6.
    public let bytes: [UInt8]
    public let port: Int

    /// Returns nil unless `bytes` has 4 (IPv4) or 16 (IPv6) elements and `port` is 0...65535.
    public init?(family: Family, bytes: [UInt8], port: Int) {
        guard bytes.count == (family == .ipv4 ? 4 : 16), (0...65535).contains(port) else { return nil }
        self.family = family
        self.bytes = bytes
        self.port = port
    }

    /// Parses a numeric IPv4 (`127.0.0.1`) or IPv6 (`::1`, without brackets) address; no name lookup.
    public init?(ip: String, port: Int) {
        var v4 = in_addr()
        var v6 = in6_addr()
        if inet_pton(AF_INET, ip, &v4) == 1 {
            self.init(family: .ipv4, bytes: withUnsafeBytes(of: &v4) { Array($0) }, port: port)
        } else if inet_pton(AF_INET6, ip, &v6) == 1 {
            self.init(family: .ipv6, bytes: withUnsafeBytes(of: &v6) { Array($0) }, port: port)
        } else {
            return nil
        }
    }

    /// The address alone in its usual text form (`127.0.0.1`, `::1`, `::ffff:127.0.0.1`).
    public var ipString: String {
        let af = family == .ipv4 ? AF_INET : AF_INET6
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        let ok = bytes.withUnsafeBytes { raw in
            buffer.withUnsafeMutableBufferPointer { out in
                inet_ntop(af, raw.baseAddress, out.baseAddress, socklen_t(out.count)) != nil
            }
        }
        guard ok else { return bytes.map(String.init).joined(separator: ".") }
        let end = buffer.firstIndex(of: 0) ?? buffer.endIndex
        return String(decoding: buffer[..<end].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// `127.0.0.1:80` or `[::1]:80`.
    public var description: String {
        family == .ipv4 ? "\(ipString):\(port)" : "[\(ipString)]:\(port)"
    }

    /// For an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) the IPv4 address it designates, else nil.
    /// Address policies should check this too: connecting to it reaches the IPv4 host.
    public var mappedIPv4: ConnectAddress? {
        guard family == .ipv6, bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xff, bytes[11] == 0xff else {
            return nil
        }
        return ConnectAddress(family: .ipv4, bytes: Array(bytes[12..<16]), port: port)
    }
}
