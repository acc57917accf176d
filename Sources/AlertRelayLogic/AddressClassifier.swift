/// What kind of address an IP address is, after the IANA IPv4 and IPv6 special-purpose address registries.
///
/// Only `.global` may be a webhook target by default (BEHAVIOUR B6). IPv6 forms that embed an IPv4 address
/// (IPv4-mapped `::ffff:0:0/96`, IPv4-compatible `::/96`, SIIT `::ffff:0:0:0/96`, NAT64 `64:ff9b::/96`,
/// 6to4 `2002::/16`) are classified by the embedded IPv4 address.
public enum AddressClass: String, Sendable, Equatable, CaseIterable {
    case global
    /// `0.0.0.0/8`, `::/128`
    case unspecified
    /// `127.0.0.0/8`, `::1/128`
    case loopback
    /// `10/8`, `172.16/12`, `192.168/16`
    case privateUse
    /// `100.64.0.0/10`
    case sharedCGNAT
    /// `169.254/16`, `fe80::/10`
    case linkLocal
    /// `224/4`, `ff00::/8`
    case multicast
    /// `255.255.255.255`
    case broadcast
    /// `192.0.2/24`, `198.51.100/24`, `203.0.113/24`, `2001:db8::/32`, `3fff::/20`
    case documentation
    /// `198.18/15`, `2001:2::/48`
    case benchmarking
    /// `240/4`, `192.0.0/24`, `192.88.99/24`, `2001::/23`, `64:ff9b:1::/48`, anything outside `2000::/3`
    /// not named elsewhere, and malformed input.
    case reserved
    /// `fc00::/7`
    case uniqueLocal
    /// `fec0::/10` (deprecated site-local)
    case siteLocal
    /// `100::/64`
    case discardOnly
}

/// Classifies and parses IP addresses (pure: no name resolution, no sockets).
public enum AddressClassifier {
    /// The class of a 4-byte IPv4 or 16-byte IPv6 address; any other length is `.reserved`.
    public static func classify(_ bytes: [UInt8]) -> AddressClass {
        switch bytes.count {
        case 4: return classifyV4(bytes[0], bytes[1], bytes[2], bytes[3])
        case 16: return classifyV6(bytes)
        default: return .reserved
        }
    }

    static func classifyV4(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) -> AddressClass {
        switch (a, b, c) {
        case (0, _, _): return .unspecified
        case (10, _, _): return .privateUse
        case (100, 64...127, _): return .sharedCGNAT
        case (127, _, _): return .loopback
        case (169, 254, _): return .linkLocal
        case (172, 16...31, _): return .privateUse
        case (192, 0, 0): return .reserved
        case (192, 0, 2): return .documentation
        case (192, 88, 99): return .reserved
        case (192, 168, _): return .privateUse
        case (198, 18...19, _): return .benchmarking
        case (198, 51, 100): return .documentation
        case (203, 0, 113): return .documentation
        case (224...239, _, _): return .multicast
        case (255, 255, 255) where d == 255: return .broadcast
        case (240...255, _, _): return .reserved
        default: return .global
        }
    }

