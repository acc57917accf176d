import AlertRelayCore
import AlertRelayLogic
import Foundation
import Logging
import PostgresClient
import Testing

/// `alert-relay-fcgi migrate`: applies sql/ in order into a fresh database, is idempotent, and refuses a migration
/// whose file changed after it was applied.
@Suite(.usesDatabase, .enabled(if: TestEnvironment.databaseTestsEnabled))
struct MigratorTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test func appliesOnceAndRefusesAnEditedMigration() throws {
        guard let url = TestEnvironment.requireDatabase() else { return }
        let name = "migrator_test_" + RandomToken.uuid4Hex().prefix(12)
        let admin = PostgresConnection(conninfo: url)
        try admin.execute(unsafeSQL: "CREATE DATABASE \(name)")
        defer { _ = try? admin.execute(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)") }

        // A copy of sql/ that this test may edit.
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("migrator-\(name)")
        try FileManager.default.copyItem(at: Self.repository.appendingPathComponent("sql"), to: directory)
        defer { try? FileManager.default.removeItem(at: directory) }
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".sql") }.sorted()

        let db = PostgresConnection(conninfo: TestEnvironment.conninfo(url, database: name))
        defer { db.close() }
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
    }
}
