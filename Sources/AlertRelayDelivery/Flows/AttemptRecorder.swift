import AlertRelayLogic
import AlertRelayStore
import CurlClient
import Logging
import PostgresClient
import SystemSupport

/// A webhook attempt that was made: what was sent, when, and what came back.
public struct SentAttempt: Sendable {
    public var deliveryID: Int64
    public var organizationID: Int64
    /// 1 for the delivery's first attempt.
    public var attempt: Int
    public var eventType: String
    public var app: App
    public var requestHeaders: [(name: String, value: String)]
    public var requestBody: String
    /// Unix seconds with a fraction, taken when the request was signed.
    public var sentAt: Double
    public var response: OutboundResponse

    public init(
        deliveryID: Int64, organizationID: Int64, attempt: Int, eventType: String, app: App,
        requestHeaders: [(name: String, value: String)], requestBody: String, sentAt: Double, response: OutboundResponse
    ) {
        self.deliveryID = deliveryID
        self.organizationID = organizationID
        self.attempt = attempt
        self.eventType = eventType
        self.app = app
        self.requestHeaders = requestHeaders
        self.requestBody = requestBody
        self.sentAt = sentAt
        self.response = response
    }
}

/// Records attempts, whoever made them (the responder inline, a dispatcher in a batch): classifies each outcome,
/// schedules retries, writes everything through `AttemptStore.record` in one statement, then runs the broken rule
/// once per app and organization whose counters got an error, timeout or fatal, and disables broken apps through
/// `DisableFlow` (exactly once, whoever gets there first) (BEHAVIOUR A3–A6, B1–B4).
public struct AttemptRecorder: Sendable {
    public let config: Config
    public let metrics: Metrics
    public let logger: Logger

    public init(config: Config, metrics: Metrics, logger: Logger) {
        self.config = config
        self.metrics = metrics
        self.logger = logger
    }

    /// What recording a batch did.
    public struct Result: Sendable {
        /// The deliveries the batch moved on, by id (a duplicate attempt moves nothing).
        public var deliveries: [Int64: Delivery] = [:]
        /// Apps this batch's attempts disabled.
        public var disabledApps: Set<Int64> = []
    }

    /// Records `attempts`, then the warning and broken rules and any disable. `shard` is the caller's health-counter
    /// shard (see sql/002_apps.sql).
    ///
    /// A batch in which no app the rules may disable got an error, timeout or fatal (successes, 3xx, 429, published
    /// apps) is the one recording statement, committed on its own. Otherwise that statement, the health windows it
    /// touched and any warning e-mail (``HealthWarningFlow``) commit in one transaction, so the warning is written
    /// with the counter update that crossed its line; the disable, if the broken rule holds, follows in its own
    /// transaction (``DisableFlow``), as before.
    public func record(_ attempts: [SentAttempt], shard: Int, db: PostgresConnection) throws -> Result {
        // A loop, not `map` with a closure: a closure capturing this zero-sized generator `inout` hands TSan-instrumented
        // builds an address they cannot shadow (SEGV in __tsan::ExternalAccess, Swift 6.3).
        var random = SystemRandomNumberGenerator()
        var classified: [(record: AttemptRecord, outcome: Outcome)] = []
        classified.reserveCapacity(attempts.count)
        for attempt in attempts {
            classified.append(Self.record(for: attempt, config: config, random: &random))
        }
        let records = classified.map(\.record)
        let checks = healthChecks(attempts, classified.map(\.outcome))
        let today = UTCDay(unixSeconds: WallClock.unixSeconds())
        let deliveries: [Delivery]
        var windows: [AppOrganization: [HealthDay]] = [:]
        if checks.pairs.isEmpty {
            deliveries = try AttemptStore.record(records, shard: shard, db: db)
        } else {
            (deliveries, windows) = try db.transaction { db in
                let deliveries = try AttemptStore.record(records, shard: shard, db: db)
                let windows = try AttemptStore.healthWindows(
                    checks.pairs.map { ($0.appID, $0.organizationID) }, today: today, db: db)
                try HealthWarningFlow.warn(
                    checks.pairs, apps: checks.apps, windows: windows, today: today, config: config, logger: logger, db: db)
                return (deliveries, windows)
            }
        }
        var result = Result()
        for delivery in deliveries {
            result.deliveries[delivery.id] = delivery
        }
        for (sent, (record, outcome)) in zip(attempts, classified) {
            metrics.recordAttempt(outcome: outcome.kind.rawValue, seconds: record.durationMilliseconds / 1000)
            log(sent, record, outcome)
        }
        result.disabledApps = try disableBroken(checks, windows: windows, today: today, db: db)
        return result
    }