    static func classifyV6(_ b: [UInt8]) -> AddressClass {
        func zero(_ range: Range<Int>) -> Bool { range.allSatisfy { b[$0] == 0 } }
        func v4(at i: Int) -> AddressClass { classifyV4(b[i], b[i + 1], b[i + 2], b[i + 3]) }

        if zero(0..<16) { return .unspecified }
        if zero(0..<15) && b[15] == 1 { return .loopback }
        // ::ffff:a.b.c.d (mapped) and ::a.b.c.d (compatible, deprecated) reach the IPv4 address.
        if zero(0..<10) && b[10] == 0xFF && b[11] == 0xFF { return v4(at: 12) }
        if zero(0..<12) { return v4(at: 12) }
        // ::ffff:0:a.b.c.d (SIIT, RFC 2765)
        if zero(0..<8) && b[8] == 0xFF && b[9] == 0xFF && b[10] == 0 && b[11] == 0 { return v4(at: 12) }
        // 64:ff9b::/96 well-known NAT64 prefix.
        if b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xFF && b[3] == 0x9B && zero(4..<12) { return v4(at: 12) }
        // 64:ff9b:1::/48 local-use NAT64.
        if b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xFF && b[3] == 0x9B && b[4] == 0 && b[5] == 1 { return .reserved }
        // 100::/64 discard-only.
        if b[0] == 0x01 && b[1] == 0x00 && zero(2..<8) { return .discardOnly }
        if b[0] == 0xFF { return .multicast }
        if b[0] == 0xFE && b[1] & 0xC0 == 0x80 { return .linkLocal }
        if b[0] == 0xFE && b[1] & 0xC0 == 0xC0 { return .siteLocal }
        if b[0] & 0xFE == 0xFC { return .uniqueLocal }
        // Only 2000::/3 is allocated global unicast; everything else is reserved by IANA.
        guard b[0] & 0xE0 == 0x20 else { return .reserved }
        if b[0] == 0x20 && b[1] == 0x01 {
            if b[2] == 0x0D && b[3] == 0xB8 { return .documentation }
            if b[2] == 0x00 && b[3] == 0x02 && b[4] == 0 && b[5] == 0 { return .benchmarking }
            // 2001::/23 IETF protocol assignments (Teredo, ORCHID, AMT, ...).
            if b[2] < 0x02 { return .reserved }
        }
        // 6to4: the embedded IPv4 address is where the packet is relayed.
        if b[0] == 0x20 && b[1] == 0x02 { return v4(at: 2) }
        // 3fff::/20 documentation (RFC 9637).
        if b[0] == 0x3F && b[1] == 0xFF && b[2] & 0xF0 == 0 { return .documentation }
        return .global
    }

    /// Parses a textual IPv4 (`10.0.0.1`) or IPv6 (`::1`, `::ffff:127.0.0.1`, `[::1]`) address into
    /// 4 or 16 bytes. Strict: decimal dotted quads without leading zeros, no zone ids.
    public static func parse(_ text: String) -> [UInt8]? {
        var s = Substring(text)
        if s.first == "[" {
            guard s.last == "]", s.count >= 2 else { return nil }
            s = s.dropFirst().dropLast()
            return parseV6(s)
        }
        if s.contains(":") { return parseV6(s) }
        return parseV4(s)
    }

    static func parseV4(_ s: Substring) -> [UInt8]? {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var out: [UInt8] = []
        for p in parts {
            guard !p.isEmpty, p.count <= 3, p.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
            if p.count > 1 && p.first == "0" { return nil }
            guard let v = Int(p), v <= 255 else { return nil }
            out.append(UInt8(v))
        }
        return out
    }

    static func parseV6(_ s: Substring) -> [UInt8]? {
        guard !s.isEmpty, s.utf8.count <= 45 else { return nil }
        var head: [UInt16] = []
        var tail: [UInt16] = []
        var sawGap = false
        var trailingV4: [UInt8]? = nil
        if let gap = s.firstRange(of: "::") {
            sawGap = true
            let left = s[..<gap.lowerBound]
            let right = s[gap.upperBound...]
            if right.firstRange(of: "::") != nil { return nil }
            // A dotted quad may only end the address, so never on the left of "::".
            guard let l = groups(left, allowV4: false), let r = groups(right, allowV4: true) else { return nil }
            head = l.groups
            tail = r.groups
            trailingV4 = r.v4
        } else {
            guard let all = groups(s, allowV4: true) else { return nil }
            head = all.groups
            trailingV4 = all.v4
        }
        let v4Groups = trailingV4 == nil ? 0 : 2
        let used = head.count + tail.count + v4Groups
        if sawGap {
            guard used <= 7 else { return nil }
        } else {
            guard used == 8 else { return nil }
        }
        var words = head
        if sawGap { words += Array(repeating: 0, count: 8 - used) }
        words += tail
        var out: [UInt8] = []
        for w in words {
            out.append(UInt8(w >> 8))
            out.append(UInt8(w & 0xFF))
        }
        if let trailingV4 { out += trailingV4 }
        return out.count == 16 ? out : nil
    }

