/// Why an attempt got no HTTP response.
public enum AttemptFailure: Sendable, Equatable {
    case timeout, connection, dns, tls
    /// The SSRF guard refused the target address (BEHAVIOUR B6).
    case blocked
    /// The stored URL could not be used at all.
    case invalidURL
}

/// The health-buffer counter an attempt increments (BEHAVIOUR A5).
public enum HealthCounter: String, Sendable {
    case success, error, timeout, fatal
}

/// How one webhook attempt ended and what follows from it (BEHAVIOUR A3 with B3, B4, B7).
public struct Outcome: Sendable, Equatable {
    public enum Kind: String, Sendable, Equatable, CaseIterable {
        case success, redirect
        case rateLimited = "rate_limited"
        case clientError = "client_error"
        case gone
        case serverError = "server_error"
        case timeout, connection, dns, tls, blocked
        case invalidURL = "invalid_url"
    }

    public var kind: Kind
    /// The HTTP status, or 0 when there was no HTTP response.
    public var responseCode: Int
    /// `nil` for success; `"http"` for any non-2xx status; else `"timeout"`, `"connect"`, `"dns"`, `"tls"`,
    /// `"blocked"` or `"invalid_url"`.
    public var errorClass: String?
    /// Belongs in the errors-only request log view (response code 400–599 or 0).
    public var isError: Bool
    /// The health counter to increment, if any: 5xx counts as `error` (B3), 410 as `fatal`, 429 and 3xx as nothing.
    public var counter: HealthCounter?
    /// Worth another attempt: timeouts, connection/DNS/TLS failures, 429 and 5xx (B4).
    public var isRetryable: Bool

    /// Run the broken check after this attempt (only after an error, timeout or fatal, never after a success).
    public var triggersBrokenCheck: Bool {
        switch counter {
        case .error, .timeout, .fatal: return true
        case .success, nil: return false
        }
    }

    public init(kind: Kind, responseCode: Int, errorClass: String?, isError: Bool, counter: HealthCounter?, isRetryable: Bool) {
        self.kind = kind
        self.responseCode = responseCode
        self.errorClass = errorClass
        self.isError = isError
        self.counter = counter
        self.isRetryable = isRetryable
    }

    /// Classifies an attempt from its final HTTP status and/or transport failure.
    ///
    /// A failure wins over a status (a body that times out after the headers is a timeout); no status and
    /// no failure counts as a connection failure. A status outside 200–599 (which a conforming server
    /// never sends as a final status) is treated as a server error.
    public static func classify(status: Int?, failure: AttemptFailure?) -> Outcome {
        if let failure {
            switch failure {
            case .timeout: return transport(.timeout, "timeout", retryable: true)
            case .connection: return transport(.connection, "connect", retryable: true)
            case .dns: return transport(.dns, "dns", retryable: true)
            // A TLS failure is a connection-level failure: a receiver fixing its certificate recovers.
            case .tls: return transport(.tls, "tls", retryable: true)
            case .blocked:
                return Outcome(kind: .blocked, responseCode: 0, errorClass: "blocked", isError: true, counter: nil, isRetryable: false)
            case .invalidURL:
                return Outcome(kind: .invalidURL, responseCode: 0, errorClass: "invalid_url", isError: true, counter: nil, isRetryable: false)
            }
        }
        guard let status else { return transport(.connection, "connect", retryable: true) }
        switch status {
        case 200...299:
            return Outcome(kind: .success, responseCode: status, errorClass: nil, isError: false, counter: .success, isRetryable: false)
        case 300...399:
            return Outcome(kind: .redirect, responseCode: status, errorClass: "http", isError: false, counter: nil, isRetryable: false)
        case 429:
            return Outcome(kind: .rateLimited, responseCode: status, errorClass: "http", isError: true, counter: nil, isRetryable: true)
        case 410:
            return Outcome(kind: .gone, responseCode: status, errorClass: "http", isError: true, counter: .fatal, isRetryable: false)
        case 400...499:
            return Outcome(kind: .clientError, responseCode: status, errorClass: "http", isError: true, counter: .error, isRetryable: false)
        default:
            return Outcome(kind: .serverError, responseCode: status, errorClass: "http", isError: true, counter: .error, isRetryable: true)
        }
    }

    private static func transport(_ kind: Kind, _ errorClass: String, retryable: Bool) -> Outcome {
        Outcome(kind: kind, responseCode: 0, errorClass: errorClass, isError: true, counter: .timeout, isRetryable: retryable)
    }
}
