import AlertRelayAPI
import AlertRelayDelivery
import AlertRelayStore
import AlertRelayLogic
import Foundation
import Logging
import PostgresClient

/// The repository checkout the tests run from (for sql/ and scripts/).
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()

/// A database of its own on the test server, for tests that need an empty schema or may break it; `drop()` removes it.
struct ScratchDatabase {
    let name: String
    let conninfo: String
    let db: PostgresConnection
    let admin: PostgresConnection

    /// Creates `<prefix>_<random>` on the server of `serverURL`, migrated from sql/ when `migrated`.
    static func create(serverURL: String, prefix: String, migrated: Bool = true) throws -> ScratchDatabase {
        let name = prefix + "_" + RandomToken.uuid4Hex().prefix(12)
        let admin = PostgresConnection(conninfo: serverURL)
        try admin.execute(unsafeSQL: "CREATE DATABASE \(name)")
        let conninfo = TestEnvironment.conninfo(serverURL, database: name)
        let database = ScratchDatabase(name: name, conninfo: conninfo, db: PostgresConnection(conninfo: conninfo), admin: admin)
        if migrated {
            do {
                try Migrator.migrate(
                    directory: repositoryRoot.appendingPathComponent("sql").path, db: database.db, logger: Logger(label: "test"))
            } catch {
                database.drop()
                throw error
            }
        }
        return database
    }

    func drop() {
        db.close()
        _ = try? admin.execute(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
        admin.close()
    }
}
