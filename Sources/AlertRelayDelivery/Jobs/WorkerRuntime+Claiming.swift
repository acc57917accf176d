import AlertRelayLogic
import AlertRelayStore
import Logging
import PostgresClient
import SystemSupport

#if canImport(Glibc)
import Glibc
#endif

extension WorkerRuntime {
    /// The claimer thread: keeps the in-memory queue between half full and full while jobs are due, renews the
    /// leases it holds, and at a stop gives back what no sender started.
    func runJobClaimer() {
        let db = PostgresConnection(conninfo: config.databaseURL)
        let heartbeatNanoseconds = Int64(max(1, config.jobLeaseSeconds / 3)) * 1_000_000_000
        var nextHeartbeat = MonotonicClock.nanoseconds() + heartbeatNanoseconds
        var listening = false
        var failures = 0

        if options.drainAndExit {
            // No maintenance thread in this mode: take over the leases of dead workers once.
            _ = try? Maintenance.recoverLeases(db: db, logger: logger)
        }
        claiming: while !isStopping {
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
                let step = try claimOnce(db: db)
                failures = 0
                switch step {
                case .claimedFull, .waited: continue
                case .finished: break claiming
                case .nothingMoreDue: try waitForWork(db: db, until: nextHeartbeat)
                }
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

        giveBackUnstarted(db: db)
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

    private enum ClaimStep {
        /// As many jobs as asked for: more may be due.
        case claimedFull
        /// Waited for room in the queue or (draining) for running jobs.
        case waited
        /// Fewer than asked for: wait for a notification, a due time or the poll.
        case nothingMoreDue
        /// Draining, and nothing is due, queued or running.
        case finished
    }

    /// One claim, sized to the room in the in-memory queue.
    private func claimOnce(db: PostgresConnection) throws -> ClaimStep {
        let capacity = max(options.batchSize, options.concurrency)
        let refillAt = capacity / 2
        let seenRoom = room.generation
        let queued = state.withLock { $0.queue.count }
        if queued > refillAt {
            room.wait(since: seenRoom, milliseconds: 250)
            return .waited
        }
        let wanted = min(options.batchSize, capacity - queued)
        let jobs = try JobQueue.claim(
            limit: wanted, workerID: options.workerID, leaseSeconds: config.jobLeaseSeconds, db: db)
        if !jobs.isEmpty {
            state.withLock {
                $0.queue.append(contentsOf: jobs)
                if $0.firstClaimNanoseconds == nil { $0.firstClaimNanoseconds = MonotonicClock.nanoseconds() }
            }
            work.signal()
        }
        if jobs.count == wanted { return .claimedFull }
        // Nothing more is due now.
        if options.drainAndExit {
            let idle = state.withLock { $0.queue.isEmpty && $0.running.isEmpty }
            if jobs.isEmpty && idle { return .finished }
            room.wait(since: seenRoom, milliseconds: 100)
            return .waited
        }
        return .nothingMoreDue
    }

    /// Gives back the claimed jobs no sender started, so that another worker may take them at once.
    private func giveBackUnstarted(db: PostgresConnection) {
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
    }
}
