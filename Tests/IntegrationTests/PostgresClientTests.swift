import Foundation
import PostgresClient
import SystemSupport
import Testing

private struct BodyFailure: Error, Equatable {
    let marker: String
}

private func openConnection(_ conninfo: String) throws -> PostgresConnection {
    let connection = PostgresConnection(conninfo: conninfo)
    try connection.connect()
    return connection
}

private func uniqueChannel() -> String {
    "pgtest_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
}

private func backendPID(_ connection: PostgresConnection) throws -> Int32 {
    try #require(connection.query("SELECT pg_backend_pid()").first).decode(0, as: Int32.self)
}

/// Terminates `pid` from a separate connection and waits until the backend is gone.
private func terminateBackend(_ pid: Int32, conninfo: String) throws {
    let killer = try openConnection(conninfo)
    defer { killer.close() }
    let row = try #require(killer.query("SELECT pg_terminate_backend($1, 5000)", pid).first)
    #expect(try row.decode(0, as: Bool.self))
}

// MARK: - Real database

@Suite(.enabled(if: TestEnvironment.databaseTestsEnabled), .usesDatabase)
struct PostgresClientTests {
    @Test func bindsRoundTripIncludingNullAndUnicode() throws {
        let url = try TestEnvironment.requireDatabase()
        let db = try openConnection(url)
        let text = "Alarm 🚨 日本語 中文 한국어 \"quoted\" 'single' back\\slash\nline2"
        let rows = try db.query(
            """
            SELECT $1::text AS t, $2::text AS n, $3::int8 AS big, $4::int4 AS small, $5::bool AS flag,
                   $6::float8 AS d, $7::text AS sub, $8::int8 AS i,
                   char_length($1::text) AS chars, octet_length($1::text) AS bytes
            """,
            text, String?.none, Int64.max, Int32.min, true, 0.1, text.prefix(7), -42
        )
        #expect(rows.count == 1)
        let row = try #require(rows.first)
        #expect(row.columnNames == ["t", "n", "big", "small", "flag", "d", "sub", "i", "chars", "bytes"])
        #expect(try row.decode(0, as: String.self) == text)
        #expect(try row.decode("t", as: String.self) == text)
        #expect(try row.decode("chars", as: Int.self) == text.unicodeScalars.count)
        #expect(try row.decode("bytes", as: Int.self) == text.utf8.count)
        #expect(row.isNull(1))
        #expect(row.text(1) == nil)
        #expect(try row.decode(1, as: String?.self) == nil)
        #expect(try row.decode("n", as: Int?.self) == nil)
        let nullError = try #require(throws: PostgresError.self) { try row.decode(1, as: String.self) }
        #expect(nullError.kind == .decoding)
        #expect(try row.decode("big", as: Int64.self) == .max)
        #expect(try row.decode("small", as: Int32.self) == .min)
        #expect(try row.decode("flag", as: Bool.self))
        #expect(try row.decode("d", as: Double.self) == 0.1)
        #expect(try row.decode("sub", as: String.self) == "Alarm 🚨")
        #expect(try row.decode("i", as: Int.self) == -42)

        try db.execute(unsafeSQL: "CREATE TEMP TABLE pgtest_binds (id int8 PRIMARY KEY, label text, note text)")
        let inserted = try db.execute(
            "INSERT INTO pgtest_binds (id, label, note) VALUES ($1, $2, $3), ($4, $5, $6)",
            1, text, String?.none, Int64.max, "plain", "note"
        )
        #expect(inserted == 2)
        let stored = try db.query("SELECT id, label, note FROM pgtest_binds ORDER BY id")
        #expect(stored.count == 2)
        #expect(try stored[0].decode("label", as: String.self) == text)
        #expect(try stored[0].decode("note", as: String?.self) == nil)
        #expect(try stored[1].decode("id", as: Int64.self) == .max)
        #expect(try stored[1].decode("note", as: String?.self) == "note")
    }

