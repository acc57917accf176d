import CCurl

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension ConnectAddress {
    /// Reads the address libcurl hands to CURLOPT_OPENSOCKETFUNCTION. Only AF_INET/AF_INET6 parse.
    init?(curlSockaddr pointer: UnsafePointer<curl_sockaddr>) {
        guard let offset = MemoryLayout<curl_sockaddr>.offset(of: \curl_sockaddr.addr) else { return nil }
        // `addr` is declared as a 16-byte `struct sockaddr`, but libcurl backs it with sockaddr storage
        // and `addrlen` says how much is valid (28 bytes for IPv6).
        let base = UnsafeRawPointer(pointer) + offset
        let length = Int(pointer.pointee.addrlen)
        switch pointer.pointee.family {
        case AF_INET:
            guard length >= MemoryLayout<sockaddr_in>.size else { return nil }
            let sin = base.loadUnaligned(as: sockaddr_in.self)
            let bytes = withUnsafeBytes(of: sin.sin_addr) { Array($0) }
            self.init(family: .ipv4, bytes: bytes, port: Int(UInt16(bigEndian: sin.sin_port)))
        case AF_INET6:
            guard length >= MemoryLayout<sockaddr_in6>.size else { return nil }
            let sin6 = base.loadUnaligned(as: sockaddr_in6.self)
            let bytes = withUnsafeBytes(of: sin6.sin6_addr) { Array($0) }
            self.init(family: .ipv6, bytes: bytes, port: Int(UInt16(bigEndian: sin6.sin6_port)))
        default:
            return nil
        }
    }
}
