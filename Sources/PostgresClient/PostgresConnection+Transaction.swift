import CLibPQ

#if canImport(Glibc)
import Glibc
#endif

extension PostgresConnection {
    /// `transaction(body)`, run again (up to `attempts` times in all, after a short pause) when PostgreSQL aborts it
    /// as a deadlock victim or for a serialization failure (``PostgresError/isTransactionConflict``). For a body whose
    /// only effects are its statements: they were rolled back, so nothing happens twice. Inside an outer transaction
    /// there is nothing to retry on its own, so it runs once, as `transaction` would.
    @discardableResult
    public func transactionRetryingConflicts<T>(
        attempts: Int = 3, file: String = #fileID, line: Int = #line, _ body: (PostgresConnection) throws -> T
    ) throws -> T {
        var attempt = 1
        while true {
            do {
                return try transaction(file: file, line: line, body)
            } catch let error as PostgresError where error.isTransactionConflict && attempt < attempts && transactionDepth == 0 {
                attempt += 1
                usleep(UInt32.random(in: 2_000...20_000))
            }
        }
    }

    /// Runs `body` between BEGIN and COMMIT; if `body` throws, issues ROLLBACK and rethrows `body`'s error.
    ///
    /// A nested call (made on the same connection from inside `body`) uses a SAVEPOINT: it is released
    /// when the inner body returns and rolled back to when it throws, leaving the outer transaction usable.
    /// Throws when COMMIT fails, when COMMIT turned into a rollback because a statement inside failed
    /// (SQLSTATE 25P02), and with `isConnectionFailure` when the connection died inside; it is not reopened
    /// until this call returns.
    @discardableResult
    public func transaction<T>(
        file: String = #fileID, line: Int = #line, _ body: (PostgresConnection) throws -> T
    ) throws -> T {
        if transactionDepth > 0 {
            return try savepoint(file: file, line: line, body)
        }
        _ = try runSimple("BEGIN", file: file, line: line)
        transactionDepth = 1
        defer { transactionDepth = 0 }

        let value: T
        do {
            value = try body(self)
        } catch {
            // The body's error is what the caller needs. If ROLLBACK fails the connection is gone, and
            // the server rolls back on its own.
            _ = try? runSimple("ROLLBACK", file: file, line: line)
            throw error
        }

        guard isConnected else {
            throw PostgresError(
                kind: .connectionFailure, message: "connection lost inside the transaction; it was not committed",
                file: file, line: line
            )
        }
        let tag: String
        do throws(PostgresError) {
            tag = try runSimple("COMMIT", file: file, line: line)
        } catch  where error.kind == .connectionFailure {
            throw PostgresError(
                kind: .connectionFailure,
                message: "connection lost during COMMIT; the transaction may or may not have been committed",
                sqlState: error.sqlState, detail: error.message, statement: "COMMIT", file: file, line: line
            )
        }
        // COMMIT of a transaction in which a statement failed (and the body swallowed the error)
        // succeeds with the tag ROLLBACK; that must not pass for success.
        guard tag != "ROLLBACK" else {
            throw PostgresError(
                kind: .server, message: "transaction was rolled back at COMMIT because a statement inside it failed",
                sqlState: "25P02", statement: "COMMIT", file: file, line: line
            )
        }
        return value
    }

    private func savepoint<T>(file: String, line: Int, _ body: (PostgresConnection) throws -> T) throws -> T {
        let name = "ar_savepoint_\(transactionDepth)"
        _ = try runSimple("SAVEPOINT \(name)", file: file, line: line)
        transactionDepth += 1
        defer { transactionDepth -= 1 }

        let value: T
        do {
            value = try body(self)
        } catch {
            _ = try? runSimple("ROLLBACK TO SAVEPOINT \(name)", file: file, line: line)
            throw error
        }
        do throws(PostgresError) {
            _ = try runSimple("RELEASE SAVEPOINT \(name)", file: file, line: line)
        } catch {
            // A statement in the body failed and the body swallowed the error: undo to the savepoint so
            // the outer transaction stays usable, and report the failure.
            _ = try? runSimple("ROLLBACK TO SAVEPOINT \(name)", file: file, line: line)
            throw error
        }
        return value
    }
}