    /// The record of one attempt: its outcome (BEHAVIOUR A3, B3), the retry it earns (B4, with jitter and
    /// `Retry-After`), and what the request log keeps of it (B7).
    static func record(for sent: SentAttempt, config: Config, random: inout some RandomNumberGenerator)
        -> (record: AttemptRecord, outcome: Outcome)
    {
        let response = sent.response
        let outcome = Outcome.classify(status: response.status, failure: response.attemptFailure)
        var retryDelay: Double?
        if outcome.isRetryable {
            let now = Int64(sent.sentAt.rounded(.down))
            let retryAfter = response.header("Retry-After").flatMap { RetryAfter.parse($0, now: now) }
            retryDelay = config.retrySchedule.delay(afterAttempt: sent.attempt, retryAfterSeconds: retryAfter, random: &random)
        }
        let status: Delivery.Status =
            outcome.kind == .success ? .delivered : retryDelay != nil ? .retrying : .failed
        let cap = config.requestLogBodyCap
        let errorID = response.header("Sentry-Hook-Error").map(RecordedText.withoutNUL)
        let projectID = response.header("Sentry-Hook-Project").map(RecordedText.withoutNUL)
        let bothHookHeaders = errorID != nil && projectID != nil
        let record = AttemptRecord(
            deliveryID: sent.deliveryID, appID: sent.app.id, organizationID: sent.organizationID, attempt: sent.attempt,
            eventType: sent.eventType, webhookURL: sent.app.webhookURL ?? "", attemptedAt: sent.sentAt,
            responseCode: outcome.responseCode, durationMilliseconds: response.durationMilliseconds,
            errorClass: outcome.errorClass, errorID: bothHookHeaders ? errorID : nil,
            projectID: bothHookHeaders ? projectID : nil, requestHeaders: RecordedText.headerJSON(sent.requestHeaders),
            requestBody: RecordedText.capped(sent.requestBody, cap),
            responseHeaders: RecordedText.headerJSON(response.headers),
            responseBody: RecordedText.capped(RecordedText.storable(response.body), cap), status: status,
            retryDelaySeconds: retryDelay, counter: outcome.counter)
        return (record, outcome)
    }

    private func log(_ sent: SentAttempt, _ record: AttemptRecord, _ outcome: Outcome) {
        if case .blocked(let address) = sent.response.failure {
            logger.warning(
                "webhook target refused by the SSRF guard",
                metadata: ["app": "\(sent.app.slug)", "address": "\(address.description)", "delivery": "\(sent.deliveryID)"])
        }
        // Successes at debug: every attempt is in the request log already, and a busy service would write
        // thousands of these lines a second. Anything else is worth a line at info.
        logger.log(
            level: outcome.kind == .success ? .debug : .info, "webhook attempt",
            metadata: [
                "delivery": "\(sent.deliveryID)", "app": "\(sent.app.slug)", "attempt": "\(sent.attempt)",
                "outcome": "\(outcome.kind.rawValue)", "status": "\(record.responseCode)",
                "duration_ms": "\(Int(record.durationMilliseconds))",
            ])
    }

    /// The (app, organization) pairs whose counters this batch gave an error, timeout or fatal, in order, for apps
    /// the rules may disable (not disabled yet; internal ones unless `ALERT_RELAY_AUTO_DISABLE=all`), and those apps.
    private func healthChecks(_ attempts: [SentAttempt], _ outcomes: [Outcome]) -> (pairs: [AppOrganization], apps: [Int64: App]) {
        var apps: [Int64: App] = [:]
        var pairs: [AppOrganization] = []
        for (sent, outcome) in zip(attempts, outcomes) where outcome.triggersBrokenCheck {
            let app = sent.app
            guard !app.isDisabled, config.autoDisable == .all || app.isInternal else { continue }
            let pair = AppOrganization(appID: app.id, organizationID: sent.organizationID)
            if apps[app.id] == nil { apps[app.id] = app }
            if !pairs.contains(pair) { pairs.append(pair) }
        }
        return (pairs, apps)
    }

    /// Runs the broken rule once per checked (app, organization) on its window, and disables the broken apps.
    /// Returns the apps this call disabled.
    private func disableBroken(
        _ checks: (pairs: [AppOrganization], apps: [Int64: App]), windows: [AppOrganization: [HealthDay]], today: UTCDay,
        db: PostgresConnection
    ) throws -> Set<Int64> {
        var disabled: Set<Int64> = []
        for pair in checks.pairs where !disabled.contains(pair.appID) {
            guard let app = checks.apps[pair.appID] else { continue }
            let verdict = BrokenRule.evaluate(
                windows[pair] ?? [], today: today, timeoutThreshold: config.brokenTimeoutThreshold)
            guard verdict.isBroken else { continue }
            if try DisableFlow.disable(app: app, reason: verdict.reason ?? "broken", config: config, logger: logger, db: db) {
                disabled.insert(app.id)
            }
        }
        return disabled
    }
}

extension OutboundResponse {
    /// The attempt's failure in the terms of the outcome table.
    var attemptFailure: AttemptFailure? {
        switch failure {
        case nil: nil
        case .timeout: .timeout
        case .dns: .dns
        case .connect, .other: .connection
        case .tls: .tls
        case .blocked: .blocked
        case .invalidURL: .invalidURL
        }
    }
}

/// How the request log keeps text it did not choose: receivers' headers and bodies, and our own payloads.
enum RecordedText {
    /// Headers as a JSON array of `[name, value]` pairs, the order kept.
    static func headerJSON(_ headers: [(name: String, value: String)]) -> String {
        String(decoding: JSONValue.array(headers.map { .array([.string($0.name), .string($0.value)]) }).serialized(), as: UTF8.self)
    }

    /// Bytes as text PostgreSQL can store: invalid UTF-8 and NUL (which `text` cannot hold) become U+FFFD.
    static func storable(_ bytes: [UInt8]) -> String {
        withoutNUL(String(decoding: bytes, as: UTF8.self))
    }

    /// `text` with each NUL replaced by U+FFFD.
    static func withoutNUL(_ text: String) -> String {
        guard text.utf8.contains(0) else { return text }
        var scalars = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            scalars.append(scalar == "\u{0}" ? "\u{FFFD}" : scalar)
        }
        return String(scalars)
    }

    /// At most `limit` characters, cut on a character boundary.
    static func capped(_ text: String, _ limit: Int) -> String {
        // prefix(_:) stops after `limit` characters; counting the whole text first would walk all of it.
        let prefix = text.prefix(limit)
        return prefix.endIndex == text.endIndex ? text : String(prefix)
    }
}