    @Test func textArrayRoundTrip() throws {
        let url = try TestEnvironment.requireDatabase()
        let db = try openConnection(url)
        let values = [
            "plain", "with space", "quote\"d", "back\\slash", "comma,here", "{braces}", "", "NULL", "null",
            "🚨 日本語", " padded ", "semi;colon", "tab\there", "\\\"", "trailing\\", "é\"😀\\日本\\\"語",
        ]
        let row = try #require(
            db.query(
                "SELECT $1::text[] AS a, array_length($1::text[], 1) AS n, ($1::text[])[4] AS fourth, ($1::text[])[8] IS NULL AS eighth_null",
                values
            ).first
        )
        #expect(try row.decode("a", as: [String].self) == values)
        #expect(try row.decode("n", as: Int.self) == values.count)
        #expect(try row.decode("fourth", as: String.self) == "back\\slash")
        #expect(try !row.decode("eighth_null", as: Bool.self))

        try db.execute(unsafeSQL: "CREATE TEMP TABLE pgtest_arrays (id int PRIMARY KEY, tags text[] NOT NULL)")
        try db.execute("INSERT INTO pgtest_arrays (id, tags) VALUES ($1, $2), ($3, $4)", 1, values, 2, [String]())
        let stored = try db.query("SELECT tags FROM pgtest_arrays ORDER BY id")
        #expect(try stored[0].decode(0, as: [String].self) == values)
        #expect(try stored[1].decode(0, as: [String].self) == [])

        let server = try #require(db.query(#"SELECT ARRAY['a', NULL, 'b"c', 'd\e', 'x y']::text[]"#).first)
        #expect(try server.decode(0, as: [String].self) == ["a", "b\"c", "d\\e", "x y"])

