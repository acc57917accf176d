import AlertRelayLogic
import AlertRelayStore
import CurlClient

/// Everything the responder and the worker read from the environment, parsed once in `main`.
public struct Config: Sendable {
    public enum MailTransport: String, Sendable, CaseIterable { case smtp, file, log }
    /// Which apps the broken rule may disable: only `internal` ones (the reference) or all of them.
    public enum AutoDisableScope: String, Sendable, CaseIterable { case `internal`, all }

    public var databaseURL: String
    public var adminToken: String?
    /// The key that signs the sign-in links of owner e-mails (``SignInLink``); nil: e-mails carry plain links and
    /// owners sign in with an API token on the page's form.
    public var linkKey: String?
    public var urlPrefix: String
    public var targetPolicy: TargetPolicy
    public var brokenTimeoutThreshold: Int
    public var autoDisable: AutoDisableScope
    public var retrySchedule: RetrySchedule
    public var maxBodyBytes: Int
    public var secretGracePeriodSeconds: Int
    public var modelCacheTTLSeconds: Int
    public var tokenCacheTTLSeconds: Int
    /// Where the worker writes its Prometheus metrics (textfile-collector style), if anywhere.
    public var workerMetricsFile: String?
    public var requestLogBodyCap: Int
    public var maxResponseBodyBytes: Int
    public var mailTransport: MailTransport
    public var mailDirectory: String
    public var smtpURL: String
    public var smtpTLS: SMTPSettings.TLSMode
    public var smtpUsername: String?
    public var smtpPassword: String?
    public var mailFrom: String
    public var requestLogRetentionDays: Int
    public var jobRetentionDays: Int
    /// Worker sender threads when `--concurrency` is not given.
    public var workerConcurrency: Int
    /// How long a claimed job belongs to its worker (renewed while it holds the job); after it, others may take it.
    public var jobLeaseSeconds: Int
    /// Slowest wake-up of an idle worker when no notification arrives (it also wakes when a delayed job falls due).
    public var jobPollSeconds: Int
    /// First retry delay of a failed job; doubled per attempt up to `jobBackoffMaxSeconds`, ±20% jitter.
    public var jobBackoffBaseSeconds: Int
    public var jobBackoffMaxSeconds: Int
    /// Attempts of an e-mail job before it is `dead` (fixed in the job row when it is written).
    public var emailMaxAttempts: Int
    /// Connect and total timeout of one SMTP submission.
    public var smtpTimeoutSeconds: Int
    /// Period of the retention sweep (one worker at a time).
    public var maintenanceIntervalSeconds: Int
    /// Inline attempts one responder process makes at once; beyond it alerts are queued. nil: half its threads.
    public var inlineMax: Int?
    /// Inline attempts to one app one responder process makes at once; beyond it alerts to that app are queued.
    public var inlinePerApp: Int
    /// Whether the delivery an inline attempt records first is committed without waiting for the disk (its
    /// attempt's record, which the caller waits for, is always durable; see `DeliveryStore.Start.inline`).
    public var inlineAsyncCommit: Bool
    /// A dispatcher's attempts in flight to one app.
    public var dispatchPerApp: Int
    /// A dispatcher's attempts in flight in all.
    public var dispatchMaxInFlight: Int
    /// Most deliveries one claim statement takes.
    public var dispatchBatchSize: Int
    /// How long a claimed delivery belongs to its dispatcher (renewed while it holds it); after it, others may
    /// attempt it again.
    public var deliveryLeaseSeconds: Int
    /// How often an idle dispatcher looks for due deliveries when nothing wakes it.
    public var dispatchIdlePollMilliseconds: Int

