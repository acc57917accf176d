/// Checks a webhook URL's shape (BEHAVIOUR B6); where it resolves to is checked at connect time.
public enum WebhookURLValidator {
    public static let maxLength = 2048

    /// `nil` when the URL is acceptable, else a sentence saying what is wrong: http or https only, a host,
    /// no credentials (`user:pass@`), an optional port 1–65535, no whitespace or control characters,
    /// at most 2048 characters.
    public static func validate(_ s: String) -> String? {
        if s.isEmpty { return "The webhook URL must not be empty." }
        if s.unicodeScalars.count > maxLength { return "The webhook URL must be at most \(maxLength) characters long." }
        if s.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7F || $0.properties.isWhitespace || (0x80...0x9F).contains($0.value) }) {
            return "The webhook URL must not contain whitespace or control characters."
        }
        // The structure is ASCII, so it is found in the bytes: a combining mark after `/` must not join it to the host.
        let bytes = Array(s.utf8)
        guard let schemeEnd = Self.firstIndex(of: Array("://".utf8), in: bytes) else {
            return "The webhook URL must be an absolute http or https URL."
        }
        let scheme = String(decoding: bytes[..<schemeEnd], as: UTF8.self).lowercased()
        guard scheme == "http" || scheme == "https" else { return "The webhook URL must use http or https." }
        let rest = bytes[(schemeEnd + 3)...]
        let authorityBytes = rest.prefix { $0 != UInt8(ascii: "/") && $0 != UInt8(ascii: "?") && $0 != UInt8(ascii: "#") }
        let authority = Substring(String(decoding: authorityBytes, as: UTF8.self))
        if authority.contains("@") { return "The webhook URL must not contain credentials (user:password@)." }
        if authority.contains("\\") { return "The webhook URL has an invalid host." }

        var host = Substring(authority)
        var port: Substring? = nil
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return "The webhook URL has an invalid IPv6 address." }
            host = authority[...close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { return "The webhook URL has an invalid host." }
                port = after.dropFirst()
            }
            guard AddressClassifier.parse(String(host)) != nil else { return "The webhook URL has an invalid IPv6 address." }
        } else {
            if let colon = authority.firstIndex(of: ":") {
                host = authority[..<colon]
                port = authority[authority.index(after: colon)...]
            }
            if host.isEmpty { return "The webhook URL must include a host." }
            guard isValidHostName(host) else {
                return "The webhook URL has an invalid host (use letters, digits, '-' and '.'; internationalized names in their xn-- form)."
            }
        }
        if let port {
            guard !port.isEmpty, port.count <= 5, port.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                let n = Int(port), (1...65535).contains(n)
            else { return "The webhook URL's port must be a number from 1 to 65535." }
        }
        return nil
    }

    static func firstIndex(of needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for index in 0...(haystack.count - needle.count) where Array(haystack[index..<(index + needle.count)]) == needle {
            return index
        }
        return nil
    }

    /// The host of an absolute URL as written (an IPv6 literal with its brackets), or nil when there is none.
    public static func host(of url: String) -> String? {
        guard let schemeEnd = url.firstRange(of: "://") else { return nil }
        let authority = url[schemeEnd.upperBound...].prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        let hostAndPort = authority.split(separator: "@", omittingEmptySubsequences: false).last ?? authority
        if hostAndPort.hasPrefix("[") {
            guard let close = hostAndPort.firstIndex(of: "]") else { return nil }
            return String(hostAndPort[...close])
        }
        let host = hostAndPort.prefix { $0 != ":" }
        return host.isEmpty ? nil : String(host)
    }

    static func isValidHostName(_ host: Substring) -> Bool {
        // Labels of at most 63 characters, but no limit on the whole name: a name too long for DNS fails to
        // resolve (`dns`), and a limit JSON Schema's pattern for webhook_url in openapi.yaml cannot state stays out.
        let h = host.hasSuffix(".") ? host.dropLast() : host
        let labels = h.split(separator: ".", omittingEmptySubsequences: false)
        for label in labels {
            guard !label.isEmpty, label.utf8.count <= 63, label.first != "-", label.last != "-" else { return false }
            let ok = label.utf8.allSatisfy { c in
                (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A) || (c >= 0x30 && c <= 0x39) || c == 0x2D || c == 0x5F
            }
            if !ok { return false }
        }
        return true
    }
}

/// App slugs: lowercase ASCII letters, digits and `-`, derived from names.
public enum Slug {
    public static let maxLength = 64

    /// Lowercase ASCII; each run of other characters becomes one `-`; no leading or trailing `-`;
    /// at most 64 characters; `"app"` when nothing is left. Non-ASCII letters count as separators.
    public static func make(from name: String) -> String {
        var out: [UInt8] = []
        var pendingDash = false
        for c in name.utf8 {
            let lower = (c >= 0x41 && c <= 0x5A) ? c + 0x20 : c
            let isAlnum = (lower >= 0x61 && lower <= 0x7A) || (lower >= 0x30 && lower <= 0x39)
            if isAlnum {
                if pendingDash && !out.isEmpty { out.append(0x2D) }
                pendingDash = false
                out.append(lower)
            } else {
                pendingDash = true
            }
        }
        if out.count > maxLength { out = Array(out.prefix(maxLength)) }
        while out.last == 0x2D { out.removeLast() }
        return out.isEmpty ? "app" : String(decoding: out, as: UTF8.self)
    }

    /// `^[a-z0-9][a-z0-9-]{0,63}$`
    public static func isValid(_ s: String) -> Bool {
        let u = Array(s.utf8)
        guard (1...maxLength).contains(u.count) else { return false }
        func alnum(_ c: UInt8) -> Bool { (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) }
        return alnum(u[0]) && u.dropFirst().allSatisfy { alnum($0) || $0 == 0x2D }
    }
}
