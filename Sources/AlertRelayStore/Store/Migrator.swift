import AlertRelayLogic
import FoundationEssentials
import Logging
import PostgresClient

/// Applies `sql/NNN_name.sql` files in order, each in its own transaction, recording each in `schema_migrations`.
/// Safe to run twice and from two processes at once (an advisory lock serialises them).
public enum Migrator {
    static let lockKey = 7_214_001

    public struct MigrationError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Returns the versions applied by this run.
    @discardableResult
    public static func migrate(directory: String, db: PostgresConnection, logger: Logger) throws -> [String] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
                .filter { $0.hasSuffix(".sql") && $0.first?.isNumber == true }.sorted()
        } catch {
            throw MigrationError(description: "cannot read migrations directory \(directory): \(error)")
        }
        guard !names.isEmpty else { throw MigrationError(description: "no NNN_name.sql files in \(directory)") }
        var applied: [String] = []
        for name in names {
            let version = String(name.dropLast(4))
            guard let data = FileManager.default.contents(atPath: directory + "/" + name) else {
                throw MigrationError(description: "cannot read \(directory)/\(name)")
            }
            let sql = String(decoding: data, as: UTF8.self)
            let checksum = TokenHash.sha256Hex(sql)
            let ran = try db.transaction { db -> Bool in
                _ = try db.query("SELECT pg_advisory_xact_lock($1)", lockKey)
                try db.execute(unsafeSQL: """
                    CREATE TABLE IF NOT EXISTS schema_migrations (
                        version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now());
                    ALTER TABLE schema_migrations ADD COLUMN IF NOT EXISTS checksum text;
                    """)
                let applied = try db.query("SELECT checksum FROM schema_migrations WHERE version = $1", version)
                if let row = applied.first {
                    // An applied migration must never change: databases that ran the old text would silently
                    // differ from new ones. Changes go into a new file.
                    guard let recorded = try row.decode(0, as: String?.self) else {
                        // Applied before checksums were recorded (only development databases of this project's
                        // first days): what ran is unknown, so stamping today's file would hide any difference.
                        throw MigrationError(description: """
                            \(version) was applied to this database before migrations were checksummed, so it may \
                            differ from \(directory)/\(name); recreate the database (for scripts/run.sh: remove .data/pg)
                            """)
                    }
                    if recorded != checksum {
                        throw MigrationError(description: """
                            \(directory)/\(name) changed after it was applied to this database (SHA-256 \(recorded.prefix(12))… \
                            became \(checksum.prefix(12))…); put schema changes in a new migration file
                            """)
                    }
                    return false
                }
                try db.execute(unsafeSQL: sql)
                try db.execute("INSERT INTO schema_migrations (version, checksum) VALUES ($1, $2)", version, checksum)
                return true
            }
            if ran {
                logger.info("migration applied", metadata: ["version": "\(version)"])
                applied.append(version)
            }
        }
        return applied
    }
}
