import CCurl

/// A URL as libcurl reads it (`curl_url()`), the same parser that reads `CURLOPT_URL` when the URL is sent: a check
/// made on these parts and the transfer cannot disagree about the target.
public struct CurlURL: Sendable, Equatable {
    /// Lowercased by libcurl.
    public var scheme: String
    /// Empty when the scheme has none (`file:///x`). An IPv6 literal keeps its brackets and its case; IPv4 shorthand (`127.1`, `0x7f.1`, `2130706433`) comes back dotted-quad.
    public var host: String
    /// The port as written, when one was (libcurl drops leading zeros); nil for the scheme's default.
    public var port: Int?
    /// Whether the URL carries a user name or password, even an empty one (`https://@host`).
    public var hasCredentials: Bool
    /// An IPv6 zone (`%25eth0`), when present.
    public var zoneID: String?

    /// Why libcurl refused to parse a URL.
    public enum ParseError: Error, Sendable, Equatable {
        /// No scheme, or a scheme libcurl does not support.
        case scheme
        case noHost
        case port
        case ipv6
        case hostName
        /// Anything else libcurl's URL parser refused, with its `CURLUcode`.
        case malformed(code: Int)
    }

    /// Parses an absolute URL the way `CURLOPT_URL` does: no scheme is guessed.
    public static func parse(_ text: String) -> Result<CurlURL, ParseError> {
        CurlRuntime.initialize()
        guard let handle = curl_url() else { return .failure(.malformed(code: Int(CURLUE_OUT_OF_MEMORY.rawValue))) }
        defer { curl_url_cleanup(handle) }
        let code = curl_url_set(handle, CURLUPART_URL, text, 0)
        guard code == CURLUE_OK else { return .failure(ParseError(code)) }
        func part(_ which: CURLUPart) -> String? {
            var value: UnsafeMutablePointer<CChar>? = nil
            guard curl_url_get(handle, which, &value, 0) == CURLUE_OK, let value else { return nil }
            // curl_url_get hands out a copy the caller frees.
            defer { curl_free(value) }
            return String(cString: value)
        }
        guard let scheme = part(CURLUPART_SCHEME) else { return .failure(.scheme) }
        return .success(
            CurlURL(
                // `file:///x` parses with no host; http(s) never does.
                scheme: scheme, host: part(CURLUPART_HOST) ?? "", port: part(CURLUPART_PORT).flatMap { Int($0) },
                hasCredentials: part(CURLUPART_USER) != nil || part(CURLUPART_PASSWORD) != nil,
                zoneID: part(CURLUPART_ZONEID)))
    }
}

extension CurlURL.ParseError {
    init(_ code: CURLUcode) {
        switch code {
        case CURLUE_BAD_SCHEME, CURLUE_UNSUPPORTED_SCHEME: self = .scheme
        case CURLUE_NO_HOST: self = .noHost
        case CURLUE_BAD_PORT_NUMBER: self = .port
        case CURLUE_BAD_IPV6: self = .ipv6
        case CURLUE_BAD_HOSTNAME: self = .hostName
        default: self = .malformed(code: Int(code.rawValue))
        }
    }
}
