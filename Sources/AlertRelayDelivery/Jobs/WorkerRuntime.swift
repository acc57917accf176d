import AlertRelayLogic
import AlertRelayStore
import CurlClient
import Logging
import PostgresClient
import Synchronization
import SystemSupport

#if canImport(Glibc)
import Glibc
#endif

/// How one worker process runs.
public struct WorkerOptions: Sendable {
    /// Sender threads; each owns one database connection and its SMTP/HTTP clients.
    public var concurrency: Int
    /// Most jobs claimed by one statement; the process holds at most max(batchSize, concurrency) unstarted jobs.
    public var batchSize: Int
    /// Exit once no job is due and none is running (benchmarks, tests); no maintenance thread.
    public var drainAndExit: Bool
    /// Written into `locked_by`; unique per process.
    public var workerID: String

    public init(concurrency: Int, batchSize: Int, drainAndExit: Bool = false, workerID: String = WorkerOptions.makeWorkerID()) {
        self.concurrency = concurrency
        self.batchSize = batchSize
        self.drainAndExit = drainAndExit
        self.workerID = workerID
    }

    /// `host:pid:random`.
    public static func makeWorkerID() -> String {
        var name = [CChar](repeating: 0, count: 256)
        let host = gethostname(&name, name.count - 1) == 0
            ? String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : "worker"
        return "\(host):\(getpid()):\(RandomToken.uuid4Hex().prefix(6))"
    }
}

/// Job counts of one worker process.
public struct WorkerStatistics: Sendable, Equatable {
    public var done = 0
    public var retried = 0
    public var dead = 0
    public var released = 0
}

/// The worker: a dispatcher thread claims due jobs in batches (woken by LISTEN/NOTIFY, with a slow poll as
/// fallback) into an in-memory queue; `concurrency` sender threads run them; a maintenance thread takes over
/// expired leases and runs the retention sweep. `requestStop()` stops claiming, gives back unstarted jobs and lets
/// the running ones finish.
public final class WorkerRuntime: Sendable {
    private struct State: Sendable {
        var queue: [ClaimedJob] = []
        var running: Set<Int64> = []
        var stopping = false
        /// The dispatcher adds no more jobs: senders exit once the queue is empty.
        var claimingDone = false
        var liveThreads = 0
        var started = false
        var statistics = WorkerStatistics()
        var firstClaimNanoseconds: Int64?
    }

    private enum Outcome {
        case done(String)
        case retry(String)
        case dead(String)
    }

    public let config: Config
    public let options: WorkerOptions
    private let logger: Logger
    private let metrics: Metrics
    private let backoff: JobBackoff
    private let state = Mutex(State())
    /// Jobs were queued, or claiming is over.
    private let work = WakeEvent()
    /// A job finished or left the queue.
    private let room = WakeEvent()
    /// Stop requested.
    private let stopEvent = WakeEvent()
    /// A thread exited.
    private let exited = WakeEvent()

    /// `metrics`: where attempts are counted (shared with the dispatcher of the same process, whose figures the
    /// metrics file shows too).
    public init(config: Config, options: WorkerOptions, metrics: Metrics = Metrics(), logger: Logger) {
        self.config = config
        self.options = options
        self.metrics = metrics
        var logger = logger
        logger[metadataKey: "worker"] = "\(options.workerID)"
        self.logger = logger
        backoff = JobBackoff(
            baseSeconds: Double(config.jobBackoffBaseSeconds), maxSeconds: Double(config.jobBackoffMaxSeconds))
    }

