/// What a URL parser found in a webhook URL. Production fills it from libcurl's `curl_url()` (CurlClient's
/// `CurlURL`), the parser that also reads the URL when it is sent, so that the rules and the transfer agree.
public struct URLParts: Sendable, Equatable {
    public var scheme: String
    /// An IPv6 literal keeps its brackets.
    public var host: String
    public var port: Int?
    public var hasCredentials: Bool
    public var zoneID: String?

    public init(scheme: String, host: String, port: Int? = nil, hasCredentials: Bool = false, zoneID: String? = nil) {
        self.scheme = scheme
        self.host = host
        self.port = port
        self.hasCredentials = hasCredentials
        self.zoneID = zoneID
    }
}

/// Why a URL parser refused a URL, in the terms the rules explain to a client.
public enum URLParseProblem: Sendable, Equatable {
    case scheme, noHost, port, ipv6, hostName, malformed
}

/// The rules a webhook URL must meet (BEHAVIOUR B6); where it resolves to is checked at connect time.
public enum WebhookURLRules {
    public static let maxLength = 2048

    /// The rules on the text, checked before parsing: not empty, at most 2048 characters, no whitespace or control
    /// characters, an explicit `scheme://`. `nil` when met, else a sentence saying what is wrong.
    public static func checkText(_ s: String) -> String? {
        if s.isEmpty { return "The webhook URL must not be empty." }
        if s.unicodeScalars.count > maxLength { return "The webhook URL must be at most \(maxLength) characters long." }
        if s.unicodeScalars.contains(where: {
            $0.value <= 0x20 || $0.value == 0x7F || $0.properties.isWhitespace || (0x80...0x9F).contains($0.value)
        }) {
            return "The webhook URL must not contain whitespace or control characters."
        }
        guard s.utf8.firstRange(of: "://".utf8) != nil else { return "The webhook URL must be an absolute http or https URL." }
        return nil
    }

    /// The rules on the parts a parser found in `text`: http or https, no credentials (`user:pass@`), a host of
    /// DNS labels or an IP literal without a zone, a port 1–65535 when given.
    public static func check(_ parts: URLParts, text: String) -> String? {
        guard parts.scheme == "http" || parts.scheme == "https" else { return "The webhook URL must use http or https." }
        if parts.hasCredentials { return "The webhook URL must not contain credentials (user:password@)." }
        // libcurl reads `http:///path` as host `path` and `http://host:/` as the default port; both are more likely
        // mistakes than intent, and openapi.yaml's pattern refuses them too.
        if let afterScheme = text.utf8.firstRange(of: "://".utf8)?.upperBound {
            let authority = text.utf8[afterScheme...].prefix {
                $0 != UInt8(ascii: "/") && $0 != UInt8(ascii: "?") && $0 != UInt8(ascii: "#")
            }
            if authority.isEmpty { return message(for: .noHost) }
            if authority.last == UInt8(ascii: ":") { return portMessage }
        }
        if parts.host.isEmpty { return message(for: .noHost) }
        if parts.host.hasPrefix("[") {
            if parts.zoneID != nil || AddressClassifier.parse(parts.host) == nil { return message(for: .ipv6) }
        } else if !isValidHostName(Substring(parts.host)) {
            return message(for: .hostName)
        }
        if let port = parts.port, !(1...65535).contains(port) { return portMessage }
        return nil
    }

    /// The sentence for a URL the parser refused.
    public static func message(for problem: URLParseProblem) -> String {
        switch problem {
        case .scheme: "The webhook URL must use http or https."
        case .noHost: "The webhook URL must include a host."
        case .port: portMessage
        case .ipv6: "The webhook URL has an invalid IPv6 address."
        case .hostName:
            "The webhook URL has an invalid host (use letters, digits, '-' and '.'; internationalized names in their xn-- form)."
        case .malformed: "The webhook URL is not a valid URL."
        }
    }

    static let portMessage = "The webhook URL's port must be a number from 1 to 65535."

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
