import AlertRelayDelivery
import AlertRelayStore
import ArgumentParser
import FoundationEssentials
import Logging
import SystemSupport

@main
struct AlertRelayWorker: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alert-relay-worker",
        abstract: """
            The alert-relay worker: the dispatcher that delivers queued webhooks and retries, the job table's \
            drain (e-mail), and the tables' upkeep.
            """,
        discussion: """
            Configuration comes from the environment (see the README's configuration table). SIGTERM or SIGINT: \
            stop claiming, give back claimed jobs and deliveries not yet started, finish the running ones and exit \
            0; a second signal, or --shutdown-timeout passing, exits 1 at once (unfinished work runs again when its \
            lease expires).
            """)

    enum Mode: String, ExpressibleByArgument, CaseIterable {
        /// The dispatcher and the job drain.
        case all
        /// Only the job table (e-mail, maintenance).
        case jobs
        /// Only the dispatcher.
        case dispatch
    }

    @Option(help: "What to run: all (default), jobs (e-mail and maintenance only) or dispatch (webhooks only).")
    var mode: Mode = .all

    @Option(help: "Sender threads; each owns one database connection (default: ALERT_RELAY_WORKER_CONCURRENCY or 4).")
    var concurrency: Int?

    @Option(help: "Most jobs claimed by one statement.")
    var batchSize: Int = 100

    @Flag(help: "Exit once no job or delivery is due and none is running (benchmarks and tests).")
    var drainAndExit = false

    @Option(help: "Seconds to wait for running jobs after SIGTERM before exiting anyway.")
    var shutdownTimeout: Int = 60

    func validate() throws {
        if let concurrency, !(1...256).contains(concurrency) {
            throw ValidationError("--concurrency must be between 1 and 256")
        }
        guard (1...10_000).contains(batchSize) else { throw ValidationError("--batch-size must be between 1 and 10000") }
        guard (1...3600).contains(shutdownTimeout) else {
            throw ValidationError("--shutdown-timeout must be between 1 and 3600")
        }
    }

    func run() throws {
        // Before any thread exists: see StopSignals.
        StopSignals.block()
        let logger = Bootstrap.logging(label: "alert-relay-worker", environment: ProcessInfo.processInfo.environment)
        let config = try Bootstrap.config(environment: ProcessInfo.processInfo.environment, logger: logger)

        let metrics = Metrics()
        var parts: [any WorkerPart] = []
        if mode != .dispatch {
            let options = WorkerOptions(
                concurrency: concurrency ?? config.workerConcurrency, batchSize: batchSize, drainAndExit: drainAndExit)
            let runtime = WorkerRuntime(config: config, options: options, metrics: metrics, logger: logger)
            try runtime.start()
            parts.append(runtime)
        }
        if mode != .jobs {
            let dispatcher = try Dispatcher(
                config: config, options: Dispatcher.Options(config: config, drainAndExit: drainAndExit),
                metrics: metrics, logger: logger)
            do {
                try dispatcher.start()
            } catch {
                parts.forEach { $0.requestStop() }
                throw error
            }
            parts.append(dispatcher)
        }
        let runtime = WorkerParts(parts)

        var stopSignal: Int32? = nil
        while !runtime.isFinished, stopSignal == nil {
            stopSignal = StopSignals.wait(milliseconds: 250)
        }
        if let stopSignal {
            logger.info("stopping: finishing running jobs", metadata: ["signal": "\(stopSignal)"])
            runtime.requestStop()
            let deadline = MonotonicClock.nanoseconds() + Int64(shutdownTimeout) * 1_000_000_000
            while !runtime.isFinished {
                if StopSignals.wait(milliseconds: 250) != nil {
                    logger.error("second signal: exiting without waiting for running jobs")
                    throw ExitCode(1)
                }
                if MonotonicClock.nanoseconds() >= deadline {
                    logger.error("running jobs did not finish in time; exiting", metadata: ["timeout_s": "\(shutdownTimeout)"])
                    throw ExitCode(1)
                }
            }
        }
        var metadata: Logger.Metadata = [:]
        for part in parts { metadata.merge(part.summary) { $1 } }
        logger.info("worker stopped", metadata: metadata)
    }
}

/// What the worker runs side by side: the job drain and the dispatcher.
protocol WorkerPart: Sendable {
    func requestStop()
    var isFinished: Bool { get }
    /// Figures for the last log line.
    var summary: Logger.Metadata { get }
}

extension WorkerRuntime: WorkerPart {
    var summary: Logger.Metadata {
        let statistics = statistics
        var metadata: Logger.Metadata = [
            "jobs_done": "\(statistics.done)", "jobs_retried": "\(statistics.retried)", "jobs_dead": "\(statistics.dead)",
            "jobs_released": "\(statistics.released)",
        ]
        if let seconds = secondsSinceFirstClaim, seconds > 0 {
            metadata["jobs_seconds"] = "\((seconds * 1000).rounded() / 1000)"
            metadata["jobs_per_s"] = "\(Int((Double(statistics.done + statistics.retried + statistics.dead) / seconds).rounded()))"
        }
        return metadata
    }
}

extension Dispatcher: WorkerPart {
    var summary: Logger.Metadata {
        let statistics = statistics
        return [
            "deliveries_attempted": "\(statistics.attempted)", "deliveries_skipped": "\(statistics.skipped)",
            "deliveries_released": "\(statistics.released)",
        ]
    }
}

/// All parts as one: finished when every part is.
struct WorkerParts {
    let parts: [any WorkerPart]

    init(_ parts: [any WorkerPart]) {
        self.parts = parts
    }

    var isFinished: Bool { parts.allSatisfy(\.isFinished) }

    func requestStop() {
        for part in parts { part.requestStop() }
    }
}