    /// Splits colon-separated hex groups; the last one may be a dotted quad when `allowV4`.
    private static func groups(_ s: Substring, allowV4: Bool) -> (groups: [UInt16], v4: [UInt8]?)? {
        if s.isEmpty { return ([], nil) }
        let parts = s.split(separator: ":", omittingEmptySubsequences: false)
        var result: [UInt16] = []
        var v4: [UInt8]? = nil
        for (i, p) in parts.enumerated() {
            if i == parts.count - 1 && allowV4 && p.contains(".") {
                guard let quad = parseV4(p) else { return nil }
                v4 = quad
                continue
            }
            guard !p.isEmpty, p.count <= 4, let v = UInt16(p, radix: 16), p.utf8.allSatisfy(isHex) else { return nil }
            result.append(v)
        }
        return (result, v4)
    }

    private static func isHex(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46)
    }

    /// Text form: dotted quad, or RFC 5952 IPv6 (lowercase, longest zero run compressed,
    /// `::ffff:a.b.c.d` for IPv4-mapped).
    public static func format(_ bytes: [UInt8]) -> String {
        if bytes.count == 4 { return bytes.map { String($0) }.joined(separator: ".") }
        guard bytes.count == 16 else { return "invalid" }
        if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF {
            return "::ffff:" + bytes[12..<16].map { String($0) }.joined(separator: ".")
        }
        let words = (0..<8).map { UInt16(bytes[2 * $0]) << 8 | UInt16(bytes[2 * $0 + 1]) }
        var bestStart = -1
        var bestLength = 0
        var i = 0
        while i < 8 {
            if words[i] == 0 {
                var j = i
                while j < 8 && words[j] == 0 { j += 1 }
                if j - i > bestLength && j - i >= 2 {
                    bestStart = i
                    bestLength = j - i
                }
                i = j
            } else {
                i += 1
            }
        }
        func hex(_ range: Range<Int>) -> String { range.map { String(words[$0], radix: 16) }.joined(separator: ":") }
        if bestStart < 0 { return hex(0..<8) }
        return hex(0..<bestStart) + "::" + hex((bestStart + bestLength)..<8)
    }
}

/// Why a CIDR block or allowlist was refused; names the offending text.
public struct CIDRError: Error, Sendable, Equatable, CustomStringConvertible {
    public let text: String
    public let reason: String

    public var description: String { "invalid CIDR '\(text)': \(reason)" }
}

/// An IPv4 or IPv6 network such as `10.0.0.0/8` or `::1/128`.
public struct CIDR: Sendable, Equatable, CustomStringConvertible {
    /// Network address, 4 or 16 bytes.
    public let address: [UInt8]
    public let prefixLength: Int

    /// Parses `address/length`; a bare address means a single host. Host bits must be zero.
    /// An IPv4-mapped IPv6 network (`::ffff:10.0.0.0/104`) is stored as its IPv4 network.
    public static func parse(_ text: String) throws(CIDRError) -> CIDR {
        let trimmed = text.trimmingASCIIWhitespace()
        let parts = trimmed.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let addressText = parts.first, var bytes = AddressClassifier.parse(String(addressText)) else {
            throw CIDRError(text: text, reason: "not an IP address")
        }
        var length = bytes.count * 8
        if parts.count == 2 {
            let lengthText = parts[1]
            guard !lengthText.isEmpty, lengthText.count <= 3, lengthText.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                let n = Int(lengthText), n <= bytes.count * 8
            else { throw CIDRError(text: text, reason: "prefix length must be 0–\(bytes.count * 8)") }
            length = n
        }
        for bit in length..<(bytes.count * 8) where bytes[bit / 8] & (0x80 >> UInt8(bit % 8)) != 0 {
            throw CIDRError(text: text, reason: "host bits are set (did you mean \(CIDR.masked(bytes, length))?)")
        }
        if bytes.count == 16, length >= 96, CIDR.isV4Mapped(bytes) {
            bytes = Array(bytes[12..<16])
            length -= 96
        }
        return CIDR(address: bytes, prefixLength: length)
    }