        let nullElement = try #require(db.query("SELECT ($1::text[])[2] IS NULL", ["a", nil] as [String?]).first)
        #expect(try nullElement.decode(0, as: Bool.self))
        let member = try #require(db.query("SELECT $1::int8 = ANY($2::int8[])", Int64.max, [1, Int64.max]).first)
        #expect(try member.decode(0, as: Bool.self))
    }

    @Test func int64ExtremesAndSafeDataErrors() throws {
        let url = try TestEnvironment.requireDatabase()
        let db = try openConnection(url)
        try db.execute(unsafeSQL: "CREATE TEMP TABLE pgtest_big (id int PRIMARY KEY, v bigint NOT NULL)")
        try db.execute("INSERT INTO pgtest_big (id, v) VALUES ($1, $2), ($3, $4)", 1, Int64.max, 2, Int64.min)
        let rows = try db.query("SELECT v FROM pgtest_big ORDER BY id")
        #expect(try rows.map { try $0.decode(0, as: Int64.self) } == [.max, .min])

        let overflow = try #require(throws: PostgresError.self) { try db.query("SELECT $1::int8 + 1", Int64.max) }
        #expect(overflow.sqlState == "22003")
        #expect(overflow.kind == .server)

        let badInput = try #require(throws: PostgresError.self) { try db.query("SELECT $1::int4", "s3cr3t-value") }
        #expect(badInput.sqlState == "22P02")
        #expect(badInput.statement == "SELECT $1::int4")
        #expect(!badInput.description.contains("s3cr3t-value"))
        #expect(badInput.debugDescription.contains("s3cr3t-value"))

        let decodeError = try #require(throws: PostgresError.self) {
            try #require(db.query("SELECT $1::text AS word", "s3cr3t-value").first).decode("word", as: Int.self)
        }
        #expect(decodeError.kind == .decoding)
        #expect(!decodeError.description.contains("s3cr3t-value"))
        #expect(decodeError.description.contains("word"))
    }

    @Test func transactionCommitsAndRollsBack() throws {
        let url = try TestEnvironment.requireDatabase()
        let db = try openConnection(url)
        try db.execute(unsafeSQL: "CREATE TEMP TABLE pgtest_tx (id int PRIMARY KEY)")

        let value = try db.transaction { tx in
            try tx.execute("INSERT INTO pgtest_tx (id) VALUES ($1)", 1)
            return "done"
        }
        #expect(value == "done")
        // Had COMMIT not run, this ROLLBACK would remove row 1.
        try db.execute(unsafeSQL: "ROLLBACK")

        #expect(throws: BodyFailure(marker: "boom")) {
            try db.transaction { tx in
                try tx.execute("INSERT INTO pgtest_tx (id) VALUES ($1)", 2)
                throw BodyFailure(marker: "boom")
            }
        }

        try db.transaction { tx in
            try tx.execute("INSERT INTO pgtest_tx (id) VALUES ($1)", 10)
            #expect(throws: BodyFailure.self) {
                try tx.transaction { inner in
                    try inner.execute("INSERT INTO pgtest_tx (id) VALUES ($1)", 11)
                    throw BodyFailure(marker: "inner")
                }
            }
            try tx.transaction { inner in
                try inner.execute("INSERT INTO pgtest_tx (id) VALUES ($1)", 12)
            }
        }

        // A failed statement whose error the body swallows must not let COMMIT pass for success.
        let swallowed = try #require(throws: PostgresError.self) {
            try db.transaction { tx in
                try tx.execute("INSERT INTO pgtest_tx (id) VALUES ($1)", 20)
                _ = try? tx.execute("INSERT INTO pgtest_tx (id) VALUES ($1)", 20)
            }
        }
        #expect(swallowed.sqlState == "25P02")

        let ids = try db.query("SELECT id FROM pgtest_tx ORDER BY id").map { try $0.decode(0, as: Int.self) }
        #expect(ids == [1, 10, 12])
    }

    /// A real deadlock: this connection's transaction is made PostgreSQL's victim (the shorter deadlock_timeout
    /// detects it) and is run again, whole, once the other transaction has committed; nothing happens twice.
    @Test func aDeadlockVictimIsRunAgain() throws {
        let url = try TestEnvironment.requireDatabase()
        // A table of its own (not TEMP: both connections use it); no other test touches it.
        let setup = try openConnection(url)
        defer { _ = try? setup.execute(unsafeSQL: "DROP TABLE IF EXISTS pgtest_deadlock"); setup.close() }
        try setup.execute(unsafeSQL: """
            DROP TABLE IF EXISTS pgtest_deadlock;
            CREATE TABLE pgtest_deadlock (id int PRIMARY KEY, v int NOT NULL, writes int NOT NULL DEFAULT 0);
            INSERT INTO pgtest_deadlock (id, v) VALUES (1, 0), (2, 0)
            """)

        let victim = try openConnection(url)
        defer { victim.close() }
        try victim.execute(unsafeSQL: "SET deadlock_timeout = '100ms'")

        let otherHoldsRow2 = DispatchSemaphore(value: 0)
        let victimHoldsRow1 = DispatchSemaphore(value: 0)
        let otherDone = DispatchSemaphore(value: 0)
        let otherResult = SleepingMutex<String?>(nil)
        Thread {
            do {
                // Made and used on this thread (libpq: one thread per connection).
                let other = try openConnection(url)
                defer { other.close() }
                try other.execute(unsafeSQL: "SET deadlock_timeout = '5s'")
                try other.transaction { tx in
                    try tx.execute("UPDATE pgtest_deadlock SET v = 20, writes = writes + 1 WHERE id = 2")
                    otherHoldsRow2.signal()
                    victimHoldsRow1.wait()
                    // Waits for the victim's row 1 until PostgreSQL aborts the victim.
                    try tx.execute("UPDATE pgtest_deadlock SET v = 21, writes = writes + 1 WHERE id = 1")
                }
                otherResult.withLock { $0 = "committed" }
            } catch {
                otherResult.withLock { $0 = "\(error)" }
            }
            otherDone.signal()
        }.start()

        otherHoldsRow2.wait()
        var attempts = 0
        try victim.transactionRetryingConflicts { tx in
            attempts += 1
            try tx.execute("UPDATE pgtest_deadlock SET v = 10, writes = writes + 1 WHERE id = 1")
            if attempts == 1 { victimHoldsRow1.signal() }
            try tx.execute("UPDATE pgtest_deadlock SET v = 11, writes = writes + 1 WHERE id = 2")
        }
        #expect(otherDone.wait(timeout: .now() + 10) == .success)
        #expect(otherResult.withLock { $0 } == "committed")
        #expect(attempts == 2, "the first attempt was the deadlock's victim")
        // The victim ran last and whole; the first attempt left nothing (each row written once by each side).
        let rows = try setup.query("SELECT id, v, writes FROM pgtest_deadlock ORDER BY id")
        #expect(try rows.map { [try $0.decode(0, as: Int.self), try $0.decode(1, as: Int.self), try $0.decode(2, as: Int.self)] }
            == [[1, 10, 2], [2, 11, 2]])
    }

    @Test func uniqueViolationCarriesSQLStateAndConstraint() throws {
        let url = try TestEnvironment.requireDatabase()
        let db = try openConnection(url)
        try db.execute(
            unsafeSQL: """
                CREATE TEMP TABLE pgtest_users (
                    id int8 GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    email text NOT NULL CONSTRAINT pgtest_users_email_key UNIQUE
                )
                """
        )
        try db.execute("INSERT INTO pgtest_users (email) VALUES ($1)", "dup@example.com")
        let error = try #require(throws: PostgresError.self) {
            try db.execute("INSERT INTO pgtest_users (email) VALUES ($1)", "dup@example.com")
        }
        #expect(error.kind == .server)
        #expect(error.sqlState == "23505")
        #expect(error.isUniqueViolation)
        #expect(!error.isConnectionFailure)
        #expect(error.constraint == "pgtest_users_email_key")
        #expect(error.statement == "INSERT INTO pgtest_users (email) VALUES ($1)")
        #expect(error.detail?.contains("dup@example.com") == true)
        #expect(!error.description.contains("dup@example.com"))
        #expect(error.debugDescription.contains("dup@example.com"))
        #expect(error.file.hasSuffix("PostgresClientTests.swift"))
        // The connection stays usable after a server error.
        let count = try #require(db.query("SELECT count(*) FROM pgtest_users").first).decode(0, as: Int.self)
        #expect(count == 1)
    }

    @Test func usageErrorsAndResultShapes() throws {
        let url = try TestEnvironment.requireDatabase()
        let db = try openConnection(url)
        let wrongCount = try #require(throws: PostgresError.self) { try db.query("SELECT $1::int + $2::int", 1) }
        #expect(wrongCount.kind == .usage)
        #expect(!wrongCount.isConnectionFailure)

        let syntax = try #require(throws: PostgresError.self) { try db.query("SELEC 1") }
        #expect(syntax.sqlState == "42601")
        #expect(syntax.statement == "SELEC 1")

        let nul = try #require(throws: PostgresError.self) { try db.query("SELECT $1::text", "a\u{0}b") }
        #expect(nul.kind == .unstorableValue)
        #expect(!nul.isConnectionFailure)

        try db.execute(
            unsafeSQL: "CREATE TEMP TABLE pgtest_multi (x int); INSERT INTO pgtest_multi VALUES (1), (2), (3);")
        #expect(try db.execute("UPDATE pgtest_multi SET x = x + 1 WHERE x >= $1", 2) == 2)
        let result = try db.query("SELECT x FROM pgtest_multi ORDER BY x")
        #expect(result.affectedRows == 3)
        #expect(result.columnNames == ["x"])
        #expect(try result.map { try $0.decode("x", as: Int.self) } == [1, 3, 4])
        let unknown = try #require(throws: PostgresError.self) { try result[0].decode("nope", as: Int.self) }
        #expect(unknown.kind == .usage)
        let outOfRange = try #require(throws: PostgresError.self) { try result[0].decode(5, as: Int.self) }
        #expect(outOfRange.kind == .usage)
        #expect(try db.query("SELECT x FROM pgtest_multi WHERE x > $1", 100).isEmpty)
    }

    @Test func preparesEachStatementOncePerConnection() throws {
        let url = try TestEnvironment.requireDatabase()
        let db = try openConnection(url)
        func preparedCount() throws -> Int {
            try #require(db.query("SELECT count(*) FROM pg_prepared_statements").first).decode(0, as: Int.self)
        }
        let before = try preparedCount()
        for value in 0..<5 {
            let row = try #require(db.query("SELECT $1::int8 * 2 AS doubled", value).first)
            #expect(try row.decode(0, as: Int.self) == value * 2)
        }
        #expect(try preparedCount() - before == 1)
    }

    @Test func connectCloseAndLazyReconnect() throws {
        let url = try TestEnvironment.requireDatabase()
        let db = PostgresConnection(conninfo: url)
        #expect(!db.isConnected)
        try db.connect()
        #expect(db.isConnected)
        let first = try backendPID(db)
        db.close()
        #expect(!db.isConnected)
        let second = try backendPID(db)
        #expect(db.isConnected)
        #expect(first != second)
    }

    @Test func listenNotifyDeliveryAndTimeout() throws {
        let url = try TestEnvironment.requireDatabase()
        let listener = try openConnection(url)
        let sender = try openConnection(url)
        let channel = uniqueChannel()
        try listener.listen(channel)

        try sender.notify(channel, payload: "hello 🚨 日本語")
        let received = try listener.waitForNotifications(timeoutMilliseconds: 5000)
        #expect(received == [PostgresNotification(channel: channel, payload: "hello 🚨 日本語")])

        let started = ContinuousClock.now
        #expect(try listener.waitForNotifications(timeoutMilliseconds: 300).isEmpty)
        let waited = ContinuousClock.now - started
        #expect(waited >= .milliseconds(250))
        #expect(waited < .seconds(3))

        // Notifications arriving while the listener runs queries are kept for the next wait.
        try sender.notify(channel, payload: "one")
        try sender.notify(channel, payload: "two")
        try sender.notify(uniqueChannel(), payload: "not listened")
        _ = try listener.query("SELECT pg_sleep(0.2)")
        var payloads: [String] = []
        while payloads.count < 2 {
            let batch = try listener.waitForNotifications(timeoutMilliseconds: 5000)
            if batch.isEmpty { break }
            payloads += batch.map(\.payload)
        }
        #expect(payloads == ["one", "two"])

        // Inside a transaction the notification leaves at COMMIT.
        try sender.transaction { tx in
            try tx.notify(channel, payload: "at-commit")
            #expect(try listener.waitForNotifications(timeoutMilliseconds: 200).isEmpty)
        }
        #expect(try listener.waitForNotifications(timeoutMilliseconds: 5000).map(\.payload) == ["at-commit"])

        for bad in ["Upper", "with-dash", "x; DROP TABLE y", "", String(repeating: "a", count: 64)] {
            let error = try #require(throws: PostgresError.self) { try listener.listen(bad) }
            #expect(error.kind == .usage)
        }
    }

    @Test func reconnectsAfterBackendTerminationAndRelistens() throws {
        let url = try TestEnvironment.requireDatabase()
        let db = try openConnection(url)
        let channel = uniqueChannel()
        try db.listen(channel)
        let before = try backendPID(db)
        try terminateBackend(before, conninfo: url)

        // The first call may notice the dead connection before sending, or fail; it never retries.
        do {
            _ = try db.query("SELECT 1")
        } catch {
            #expect(error.isConnectionFailure, "\(error.debugDescription)")
        }
        let after = try backendPID(db)
        #expect(after != before)

        let sender = try openConnection(url)
        try sender.notify(channel, payload: "after-reconnect")
        #expect(try db.waitForNotifications(timeoutMilliseconds: 5000).map(\.payload) == ["after-reconnect"])
    }

    @Test func connectionLostInsideTransactionIsNotHealedSilently() throws {
        let url = try TestEnvironment.requireDatabase()
        let db = try openConnection(url)
        let pid = try backendPID(db)
        var failures: [PostgresError] = []
        let outcome = try #require(throws: PostgresError.self) {
            try db.transaction { tx in
                try tx.execute("SELECT 1")
                try terminateBackend(pid, conninfo: url)
                // Still inside the body after the first failure: no silent reconnect that would run
                // statements outside the transaction.
                for _ in 0..<2 {
                    do {
                        try tx.execute("SELECT 2")
                    } catch let error as PostgresError {
                        failures.append(error)
                    }
                }
            }
        }
        #expect(failures.count == 2)
        #expect(failures.allSatisfy { $0.isConnectionFailure })
        #expect(outcome.isConnectionFailure)
        #expect(try backendPID(db) != pid)
    }

    @Test func waitForNotificationsThrowsWhenConnectionDies() throws {
        let url = try TestEnvironment.requireDatabase()
        let db = try openConnection(url)
        let channel = uniqueChannel()
        try db.listen(channel)
        let pid = try backendPID(db)
        // A plain thread, so the kill does not depend on a free cooperative-pool thread.
        let killer = Thread {
            Thread.sleep(forTimeInterval: 0.3)
            let connection = PostgresConnection(conninfo: url)
            _ = try? connection.query("SELECT pg_terminate_backend($1, 5000)", pid)
        }
        killer.start()
        let started = ContinuousClock.now
        let error = try #require(throws: PostgresError.self) {
            try db.waitForNotifications(timeoutMilliseconds: 10_000)
        }
        #expect(error.isConnectionFailure)
        #expect(ContinuousClock.now - started < .seconds(8))
        // The next call reconnects and listens again.
        #expect(try db.waitForNotifications(timeoutMilliseconds: 50).isEmpty)
        let sender = try openConnection(url)
        try sender.notify(channel, payload: "back")
        #expect(try db.waitForNotifications(timeoutMilliseconds: 5000).map(\.payload) == ["back"])
    }
}

