import PostgresClient

/// One job claimed by a worker: `running`, leased to it until it finishes, fails or gives it back.
public struct ClaimedJob: Sendable, Equatable {
    public let id: Int64
    public let kind: String
    /// The payload as JSON text (jsonb's normal form: keys sorted by length, then bytes).
    public let payload: String
    /// This attempt's number, counting from 1 (incremented by the claim).
    public let attempt: Int
    public let maxAttempts: Int

    public init(id: Int64, kind: String, payload: String, attempt: Int, maxAttempts: Int) {
        self.id = id
        self.kind = kind
        self.payload = payload
        self.attempt = attempt
        self.maxAttempts = maxAttempts
    }
}

/// Where a job stands (`jobs.state`, sql/003_jobs.sql): `queued` until due and claimed, `running` while leased,
/// then `done`, `dead` (out of attempts, or failed permanently) or `cancelled`.
public enum JobState: String, Sendable, CaseIterable {
    case queued, running, done, dead, cancelled
}

/// The worker's side of the job table: claiming with `FOR UPDATE SKIP LOCKED` under a lease, finishing, failing with
/// backoff, giving back, and taking over jobs whose worker died. Every change of a claimed job is guarded by
/// `locked_by`, so a worker whose lease was taken over can no longer touch the job.
public enum JobQueue {
    /// The channel the insert trigger of `jobs` notifies (sql/003_jobs.sql).
    public static let channel = "alert_relay_jobs"

    /// The kind that does nothing and completes: for benchmarks and for testing the queue itself.
    public static let noopKind = "noop"

    /// Claims up to `limit` due queued jobs, oldest due first, for `workerID` until now + `leaseSeconds`;
    /// counts the attempt. Jobs locked by a concurrent claim are skipped, never waited for.
    public static func claim(
        limit: Int, workerID: String, leaseSeconds: Int, db: PostgresConnection
    ) throws -> [ClaimedJob] {
        // MATERIALIZED keeps the locking subquery a single scan: the UPDATE can never re-run it and lock
        // more than `limit` rows.
        let rows = try db.query(
            """
            WITH due AS MATERIALIZED (
                SELECT id FROM jobs WHERE state = 'queued' AND run_at <= now()
                ORDER BY run_at, id LIMIT $1 FOR UPDATE SKIP LOCKED
            )
            UPDATE jobs j SET state = 'running', attempts = j.attempts + 1, locked_by = $2,
                              locked_until = now() + make_interval(secs => $3), updated_at = now()
            FROM due WHERE j.id = due.id
            RETURNING j.id, j.kind, j.payload::text, j.attempts, j.max_attempts
            """, limit, workerID, leaseSeconds)
        var jobs: [ClaimedJob] = []
        jobs.reserveCapacity(rows.count)
        for row in rows {
            jobs.append(
                ClaimedJob(
                    id: try row.decode(0, as: Int64.self), kind: try row.decode(1, as: String.self),
                    payload: try row.decode(2, as: String.self), attempt: try row.decode(3, as: Int.self),
                    maxAttempts: try row.decode(4, as: Int.self)))
        }
        // RETURNING has no order; run them in id order (close to the claim's run_at order).
        jobs.sort { $0.id < $1.id }
        return jobs
    }

    /// Marks the jobs `done`. Returns how many were still this worker's.
    @discardableResult
    public static func complete(ids: [Int64], workerID: String, db: PostgresConnection) throws -> Int {
        guard !ids.isEmpty else { return 0 }
        return try db.execute(
            """
            UPDATE jobs SET state = 'done', finished_at = now(), updated_at = now(), locked_until = NULL
            WHERE id = ANY($1::bigint[]) AND locked_by = $2 AND state = 'running'
            """, ids, workerID)
    }

    /// What became of a failed job.
    public enum FailureResult: String, Sendable, Equatable {
        /// Queued again with a later `run_at`.
        case retrying = "queued"
        /// No more attempts: `dead`, with `last_error` kept.
        case dead
        /// The job was no longer this worker's (its lease was taken over); nothing changed.
        case notOwned
    }

    /// Records a failed attempt: `dead` when `permanent` or the attempts are used up, else queued again in
    /// `delaySeconds`. `error` is kept in `last_error` and must hold no secrets.
    @discardableResult
    public static func fail(
        id: Int64, workerID: String, error: String, permanent: Bool, delaySeconds: Double, db: PostgresConnection
    ) throws -> FailureResult {
        let rows = try db.query(
            """
            UPDATE jobs SET
                state = CASE WHEN $3 OR attempts >= max_attempts THEN 'dead' ELSE 'queued' END,
                run_at = CASE WHEN $3 OR attempts >= max_attempts THEN run_at
                              ELSE now() + make_interval(secs => $4) END,
                finished_at = CASE WHEN $3 OR attempts >= max_attempts THEN now() END,
                locked_by = CASE WHEN $3 OR attempts >= max_attempts THEN locked_by END,
                locked_until = NULL, last_error = $5, updated_at = now()
            WHERE id = $1 AND locked_by = $2 AND state = 'running'
            RETURNING state
            """, id, workerID, permanent, delaySeconds, String(error.prefix(2000)))
        guard let row = rows.first else { return .notOwned }
        return try row.decode("state", as: JobState.self) == .dead ? .dead : .retrying
    }

