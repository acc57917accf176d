import Testing

@testable import AlertRelayDelivery

/// The Prometheus text of ``Metrics``: swift-metrics counters and timers through swift-prometheus, plus the figures
/// read at scrape time.
struct MetricsTests {
    static func lines(_ text: String) -> [Substring] { text.split(separator: "\n") }

    @Test func attemptsAndDurationsAppearByOutcome() {
        let metrics = Metrics()
        metrics.recordAttempt(outcome: "success", seconds: 0.004)
        metrics.recordAttempt(outcome: "success", seconds: 0.2)
        metrics.recordAttempt(outcome: "timeout", seconds: 10)
        metrics.recordRequest()
        let lines = Self.lines(metrics.render(cache: nil, jobs: nil))
        #expect(lines.contains(#"alert_relay_webhook_attempts_total{outcome="success"} 2"#))
        #expect(lines.contains(#"alert_relay_webhook_attempts_total{outcome="timeout"} 1"#))
        #expect(lines.contains("alert_relay_http_requests_total 1"))
        #expect(lines.contains("# TYPE alert_relay_webhook_attempt_duration_seconds histogram"))
        // Cumulative buckets in seconds: 0.004 s is in the first, 0.2 s from 0.25 s on, 10 s from 10 s on.
        #expect(lines.contains(#"alert_relay_webhook_attempt_duration_seconds_bucket{le="0.005"} 1"#))
        #expect(lines.contains(#"alert_relay_webhook_attempt_duration_seconds_bucket{le="0.25"} 2"#))
        #expect(lines.contains(#"alert_relay_webhook_attempt_duration_seconds_bucket{le="10.0"} 3"#))
        #expect(lines.contains(#"alert_relay_webhook_attempt_duration_seconds_bucket{le="+Inf"} 3"#))
        #expect(lines.contains("alert_relay_webhook_attempt_duration_seconds_count 3"))
    }

    @Test func scrapeTimeFiguresFollowTheirSources() {
        let metrics = Metrics()
        var lines = Self.lines(metrics.render(
            cache: (hits: 5, misses: 2), jobs: [(kind: "email", state: "queued", count: 3), (kind: "email", state: "dead", count: 1)]))
        #expect(lines.contains(#"alert_relay_model_cache_requests_total{result="hit"} 5"#))
        #expect(lines.contains(#"alert_relay_model_cache_requests_total{result="miss"} 2"#))
        #expect(lines.contains(#"alert_relay_jobs{kind="email",state="queued"} 3.0"#))
        #expect(lines.contains("# HELP alert_relay_jobs Jobs in the job table, by kind and state."))
        // The cache's totals grow; a state that left the table reads 0.
        lines = Self.lines(metrics.render(cache: (hits: 9, misses: 2), jobs: [(kind: "email", state: "dead", count: 2)]))
        #expect(lines.contains(#"alert_relay_model_cache_requests_total{result="hit"} 9"#))
        #expect(lines.contains(#"alert_relay_jobs{kind="email",state="queued"} 0.0"#))
        #expect(lines.contains(#"alert_relay_jobs{kind="email",state="dead"} 2.0"#))
    }
}
