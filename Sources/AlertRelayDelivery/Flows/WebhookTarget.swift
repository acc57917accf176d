import AlertRelayLogic
import AlertRelayStore
import CurlClient

/// A webhook URL read by libcurl's own URL parser and held to ``WebhookURLRules``: the check at registration, the
/// pre-send host check and the transfer all read the URL the same way.
public enum WebhookTarget {
    /// `nil` when `url` is acceptable as an app's webhook URL, else a sentence saying what is wrong.
    public static func problem(with url: String) -> String? {
        if let problem = WebhookURLRules.checkText(url) { return problem }
        switch CurlURL.parse(url) {
        case .success(let parsed): return WebhookURLRules.check(URLParts(parsed), text: url)
        case .failure(let error): return WebhookURLRules.message(for: URLParseProblem(error))
        }
    }

    /// The host libcurl will connect to, or nil when it cannot parse the URL.
    public static func host(of url: String) -> String? {
        if case .success(let parsed) = CurlURL.parse(url) { return parsed.host }
        return nil
    }
}

extension URLParts {
    init(_ url: CurlURL) {
        self.init(scheme: url.scheme, host: url.host, port: url.port, hasCredentials: url.hasCredentials, zoneID: url.zoneID)
    }
}

extension URLParseProblem {
    init(_ error: CurlURL.ParseError) {
        switch error {
        case .scheme: self = .scheme
        case .noHost: self = .noHost
        case .port: self = .port
        case .ipv6: self = .ipv6
        case .hostName: self = .hostName
        case .malformed: self = .malformed
        }
    }
}