    /// Gives claimed jobs that were never started back to the queue (their attempt is not counted) and wakes
    /// other workers. Returns how many were given back.
    @discardableResult
    public static func release(ids: [Int64], workerID: String, db: PostgresConnection) throws -> Int {
        guard !ids.isEmpty else { return 0 }
        let released = try db.execute(
            """
            UPDATE jobs SET state = 'queued', attempts = greatest(attempts - 1, 0), locked_by = NULL,
                            locked_until = NULL, updated_at = now()
            WHERE id = ANY($1::bigint[]) AND locked_by = $2 AND state = 'running'
            """, ids, workerID)
        if released > 0 { try db.notify(channel, payload: "") }
        return released
    }

    /// Extends the lease of jobs this worker still holds (queued in memory or running) to now + `leaseSeconds`.
    @discardableResult
    public static func extendLeases(
        ids: [Int64], workerID: String, leaseSeconds: Int, db: PostgresConnection
    ) throws -> Int {
        guard !ids.isEmpty else { return 0 }
        return try db.execute(
            """
            UPDATE jobs SET locked_until = now() + make_interval(secs => $3)
            WHERE id = ANY($1::bigint[]) AND locked_by = $2 AND state = 'running'
            """, ids, workerID, leaseSeconds)
    }

    /// Takes over up to `limit` jobs whose lease expired (their worker died or hung): queued again at once, or
    /// `dead` when that was their last attempt. Returns (requeued, dead).
    public static func recoverExpiredLeases(limit: Int, db: PostgresConnection) throws -> (requeued: Int, dead: Int) {
        let rows = try db.query(
            """
            WITH expired AS MATERIALIZED (
                SELECT id FROM jobs WHERE state = 'running' AND locked_until < now()
                ORDER BY locked_until LIMIT $1 FOR UPDATE SKIP LOCKED
            )
            UPDATE jobs j SET
                state = CASE WHEN j.attempts >= j.max_attempts THEN 'dead' ELSE 'queued' END,
                finished_at = CASE WHEN j.attempts >= j.max_attempts THEN now() END,
                last_error = 'lease of worker ' || coalesce(j.locked_by, '?') || ' expired during attempt '
                             || j.attempts,
                run_at = now(), locked_by = NULL, locked_until = NULL, updated_at = now()
            FROM expired WHERE j.id = expired.id
            RETURNING j.state
            """, limit)
        var requeued = 0
        var dead = 0
        for row in rows {
            if try row.decode("state", as: JobState.self) == .dead { dead += 1 } else { requeued += 1 }
        }
        if requeued > 0 { try db.notify(channel, payload: "") }
        return (requeued, dead)
    }

    /// Milliseconds until the next queued job falls due (0 when one is due now); nil when nothing is queued.
    public static func millisecondsUntilNextDue(db: PostgresConnection) throws -> Int64? {
        try db.query(
            """
            SELECT CASE WHEN min(run_at) IS NOT NULL
                        THEN greatest(0, ceil(extract(epoch FROM (min(run_at) - clock_timestamp())) * 1000))::bigint END
            FROM jobs WHERE state = 'queued'
            """
        ).first?.decode(0, as: Int64?.self)
    }

    /// Writes a `noop` job (benchmarks and queue tests).
    public static func enqueueNoop(count: Int, db: PostgresConnection) throws {
        try db.execute(
            "INSERT INTO jobs (kind, payload, max_attempts) SELECT 'noop', '{}', 3 FROM generate_series(1, $1)", count)
    }
}

/// Exponential backoff with ±20% jitter for failed jobs: `base × 2^(attempt−1)`, capped at `max`.
public struct JobBackoff: Sendable, Equatable {
    public var baseSeconds: Double
    public var maxSeconds: Double

    public init(baseSeconds: Double, maxSeconds: Double) {
        self.baseSeconds = baseSeconds
        self.maxSeconds = maxSeconds
    }

    /// The delay before the attempt after `attempt` (1-based) failed; `unit` in 0...1 places it in the ±20% band.
    public func delay(afterAttempt attempt: Int, unit: Double) -> Double {
        let exponent = Double(min(max(attempt - 1, 0), 40))
        let nominal = min(maxSeconds, baseSeconds * pow2(exponent))
        return nominal * (0.8 + 0.4 * min(max(unit, 0), 1))
    }

    /// `delay(afterAttempt:unit:)` with a random `unit`.
    public func delay(afterAttempt attempt: Int) -> Double {
        delay(afterAttempt: attempt, unit: Double.random(in: 0...1))
    }

    private func pow2(_ exponent: Double) -> Double {
        var value = 1.0
        for _ in 0..<Int(exponent) { value *= 2 }
        return value
    }
}