    /// Reads the variables of `environment`; every error names the variable. An empty variable counts as unset.
    public init(environment: [String: String]) throws(ConfigError) {
        let env = EnvironmentReader(environment)
        databaseURL = env.string("DATABASE_URL", "host=127.0.0.1 port=55432 user=alertrelay dbname=alertrelay")
        adminToken = try env.secret("ALERT_RELAY_ADMIN_TOKEN", minimumLength: 16)
        linkKey = try env.secret("ALERT_RELAY_LINK_KEY", minimumLength: 32)
        urlPrefix = try env.urlPrefix("ALERT_RELAY_URL_PREFIX", "http://127.0.0.1:8080")
        let allowsGlobal = try env.bool("ALERT_RELAY_ALLOW_GLOBAL_TARGETS", true)
        targetPolicy = try env.parsed("ALERT_RELAY_ALLOW_TARGETS", "") {
            TargetPolicy(allowlist: try TargetPolicy.parseAllowlist($0), allowsGlobal: allowsGlobal)
        }
        brokenTimeoutThreshold = try env.int("ALERT_RELAY_BROKEN_TIMEOUT_THRESHOLD", 1000, 1...1_000_000)
        autoDisable = try env.choice("ALERT_RELAY_AUTO_DISABLE", .internal)
        retrySchedule = try env.parsed("ALERT_RELAY_RETRY_SCHEDULE", "10,60,300,1800,7200,21600") {
            try RetrySchedule.parse($0)
        }
        maxBodyBytes = try env.int("ALERT_RELAY_MAX_BODY_BYTES", 1_048_576, 1024...(64 << 20))
        secretGracePeriodSeconds = try env.int("ALERT_RELAY_SECRET_GRACE_SECONDS", 86_400, 0...(30 * 86_400))
        modelCacheTTLSeconds = try env.int("ALERT_RELAY_CACHE_TTL_SECONDS", 300, 0...86_400)
        tokenCacheTTLSeconds = try env.int("ALERT_RELAY_TOKEN_CACHE_SECONDS", 10, 0...300)
        workerMetricsFile = env.optional("ALERT_RELAY_WORKER_METRICS_FILE")
        requestLogBodyCap = try env.int("ALERT_RELAY_LOG_BODY_CHARS", 1024, 0...1_048_576)
        maxResponseBodyBytes = try env.int("ALERT_RELAY_MAX_RESPONSE_BYTES", 65_536, 1024...(16 << 20))

        mailTransport = try env.choice("ALERT_RELAY_MAIL_TRANSPORT", .smtp)
        mailDirectory = env.string("ALERT_RELAY_MAIL_DIR", ".data/outbox")
        smtpURL = env.string("ALERT_RELAY_SMTP_URL", "smtp://127.0.0.1:25")
        guard smtpURL.hasPrefix("smtp://") || smtpURL.hasPrefix("smtps://") else {
            throw ConfigError(variable: "ALERT_RELAY_SMTP_URL", reason: "must start with smtp:// or smtps://")
        }
        smtpTLS = try env.choice("ALERT_RELAY_SMTP_TLS", .opportunistic)
        smtpUsername = env.optional("ALERT_RELAY_SMTP_USER")
        smtpPassword = env.optional("ALERT_RELAY_SMTP_PASSWORD")
        mailFrom = env.string("ALERT_RELAY_MAIL_FROM", "alert-relay@localhost")
        smtpTimeoutSeconds = try env.int("ALERT_RELAY_SMTP_TIMEOUT_SECONDS", 30, 1...600)
        emailMaxAttempts = try env.int("ALERT_RELAY_EMAIL_MAX_ATTEMPTS", 8, 1...100)

        requestLogRetentionDays = try env.int("ALERT_RELAY_REQUEST_LOG_RETENTION_DAYS", 30, 1...3650)
        jobRetentionDays = try env.int("ALERT_RELAY_JOB_RETENTION_DAYS", 7, 1...3650)
        workerConcurrency = try env.int("ALERT_RELAY_WORKER_CONCURRENCY", 4, 1...256)
        jobLeaseSeconds = try env.int("ALERT_RELAY_JOB_LEASE_SECONDS", 30, 3...86_400)
        jobPollSeconds = try env.int("ALERT_RELAY_JOB_POLL_SECONDS", 5, 1...3600)
        jobBackoffBaseSeconds = try env.int("ALERT_RELAY_JOB_BACKOFF_BASE_SECONDS", 10, 1...86_400)
        jobBackoffMaxSeconds = try env.int("ALERT_RELAY_JOB_BACKOFF_MAX_SECONDS", 3600, 1...(7 * 86_400))
        maintenanceIntervalSeconds = try env.int("ALERT_RELAY_MAINTENANCE_SECONDS", 60, 1...86_400)

        inlineMax = try env.optionalInt("ALERT_RELAY_INLINE_MAX", 0...512)
        inlinePerApp = try env.int("ALERT_RELAY_INLINE_PER_APP", 2, 0...512)
        inlineAsyncCommit = try env.bool("ALERT_RELAY_INLINE_ASYNC_COMMIT", false)
        dispatchPerApp = try env.int("ALERT_RELAY_DISPATCH_PER_APP", 16, 1...1024)
        dispatchMaxInFlight = try env.int("ALERT_RELAY_DISPATCH_MAX_IN_FLIGHT", 1024, 1...8192)
        dispatchBatchSize = try env.int("ALERT_RELAY_DISPATCH_BATCH", 500, 1...10_000)
        deliveryLeaseSeconds = try env.int("ALERT_RELAY_DELIVERY_LEASE_SECONDS", 30, 2...3600)
        dispatchIdlePollMilliseconds = try env.int("ALERT_RELAY_DISPATCH_IDLE_POLL_MS", 1000, 10...60_000)
    }
}

