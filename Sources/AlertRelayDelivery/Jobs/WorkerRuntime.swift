import AlertRelayLogic
import AlertRelayStore
import CurlClient
import Logging
import PostgresClient
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

/// The worker's job drain: a claimer thread claims due jobs in batches (woken by LISTEN/NOTIFY, with a slow poll as
/// fallback) into an in-memory queue; `concurrency` sender threads run them; a maintenance thread takes over
/// expired leases and runs the retention sweep. `requestStop()` stops claiming, gives back unstarted jobs and lets
/// the running ones finish.
public final class WorkerRuntime: Sendable {
    struct State: Sendable {
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

    enum Outcome {
        case done(String)
        case retry(String)
        case dead(String)
    }

    public let config: Config
    public let options: WorkerOptions
    let logger: Logger
    let metrics: Metrics
    let backoff: JobBackoff
    let state = SleepingMutex(State())
    /// Jobs were queued, or claiming is over.
    let work = WakeEvent()
    /// A job finished or left the queue.
    let room = WakeEvent()
    /// Stop requested.
    let stopEvent = WakeEvent()

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

    /// Starts the claimer, the senders and (unless draining) the maintenance thread.
    public func start() throws(StartError) {
        // libcurl's global init is not thread-safe: run it before the first sender thread exists.
        CurlRuntime.initialize()
        var bodies: [@Sendable () -> Void] = [{ self.runJobClaimer() }]
        for index in 0..<options.concurrency { bodies.append { self.runSender(index: index) } }
        if !options.drainAndExit { bodies.append { self.runMaintenance() } }
        state.withLock {
            $0.started = true
            $0.liveThreads = bodies.count
        }
        let started = Threads.startDetached(all: bodies.map { body in { body(); self.threadExited() } })
        guard started == bodies.count else {
            // Threads already running see the stop and wind down; the ones never started are not waited for.
            state.withLock { $0.liveThreads -= bodies.count - started }
            requestStop()
            throw StartError(description: "could not create worker thread \(started + 1) of \(bodies.count)")
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

    public var statistics: WorkerStatistics { state.withLock { $0.statistics } }

    /// Seconds from the first successful claim until now (nil before any claim).
    public var secondsSinceFirstClaim: Double? {
        state.withLock { $0.firstClaimNanoseconds }.map { Double(MonotonicClock.nanoseconds() - $0) / 1e9 }
    }

    var isStopping: Bool { state.withLock { $0.stopping } }

    func threadExited() {
        state.withLock { $0.liveThreads -= 1 }
    }
}
