import CoreMetrics
import Prometheus
import SystemSupport

/// This process's metrics, recorded through swift-metrics and exposed as Prometheus text from a
/// `PrometheusCollectorRegistry` (the responder's `/metrics`, the worker's metrics file).
///
/// Attempts, their durations and requests go through swift-metrics' `Counter` and `Timer` with the factory given at
/// creation (by default the Prometheus factory over ``registry``), so a deployment that wants them elsewhere passes
/// another factory, e.g. a `MultiplexMetricsHandler` of the Prometheus one and its own. The model cache's counts and
/// the job table's gauges are read when `/metrics` is rendered and exist only in Prometheus text. No global
/// `MetricsSystem.bootstrap`: each `Metrics` owns its registry, so tests may make as many as they like.
public final class Metrics: Sendable {
    /// Upper bounds of the attempt-duration histogram.
    static let durationBuckets: [Duration] = [
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
        .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10), .seconds(30),
    ]
    static let attemptsName = "alert_relay_webhook_attempts_total"
    static let durationName = "alert_relay_webhook_attempt_duration_seconds"
    static var cacheDescriptor: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "alert_relay", metricName: "model_cache_requests", unitName: "total",
            helpText: "Model cache lookups, by result.")
    }
    static var jobsDescriptor: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "alert_relay", metricName: "jobs", unitName: "", helpText: "Jobs in the job table, by kind and state.")
    }

    public let registry: PrometheusCollectorRegistry
    private let factory: any MetricsFactory
    private let requests: CoreMetrics.Counter
    private let duration: CoreMetrics.Timer
    /// One counter per outcome, made on first use (swift-metrics handles are cheap to keep, dear to look up).
    private let attempts = SleepingMutex<[String: CoreMetrics.Counter]>([:])
    /// Scrape-time figures: the cache's running totals as last exposed, and the job gauges ever set.
    private let scraped = SleepingMutex(Scraped())

    private struct Scraped {
        var cacheHits = 0
        var cacheMisses = 0
        var jobGauges: [String: Prometheus.Gauge] = [:]
    }

    private let cacheHits: Prometheus.Counter
    private let cacheMisses: Prometheus.Counter

    /// `factory`: where attempts and requests are recorded; nil: the Prometheus factory over this instance's own
    /// registry (what `render` shows).
    public init(factory: (any MetricsFactory)? = nil) {
        let registry = PrometheusCollectorRegistry()
        self.registry = registry
        if let factory {
            self.factory = factory
        } else {
            var prometheus = PrometheusMetricsFactory(registry: registry)
            prometheus.durationHistogramBuckets[Self.durationName] = Self.durationBuckets
            self.factory = prometheus
        }
        requests = CoreMetrics.Counter(label: "alert_relay_http_requests_total", factory: self.factory)
        duration = CoreMetrics.Timer(label: Self.durationName, factory: self.factory)
        cacheHits = registry.makeCounter(descriptor: Self.cacheDescriptor, labels: [("result", "hit")])
        cacheMisses = registry.makeCounter(descriptor: Self.cacheDescriptor, labels: [("result", "miss")])
    }

    public func recordAttempt(outcome: String, seconds: Double) {
        let counter = attempts.withLock { counters in
            if let counter = counters[outcome] { return counter }
            let made = CoreMetrics.Counter(label: Self.attemptsName, dimensions: [("outcome", outcome)], factory: factory)
            counters[outcome] = made
            return made
        }
        counter.increment()
        duration.recordNanoseconds(Int64(seconds * 1e9))
    }

    public func recordRequest() {
        requests.increment()
    }

    /// The Prometheus text exposition; the model-cache and job-table figures only when given (the job table is the
    /// same for every process, so only the responder's `/metrics` reports it).
    public func render(cache: (hits: Int, misses: Int)?, jobs: [(kind: String, state: String, count: Int)]?) -> String {
        scraped.withLock { scraped in
            if let cache {
                cacheHits.increment(by: Int64(max(0, cache.hits - scraped.cacheHits)))
                cacheMisses.increment(by: Int64(max(0, cache.misses - scraped.cacheMisses)))
                scraped.cacheHits = max(scraped.cacheHits, cache.hits)
                scraped.cacheMisses = max(scraped.cacheMisses, cache.misses)
            }
            if let jobs {
                // A kind and state no longer in the table reads 0, not its last count.
                for gauge in scraped.jobGauges.values { gauge.set(to: 0) }
                for job in jobs {
                    let key = job.kind + "\u{0}" + job.state
                    let gauge = scraped.jobGauges[key] ?? registry.makeGauge(
                        descriptor: Self.jobsDescriptor, labels: [("kind", job.kind), ("state", job.state)])
                    scraped.jobGauges[key] = gauge
                    gauge.set(to: Double(job.count))
                }
            }
        }
        return registry.emitToString()
    }
}
