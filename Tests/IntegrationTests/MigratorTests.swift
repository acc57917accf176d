import AlertRelayAPI
import AlertRelayDelivery
import AlertRelayStore
import AlertRelayLogic
import Foundation
import Logging
import PostgresClient
import Testing

/// `alert-relay-fcgi migrate`: applies sql/ in order into a fresh database, is idempotent, and refuses a migration
/// whose file changed after it was applied.
@Suite(.usesDatabase, .enabled(if: TestEnvironment.databaseTestsEnabled))
struct MigratorTests {
    @Test func appliesOnceAndRefusesAnEditedMigration() throws {
        let url = try TestEnvironment.requireDatabase()
        let scratch = try ScratchDatabase.create(serverURL: url, prefix: "migrator_test", migrated: false)
        defer { scratch.drop() }

        // A copy of sql/ that this test may edit.
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("migrator-\(scratch.name)")
        try FileManager.default.copyItem(at: repositoryRoot.appendingPathComponent("sql"), to: directory)
        defer { try? FileManager.default.removeItem(at: directory) }
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".sql") }.sorted()

        let db = scratch.db
        let logger = Logger(label: "migrator-test")
        let first = try Migrator.migrate(directory: directory.path, db: db, logger: logger)
        #expect(first == files.map { String($0.dropLast(4)) })
        #expect(try Migrator.migrate(directory: directory.path, db: db, logger: logger).isEmpty)
        let recorded = try db.query("SELECT count(*)::int FROM schema_migrations WHERE checksum IS NOT NULL")[0]
        #expect(try recorded.decode(0, as: Int.self) == files.count)

        let edited = directory.appendingPathComponent(try #require(files.first))
        let handle = try FileHandle(forWritingTo: edited)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("\n-- edited after it was applied\n".utf8))
        try handle.close()
        do {
            try Migrator.migrate(directory: directory.path, db: db, logger: logger)
            Issue.record("an edited, already applied migration was accepted")
        } catch let error as Migrator.MigrationError {
            #expect(error.description.contains(files[0]))
            #expect(error.description.contains("new migration"))
        }

        // A version applied before checksums were recorded is not stamped with today's file: what ran is unknown.
        let second = String(files[1].dropLast(4))
        try db.execute("UPDATE schema_migrations SET checksum = NULL WHERE version = $1", second)
        try FileManager.default.copyItem(
            at: repositoryRoot.appendingPathComponent("sql/\(files[0])"), to: directory.appendingPathComponent("restored"))
        try FileManager.default.removeItem(at: edited)
        try FileManager.default.moveItem(at: directory.appendingPathComponent("restored"), to: edited)
        do {
            try Migrator.migrate(directory: directory.path, db: db, logger: logger)
            Issue.record("a migration without a recorded checksum was accepted")
        } catch let error as Migrator.MigrationError {
            #expect(error.description.contains(second) && error.description.contains("recreate the database"))
        }
        let unstamped = try db.query("SELECT checksum FROM schema_migrations WHERE version = $1", second)
        #expect(try unstamped[0].decode(0, as: String?.self) == nil)
    }
}