// MARK: - Restarting the server

/// These take the shared PostgreSQL down; `.interruptsDatabase` keeps them apart from `.usesDatabase` suites.
@Suite(
    .serialized, .interruptsDatabase,
    .enabled(if: TestEnvironment.isAvailable("DATABASE_URL", "ALERT_RELAY_TEST_PG_RESTART"))
)
struct PostgresRestartTests {
    @Test func reconnectsAfterServerRestart() throws {
        let url = try TestEnvironment.requireDatabase()
        let restart = try TestEnvironment.requireVariable("ALERT_RELAY_TEST_PG_RESTART")
        let db = try openConnection(url)
        let channel = uniqueChannel()
        try db.listen(channel)
        let before = try backendPID(db)

        #expect(try TestEnvironment.runScript(restart) == 0)

        // After a restart the first call may throw a connection failure or succeed; the second must succeed.
        do {
            _ = try db.query("SELECT 1")
        } catch {
            #expect(error.isConnectionFailure, "\(error.debugDescription)")
        }
        let after = try backendPID(db)
        #expect(after != before)

        let sender = try openConnection(url)
        try sender.notify(channel, payload: "after-restart")
        #expect(try db.waitForNotifications(timeoutMilliseconds: 5000).map(\.payload) == ["after-restart"])
    }

    @Test(.enabled(if: TestEnvironment.isAvailable("ALERT_RELAY_TEST_PG_STOP", "ALERT_RELAY_TEST_PG_START")))
    func failsFastDuringOutageAndRecovers() throws {
        let url = try TestEnvironment.requireDatabase()
        let stop = try TestEnvironment.requireVariable("ALERT_RELAY_TEST_PG_STOP")
        let start = try TestEnvironment.requireVariable("ALERT_RELAY_TEST_PG_START")
        let db = try openConnection(url)
        #expect(try TestEnvironment.runScript(stop) == 0)
        var restarted = false
        defer {
            if !restarted { _ = try? TestEnvironment.runScript(start) }
        }

        let started = ContinuousClock.now
        for _ in 0..<2 {
            let error = try #require(throws: PostgresError.self) { try db.query("SELECT 1") }
            #expect(error.isConnectionFailure, "\(error.debugDescription)")
        }
        #expect(ContinuousClock.now - started < .seconds(5))
        #expect(!db.isConnected)

        #expect(try TestEnvironment.runScript(start) == 0)
        restarted = true
        #expect(try db.query("SELECT 1").count == 1)
        #expect(db.isConnected)
    }
}
