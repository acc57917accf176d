import CoreMetrics
import Metrics
import Prometheus
import Synchronization

/// The hand-written recorder alert-relay uses today (Observability/Metrics.swift), reduced to the attempt path.
final class HandWritten: Sendable {
    static let buckets: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]
    struct State { var byOutcome: [String: Int] = [:]; var counts = [Int](repeating: 0, count: 12); var sum = 0.0; var n = 0 }
    let state = Mutex(State())
    func record(outcome: String, seconds: Double) {
        state.withLock { s in
            s.byOutcome[outcome, default: 0] += 1
            for (i, b) in Self.buckets.enumerated() where seconds <= b { s.counts[i] += 1 }
            s.sum += seconds; s.n += 1
        }
    }
}

let registry = PrometheusCollectorRegistry()
MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
let outcomes = ["success", "error", "timeout", "fatal"]
let iterations = 2_000_000

func measure(_ name: String, _ body: (Int) -> Void) {
    let clock = ContinuousClock()
    let start = clock.now
    for i in 0..<iterations { body(i) }
    let elapsed = clock.now - start
    let ns = Double(elapsed.components.attoseconds) / 1e9 + Double(elapsed.components.seconds) * 1e9
    print("\(name): \((ns / Double(iterations) * 10).rounded() / 10) ns per attempt")
}

let hand = HandWritten()
measure("hand-written Mutex") { i in hand.record(outcome: outcomes[i & 3], seconds: 0.02) }
// As a library user writes it: the handle looked up by label and dimensions at each attempt.
measure("swift-metrics, handle per attempt") { i in
    Counter(label: "alert_relay_webhook_attempts_total", dimensions: [("outcome", outcomes[i & 3])]).increment()
    Timer(label: "alert_relay_webhook_attempt_duration_seconds").recordNanoseconds(20_000_000)
}
// The best case: handles made once and kept.
let counters = outcomes.map { Counter(label: "alert_relay_webhook_attempts_total", dimensions: [("outcome", $0)]) }
let timer = Timer(label: "alert_relay_webhook_attempt_duration_seconds")
measure("swift-metrics, handles kept") { i in counters[i & 3].increment(); timer.recordNanoseconds(20_000_000) }
var text: [UInt8] = []
registry.emit(into: &text)
print("exposition: \(text.count) bytes")