/// Typed reads of environment variables; each error names the variable. An empty value counts as unset.
private struct EnvironmentReader {
    let environment: [String: String]

    init(_ environment: [String: String]) {
        self.environment = environment
    }

    func optional(_ name: String) -> String? {
        environment[name].flatMap { $0.isEmpty ? nil : $0 }
    }

    func string(_ name: String, _ fallback: String) -> String {
        optional(name) ?? fallback
    }

    func int(_ name: String, _ fallback: Int, _ range: ClosedRange<Int>) throws(ConfigError) -> Int {
        try optionalInt(name, range) ?? fallback
    }

    func optionalInt(_ name: String, _ range: ClosedRange<Int>) throws(ConfigError) -> Int? {
        guard let text = optional(name) else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw ConfigError(
                variable: name, reason: "must be an integer in \(range.lowerBound)...\(range.upperBound), got '\(text)'")
        }
        return value
    }

    /// `true`/`false`, also `1`/`0`.
    func bool(_ name: String, _ fallback: Bool) throws(ConfigError) -> Bool {
        switch optional(name) {
        case nil: return fallback
        case "true", "1": return true
        case "false", "0": return false
        case let other?: throw ConfigError(variable: name, reason: "must be true or false, got '\(other)'")
        }
    }

    /// One of an enum's raw values.
    func choice<Value: RawRepresentable & CaseIterable>(_ name: String, _ fallback: Value) throws(ConfigError) -> Value
    where Value.RawValue == String {
        guard let text = optional(name) else { return fallback }
        guard let value = Value(rawValue: text) else {
            let allowed = Value.allCases.map(\.rawValue).joined(separator: ", ")
            throw ConfigError(variable: name, reason: "must be one of \(allowed), got '\(text)'")
        }
        return value
    }

    /// A value `parse` reads; its error becomes the reason.
    func parsed<Value>(_ name: String, _ fallback: String, _ parse: (String) throws -> Value) throws(ConfigError) -> Value {
        do {
            return try parse(string(name, fallback))
        } catch {
            throw ConfigError(variable: name, reason: "\(error)")
        }
    }

    /// Optional, but when set at least `minimumLength` bytes (tokens and keys).
    func secret(_ name: String, minimumLength: Int) throws(ConfigError) -> String? {
        guard let value = optional(name) else { return nil }
        guard value.utf8.count >= minimumLength else {
            throw ConfigError(variable: name, reason: "must be at least \(minimumLength) characters")
        }
        return value
    }

    /// An http(s) URL prefix without trailing slashes.
    func urlPrefix(_ name: String, _ fallback: String) throws(ConfigError) -> String {
        var prefix = string(name, fallback)
        while prefix.hasSuffix("/") { prefix.removeLast() }
        guard prefix.hasPrefix("http://") || prefix.hasPrefix("https://") else {
            throw ConfigError(variable: name, reason: "must start with http:// or https://")
        }
        return prefix
    }
}

/// A configuration value that cannot be used; names the variable.
public struct ConfigError: Error, CustomStringConvertible, Sendable {
    public let variable: String
    public let reason: String
    public var description: String { "\(variable) \(reason)" }
}
