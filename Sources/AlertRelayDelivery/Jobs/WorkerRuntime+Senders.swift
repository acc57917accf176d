import AlertRelayLogic
import AlertRelayStore
import Logging
import PostgresClient
import SystemSupport

#if canImport(Glibc)
import Glibc
#endif

extension WorkerRuntime {
    private enum SenderStep {
        case run(ClaimedJob)
        case idle
        case exit
    }

    func runSender(index: Int) {
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
    func persist<T>(_ what: String, _ write: () throws -> T) -> T? {
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
}
