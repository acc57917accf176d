import AlertRelayLogic
import AlertRelayStore
import Logging
import PostgresClient
import SystemSupport

#if canImport(Glibc)
import Glibc
#endif

extension WorkerRuntime {
    /// The worker's attempts, durations and job counts in Prometheus text, written under a temporary name and
    /// renamed (node_exporter's textfile collector reads such files); the worker serves no HTTP itself.
    /// This process's counters only: the job table's gauges come from the responder's `/metrics` (counting them
    /// here would scan the job table on every tick).
    private func writeMetrics(to path: String) {
        let text = metrics.render(cache: nil, jobs: nil)
        let failure = AtomicFile.write(Array(text.utf8), to: path, temporary: path + ".tmp-\(getpid())")
        if failure != 0 {
            logger.warning("cannot write the metrics file", metadata: ["path": "\(path)", "errno": "\(failure)"])
        }
    }

    /// The maintenance thread: takes over expired leases every few seconds, writes the metrics file, and runs the
    /// retention sweep every `maintenanceIntervalSeconds`.
    func runMaintenance() {
        let db = PostgresConnection(conninfo: config.databaseURL)
        let recoverMilliseconds = max(1, min(5, config.jobLeaseSeconds / 3)) * 1000
        let sweepNanoseconds = Int64(config.maintenanceIntervalSeconds) * 1_000_000_000
        var nextSweep = MonotonicClock.nanoseconds() + min(sweepNanoseconds, 10_000_000_000)
        while true {
            let seen = stopEvent.generation
            if isStopping { return }
            do {
                _ = try Maintenance.recoverLeases(db: db, logger: logger)
            } catch {
                logger.warning("cannot take over expired leases", metadata: ["error": "\(error)"])
            }
            if let path = config.workerMetricsFile {
                writeMetrics(to: path)
            }
            if MonotonicClock.nanoseconds() >= nextSweep {
                nextSweep = MonotonicClock.nanoseconds() + sweepNanoseconds
                do {
                    let swept = try Maintenance.sweep(config: config, db: db, shouldStop: { self.isStopping })
                    if swept.requestLog + swept.jobs + swept.deliveries > 0 {
                        logger.info(
                            "retention sweep",
                            metadata: [
                                "request_log": "\(swept.requestLog)", "jobs": "\(swept.jobs)",
                                "deliveries": "\(swept.deliveries)",
                            ])
                    }
                } catch {
                    logger.warning("retention sweep failed", metadata: ["error": "\(error)"])
                }
            }
            stopEvent.wait(since: seen, milliseconds: recoverMilliseconds)
        }
    }
}