    /// Could not start the threads.
    public struct StartError: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// Starts the dispatcher, the senders and (unless draining) the maintenance thread.
    public func start() throws(StartError) {
        // libcurl's global init is not thread-safe: run it before the first sender thread exists.
        CurlRuntime.initialize()
        var bodies: [@Sendable () -> Void] = [{ self.runDispatcher() }]
        for index in 0..<options.concurrency { bodies.append { self.runSender(index: index) } }
        if !options.drainAndExit { bodies.append { self.runMaintenance() } }
        state.withLock {
            $0.started = true
            $0.liveThreads = bodies.count
        }
        for (index, body) in bodies.enumerated() {
            guard Threads.startDetached({ body(); self.threadExited() }) else {
                // Threads already running see the stop and wind down; the ones never started are not waited for.
                state.withLock { $0.liveThreads -= bodies.count - index }
                requestStop()
                throw StartError(description: "could not create worker thread \(index + 1) of \(bodies.count)")
            }
        }
        logger.info(
            "worker started",
            metadata: [
                "concurrency": "\(options.concurrency)", "batch_size": "\(options.batchSize)",
                "transport": "\(config.mailTransport.rawValue)", "drain_and_exit": "\(options.drainAndExit)",
            ])
    }

    /// Stops claiming; unstarted jobs are given back and running ones finish. Returns at once.
    public func requestStop() {
        state.withLock { $0.stopping = true }
        stopEvent.signal()
        work.signal()
        room.signal()
    }

    /// True once every thread has exited (after a stop, or when draining found no more work).
    public var isFinished: Bool {
        state.withLock { $0.started && $0.liveThreads == 0 }
    }

    /// Waits up to `milliseconds` for every thread to exit; returns `isFinished`.
    public func waitUntilFinished(milliseconds: Int) -> Bool {
        let deadline = MonotonicClock.nanoseconds() + Int64(milliseconds) * 1_000_000
        while true {
            let seen = exited.generation
            if isFinished { return true }
            let left = (deadline - MonotonicClock.nanoseconds()) / 1_000_000
            if left <= 0 { return false }
            exited.wait(since: seen, milliseconds: Int(left))
        }
    }

    public var statistics: WorkerStatistics { state.withLock { $0.statistics } }

    /// Seconds from the first successful claim until now (nil before any claim).
    public var secondsSinceFirstClaim: Double? {
        state.withLock { $0.firstClaimNanoseconds }.map { Double(MonotonicClock.nanoseconds() - $0) / 1e9 }
    }

    private var isStopping: Bool { state.withLock { $0.stopping } }

    private func threadExited() {
        state.withLock { $0.liveThreads -= 1 }
        exited.signal()
    }

    // MARK: - Dispatcher

    private func runDispatcher() {
        let db = PostgresConnection(conninfo: config.databaseURL)
        let capacity = max(options.batchSize, options.concurrency)
        let refillAt = capacity / 2
        let heartbeatNanoseconds = Int64(max(1, config.jobLeaseSeconds / 3)) * 1_000_000_000
        var nextHeartbeat = MonotonicClock.nanoseconds() + heartbeatNanoseconds
        var listening = false
        var failures = 0

        if options.drainAndExit {
            // No maintenance thread in this mode: take over the leases of dead workers once.
            _ = try? Maintenance.recoverLeases(db: db, logger: logger)
        }
        while !isStopping {
            do {
                if !listening {
                    // Re-issued by the connection itself after a reconnect.
                    try db.listen(JobQueue.channel)
                    listening = true
                }
                if MonotonicClock.nanoseconds() >= nextHeartbeat {
                    try heartbeat(db: db)
                    nextHeartbeat = MonotonicClock.nanoseconds() + heartbeatNanoseconds
                }
                let seenRoom = room.generation
                let queued = state.withLock { $0.queue.count }
                if queued > refillAt {
                    room.wait(since: seenRoom, milliseconds: 250)
                    continue
                }
                let wanted = min(options.batchSize, capacity - queued)
                let jobs = try JobQueue.claim(
                    limit: wanted, workerID: options.workerID, leaseSeconds: config.jobLeaseSeconds, db: db)
                failures = 0
                if !jobs.isEmpty {
                    state.withLock {
                        $0.queue.append(contentsOf: jobs)
                        if $0.firstClaimNanoseconds == nil { $0.firstClaimNanoseconds = MonotonicClock.nanoseconds() }
                    }
                    work.signal()
                }
                if jobs.count == wanted { continue }
                // Nothing more is due now.
                if options.drainAndExit {
                    let idle = state.withLock { $0.queue.isEmpty && $0.running.isEmpty }
                    if jobs.isEmpty && idle { break }
                    room.wait(since: seenRoom, milliseconds: 100)
                    continue
                }
                try waitForWork(db: db, until: nextHeartbeat)
            } catch {
                failures += 1
                if failures == 1 || failures % 20 == 0 {
                    logger.error("cannot claim jobs", metadata: ["error": "\(error)", "failures": "\(failures)"])
                }
                let seen = stopEvent.generation
                if isStopping { break }
                stopEvent.wait(since: seen, milliseconds: min(5000, 100 << min(failures, 6)))
            }
        }

        let unstarted = state.withLock { state -> [Int64] in
            let ids = state.queue.map(\.id)
            state.queue.removeAll()
            return ids
        }
        if !unstarted.isEmpty {
            let released = persist("give back unstarted jobs") {
                try JobQueue.release(ids: unstarted, workerID: options.workerID, db: db)
            }
            state.withLock { $0.statistics.released += released ?? 0 }
            logger.info("gave back claimed jobs not started", metadata: ["jobs": "\(released ?? 0)"])
        }
        state.withLock { $0.claimingDone = true }
        work.signal()
    }

