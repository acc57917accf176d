import AlertRelayStore
import Synchronization

/// Process-wide counters rendered as Prometheus text on `/metrics`.
public final class Metrics: Sendable {
    /// Upper bounds (seconds) of the attempt-duration histogram.
    static let durationBuckets: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

    private struct State: Sendable {
        var attemptsByOutcome: [String: Int] = [:]
        var durationCounts = [Int](repeating: 0, count: Metrics.durationBuckets.count)
        var durationSum = 0.0
        var durationCount = 0
    }

    private let state = Mutex(State())
    private let requests = Atomic<Int>(0)

    public init() {}

    public func recordAttempt(outcome: String, seconds: Double) {
        state.withLock { state in
            state.attemptsByOutcome[outcome, default: 0] += 1
            for (index, bound) in Metrics.durationBuckets.enumerated() where seconds <= bound {
                state.durationCounts[index] += 1
            }
            state.durationSum += seconds
            state.durationCount += 1
        }
    }

    public func recordRequest() {
        requests.wrappingAdd(1, ordering: .relaxed)
    }

    /// The Prometheus text exposition; `jobs` are counts by state read from the database by the caller.
    /// The Prometheus text; the model-cache and job-table sections only when given (the job table is the same for
    /// every process, so only the responder's `/metrics` reports it).
    public func render(cache: (hits: Int, misses: Int)?, jobs: [(kind: String, state: String, count: Int)]?) -> String {
        let snapshot = state.withLock { $0 }
        var out = ""
        out += "# HELP alert_relay_webhook_attempts_total Webhook attempts made by this process, by outcome.\n"
        out += "# TYPE alert_relay_webhook_attempts_total counter\n"
        for (outcome, count) in snapshot.attemptsByOutcome.sorted(by: { $0.key < $1.key }) {
            out += "alert_relay_webhook_attempts_total{outcome=\"\(outcome)\"} \(count)\n"
        }
        out += "# HELP alert_relay_webhook_attempt_duration_seconds Duration of webhook attempts.\n"
        out += "# TYPE alert_relay_webhook_attempt_duration_seconds histogram\n"
        for (index, bound) in Metrics.durationBuckets.enumerated() {
            out += "alert_relay_webhook_attempt_duration_seconds_bucket{le=\"\(bound)\"} \(snapshot.durationCounts[index])\n"
        }
        out += "alert_relay_webhook_attempt_duration_seconds_bucket{le=\"+Inf\"} \(snapshot.durationCount)\n"
        out += "alert_relay_webhook_attempt_duration_seconds_sum \(snapshot.durationSum)\n"
        out += "alert_relay_webhook_attempt_duration_seconds_count \(snapshot.durationCount)\n"
        if let jobs {
            out += "# HELP alert_relay_jobs Jobs in the job table, by kind and state.\n"
            out += "# TYPE alert_relay_jobs gauge\n"
            for job in jobs {
                out += "alert_relay_jobs{kind=\"\(job.kind)\",state=\"\(job.state)\"} \(job.count)\n"
            }
        }
        if let cache {
            out += "# HELP alert_relay_model_cache_requests_total Model cache lookups, by result.\n"
            out += "# TYPE alert_relay_model_cache_requests_total counter\n"
            out += "alert_relay_model_cache_requests_total{result=\"hit\"} \(cache.hits)\n"
            out += "alert_relay_model_cache_requests_total{result=\"miss\"} \(cache.misses)\n"
        }
        out += "# HELP alert_relay_http_requests_total Requests answered by this process.\n"
        out += "# TYPE alert_relay_http_requests_total counter\n"
        out += "alert_relay_http_requests_total \(requests.load(ordering: .relaxed))\n"
        return out
    }
}
