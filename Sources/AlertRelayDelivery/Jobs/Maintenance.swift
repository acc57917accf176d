import AlertRelayStore
import Logging
import PostgresClient

/// The worker's housekeeping: retention deletes in small batches (each statement its own short transaction, so no
/// long locks), run by one worker at a time under an advisory lock; and the takeover of stale leases.
public enum Maintenance {
    /// Advisory lock key of the retention sweep (any worker may hold it; the others skip the sweep).
    static let sweepLockKey = 7_214_002
    /// Request-log entries per app and event type that retention never deletes.
    public static let keptLogEntries = 100

    /// Rows removed by one sweep.
    public struct SweepResult: Sendable, Equatable {
        public var requestLog = 0
        public var jobs = 0
        public var deliveries = 0
        /// False when another worker held the sweep lock and this call did nothing.
        public var ran = false

        public init() {}
    }

    /// Deletes request-log entries (except the newest ``keptLogEntries`` of each app and event type) and finished
    /// deliveries older than `requestLogRetentionDays`, and finished jobs
    /// (`done`, `dead`, `cancelled`) older than `jobRetentionDays`, `batchSize` rows per statement. `shouldStop` is
    /// checked between statements.
    public static func sweep(
        config: Config, db: PostgresConnection, batchSize: Int = 1000, shouldStop: () -> Bool = { false }
    ) throws -> SweepResult {
        var result = SweepResult()
        guard try db.query("SELECT pg_try_advisory_lock($1)", sweepLockKey).first?.decode(0, as: Bool.self) == true
        else { return result }
        defer { _ = try? db.query("SELECT pg_advisory_unlock($1)", sweepLockKey) }
        result.ran = true

        func repeatBatches(_ statement: () throws -> Int) throws -> Int {
            var total = 0
            while !shouldStop() {
                let deleted = try statement()
                total += deleted
                if deleted < batchSize { break }
            }
            return total
        }
        let logDays = config.requestLogRetentionDays
        // Rows arrive in id order, so everything below the first id inside the retention is expired: a range of
        // the primary key bounds every statement below (no index on the dates, which deletes would spoil).
        let logBound = try firstRetainedID(table: .requestLog, days: logDays, db: db)
        // Whatever their age, the newest `keptLogEntries` of each app and event type stay (the reference's
        // buffer of 100): an integration that went quiet still shows what happened last. Their floors are
        // found once per sweep, for the pairs that have expired rows; the floor and the deletes (oldest first)
        // walk request_log_app_event_idx (sql/007).
        let floors = try db.query(
            """
            SELECT p.app_id, p.event_type,
                   (SELECT k.id FROM request_log k WHERE k.app_id = p.app_id AND k.event_type = p.event_type
                    ORDER BY k.app_id DESC, k.event_type DESC, k.id DESC OFFSET $2 LIMIT 1)
            FROM (SELECT DISTINCT app_id, event_type FROM request_log WHERE id < $1) p
            """, logBound, keptLogEntries - 1)
        for floor in floors where !shouldStop() {
            // No floor: the pair has no more than the kept entries, so none of them goes.
            guard let floorID = try floor.decode(2, as: Int64?.self) else { continue }
            let appID = try floor.decode(0, as: Int64.self)
            let eventType = try floor.decode(1, as: String.self)
            result.requestLog += try repeatBatches {
                try db.execute(
                    """
                    DELETE FROM request_log WHERE id IN (
                        SELECT id FROM request_log
                        WHERE app_id = $1 AND event_type = $2 AND id < $3
                        ORDER BY app_id, event_type, id
                        LIMIT $4)
                    """, appID, eventType, min(floorID, logBound), batchSize)
            }
        }
        result.jobs = try repeatBatches {
            try db.execute(
                """
                DELETE FROM jobs WHERE id IN (
                    SELECT id FROM jobs
                    WHERE state IN ('done', 'dead', 'cancelled') AND finished_at < now() - make_interval(days => $1)
                    LIMIT $2)
                """, config.jobRetentionDays, batchSize)
        }
        // Only finished deliveries, created and finished before the retention: a pending one will still be attempted.
        let deliveryBound = try firstRetainedID(table: .deliveries, days: logDays, db: db)
        result.deliveries = try repeatBatches {
            try db.execute(
                """
                DELETE FROM deliveries WHERE id IN (
                    SELECT id FROM deliveries
                    WHERE id < $1 AND status IN ('delivered', 'failed') AND date_updated < now() - make_interval(days => $2)
                    ORDER BY id
                    LIMIT $3)
                """, deliveryBound, logDays, batchSize)
        }
        return result
    }

    private enum DatedTable {
        case requestLog, deliveries
    }

    /// The smallest id whose row is younger than `days` (one past the largest id when none is): every row below it
    /// is older. Reads the primary key from the start, so it passes only the expired rows retention keeps or has
    /// yet to delete.
    private static func firstRetainedID(table: DatedTable, days: Int, db: PostgresConnection) throws -> Int64 {
        let rows: PostgresResult
        switch table {
        case .requestLog:
            rows = try db.query(
                """
                SELECT coalesce((SELECT id FROM request_log WHERE date >= now() - make_interval(days => $1) ORDER BY id LIMIT 1),
                                (SELECT coalesce(max(id), 0) + 1 FROM request_log))
                """, days)
        case .deliveries:
            rows = try db.query(
                """
                SELECT coalesce((SELECT id FROM deliveries WHERE date_created >= now() - make_interval(days => $1)
                                 ORDER BY id LIMIT 1),
                                (SELECT coalesce(max(id), 0) + 1 FROM deliveries))
                """, days)
        }
        return try rows[0].decode(0, as: Int64.self)
    }

    /// Takes over expired job leases; returns how many. (Deliveries need no takeover: a dispatcher's claim takes a
    /// `sending` delivery whose lease has passed like any due one.)
    public static func recoverLeases(db: PostgresConnection, logger: Logger) throws -> Int {
        var jobs = 0
        while true {
            let (requeued, dead) = try JobQueue.recoverExpiredLeases(limit: 1000, db: db)
            if requeued + dead > 0 {
                logger.warning(
                    "took over jobs whose lease expired", metadata: ["requeued": "\(requeued)", "dead": "\(dead)"])
            }
            jobs += requeued + dead
            if requeued + dead < 1000 { break }
        }
        return jobs
    }
}