    /// Sleeps until a notification arrives, a queued job falls due, the heartbeat is due or the poll interval
    /// passes; in slices, so a stop request is seen within a quarter second.
    private func waitForWork(db: PostgresConnection, until heartbeat: Int64) throws {
        var milliseconds = Int64(config.jobPollSeconds) * 1000
        if let nextDue = try JobQueue.millisecondsUntilNextDue(db: db) { milliseconds = min(milliseconds, nextDue) }
        // Our own retries are scheduled while we wait; look again soon while jobs are running.
        if state.withLock({ !$0.running.isEmpty }) { milliseconds = min(milliseconds, 1000) }
        // Due jobs that a concurrent claim had locked: look again shortly, never spin.
        milliseconds = max(milliseconds, 20)
        let deadline = min(MonotonicClock.nanoseconds() + milliseconds * 1_000_000, heartbeat)
        while !isStopping {
            let left = (deadline - MonotonicClock.nanoseconds()) / 1_000_000
            if left <= 0 { return }
            if !(try db.waitForNotifications(timeoutMilliseconds: Int(min(left, 250)))).isEmpty { return }
        }
    }

    private func heartbeat(db: PostgresConnection) throws {
        let held = state.withLock { $0.queue.map(\.id) + Array($0.running) }
        try JobQueue.extendLeases(
            ids: held, workerID: options.workerID, leaseSeconds: config.jobLeaseSeconds, db: db)
    }

    // MARK: - Senders

    private enum SenderStep {
        case run(ClaimedJob)
        case idle
        case exit
    }

    private func runSender(index: Int) {
        let services = ThreadServices(databaseURL: config.databaseURL)
        let email = EmailSender(config: config, logger: logger)
        var completed: [Int64] = []  // no-op jobs done but not yet written
        while true {
            let seen = work.generation
            let step = state.withLock { state -> SenderStep in
                if !state.queue.isEmpty {
                    let job = state.queue.removeFirst()
                    state.running.insert(job.id)
                    return .run(job)
                }
                return state.claimingDone ? .exit : .idle
            }
            switch step {
            case .run(let job):
                let started = MonotonicClock.nanoseconds()
                let outcome = execute(job, services: services, email: email)
                record(job, outcome, started: started, db: services.db, completed: &completed)
                state.withLock { _ = $0.running.remove(job.id) }
                room.signal()
            case .idle:
                if !completed.isEmpty {
                    flush(&completed, db: services.db)
                    continue
                }
                work.wait(since: seen, milliseconds: 1000)
            case .exit:
                flush(&completed, db: services.db)
                return
            }
        }
    }