    private init(address: [UInt8], prefixLength: Int) {
        self.address = address
        self.prefixLength = prefixLength
    }

    /// Whether `bytes` lies in this network; an IPv4 network also matches the IPv4-mapped IPv6 form.
    public func contains(_ bytes: [UInt8]) -> Bool {
        var candidate = bytes
        if address.count == 4, candidate.count == 16, CIDR.isV4Mapped(candidate) {
            candidate = Array(candidate[12..<16])
        }
        guard candidate.count == address.count else { return false }
        var remaining = prefixLength
        var i = 0
        while remaining > 0 {
            let mask: UInt8 = remaining >= 8 ? 0xFF : ~(0xFF >> UInt8(remaining))
            if candidate[i] & mask != address[i] { return false }
            remaining -= 8
            i += 1
        }
        return true
    }

    public var description: String { "\(AddressClassifier.format(address))/\(prefixLength)" }

    static func isV4Mapped(_ b: [UInt8]) -> Bool {
        b.count == 16 && b[0..<10].allSatisfy { $0 == 0 } && b[10] == 0xFF && b[11] == 0xFF
    }

    static func masked(_ bytes: [UInt8], _ length: Int) -> String {
        var b = bytes
        for bit in length..<(b.count * 8) { b[bit / 8] &= ~(0x80 >> UInt8(bit % 8)) }
        return "\(AddressClassifier.format(b))/\(length)"
    }
}

/// Which connected addresses a webhook may reach: global ones (unless `allowsGlobal` is off), plus explicitly
/// allowlisted networks.
public struct TargetPolicy: Sendable {
    public let allowlist: [CIDR]
    /// False confines webhooks to the allowlist (`ALERT_RELAY_ALLOW_GLOBAL_TARGETS=false`, the test stack's setting):
    /// then no global address is connected to, and no host name is even looked up, since the lookup itself is
    /// traffic to the resolver.
    public let allowsGlobal: Bool

    public init(allowlist: [CIDR], allowsGlobal: Bool = true) {
        self.allowlist = allowlist
        self.allowsGlobal = allowsGlobal
    }

    /// Parses a comma-separated list of CIDRs (`ALERT_RELAY_ALLOW_TARGETS`); empty items are skipped.
    public static func parseAllowlist(_ text: String) throws(CIDRError) -> [CIDR] {
        var result: [CIDR] = []
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let trimmed = String(item).trimmingASCIIWhitespace()
            if trimmed.isEmpty { continue }
            result.append(try CIDR.parse(trimmed))
        }
        return result
    }

    /// Allowed iff the address is in an allowlisted network or is globally routable (and global targets are allowed).
    public func allows(_ bytes: [UInt8]) -> Bool {
        allowlist.contains { $0.contains(bytes) } || (allowsGlobal && AddressClassifier.classify(bytes) == .global)
    }

    /// Whether a webhook URL's host (as the URL parser gives it; an IPv6 literal in brackets) may be handed to the
    /// resolver and connected to at all: always when global targets are allowed (the connected address is checked
    /// by ``allows(_:)``); otherwise only an IP literal inside the allowlist, so that no name is looked up.
    public func permitsHost(_ host: String) -> Bool {
        if allowsGlobal { return true }
        guard let bytes = AddressClassifier.parse(host) else { return false }
        return allows(bytes)
    }
}

extension String {
    func trimmingASCIIWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}