    private func execute(_ job: ClaimedJob, services: ThreadServices, email: EmailSender) -> Outcome {
        switch job.kind {
        case JobQueue.noopKind:
            return .done("noop")
        case JobStore.Kind.email:
            guard let payload = parseObject(job.payload) else { return .dead("payload is not a JSON object") }
            let message: EmailJob
            do {
                message = try EmailJob(payload: payload)
            } catch {
                return .dead(error.description)
            }
            switch email.send(message) {
            case .sent(let detail): return .done(detail)
            case .failed(let error, let permanent): return permanent ? .dead(error) : .retry(error)
            }
        default:
            return .dead("unknown job kind")
        }
    }

    private func parseObject(_ text: String) -> JSONObject? {
        guard let value = try? JSONValue.parse(text) else { return nil }
        return value.objectValue
    }

    private func record(_ job: ClaimedJob, _ outcome: Outcome, started: Int64, db: PostgresConnection, completed: inout [Int64]) {
        let milliseconds = Double(MonotonicClock.nanoseconds() - started) / 1e6
        var metadata: Logger.Metadata = [
            "job": "\(job.id)", "kind": "\(job.kind)", "attempt": "\(job.attempt)/\(job.maxAttempts)",
            "duration_ms": "\(Int(milliseconds.rounded()))",
        ]
        switch outcome {
        case .done(let detail):
            state.withLock { $0.statistics.done += 1 }
            if job.kind == JobQueue.noopKind {
                // No side effect to repeat, so completions are written in batches.
                completed.append(job.id)
                if completed.count >= 256 { flush(&completed, db: db) }
                logger.debug("job done", metadata: metadata)
                return
            }
            let owned = persist("record a finished job") {
                try JobQueue.complete(ids: [job.id], workerID: options.workerID, db: db)
            }
            metadata["result"] = "\(detail)"
            if owned == 0 {
                logger.warning("job done, but its lease had been taken over", metadata: metadata)
            } else {
                logger.info("job done", metadata: metadata)
            }
        case .retry(let error), .dead(let error):
            var permanent = false
            if case .dead = outcome { permanent = true }
            let delay = backoff.delay(afterAttempt: job.attempt)
            let result = persist("record a failed job") {
                try JobQueue.fail(
                    id: job.id, workerID: options.workerID, error: error, permanent: permanent, delaySeconds: delay,
                    db: db)
            }
            metadata["error"] = "\(error)"
            switch result {
            case .retrying?:
                state.withLock { $0.statistics.retried += 1 }
                metadata["retry_in_s"] = "\(Int(delay.rounded()))"
                logger.warning("job failed, retry scheduled", metadata: metadata)
            case .dead?:
                state.withLock { $0.statistics.dead += 1 }
                logger.error("job dead", metadata: metadata)
            case .notOwned?:
                logger.warning("job failed, but its lease had been taken over", metadata: metadata)
            case nil:
                break
            }
        }
    }

    private func flush(_ completed: inout [Int64], db: PostgresConnection) {
        guard !completed.isEmpty else { return }
        let ids = completed
        completed.removeAll(keepingCapacity: true)
        _ = persist("record finished jobs") { try JobQueue.complete(ids: ids, workerID: options.workerID, db: db) }
    }

    /// Runs a job-table write, retrying a few times over about three seconds; a write that still fails leaves the
    /// job to be retried when its lease expires.
    private func persist<T>(_ what: String, _ write: () throws -> T) -> T? {
        var lastError: (any Error)?
        for pause in [0, 100, 300, 1000, 2000] {
            // A plain sleep: a stop request must not cut the retries of a write short.
            if pause > 0 { usleep(UInt32(pause * 1000)) }
            do {
                return try write()
            } catch {
                lastError = error
            }
        }
        logger.error(
            "cannot persist a job's state; the job runs again when its lease expires",
            metadata: ["action": "\(what)", "error": "\(lastError.map { "\($0)" } ?? "unknown")"])
        return nil
    }

    // MARK: - Maintenance

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

    private func runMaintenance() {
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
