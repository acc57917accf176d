import CLibPQ
import SystemSupport

#if canImport(Glibc)
import Glibc
#endif

// Statements: the prepared-statement cache (one PQprepare per statement text and connection), running them with
// text binds, and copying results out of libpq.
extension PostgresConnection {
    enum StatementKey: Hashable {
        // Static strings live for the whole process, so their address identifies the text.
        case address(UInt, Int)
        case text(String)

        init(_ sql: StaticString) {
            if sql.hasPointerRepresentation {
                self = .address(UInt(bitPattern: sql.utf8Start), sql.utf8CodeUnitCount)
            } else {
                self = .text(sql.description)
            }
        }
    }

    struct PreparedStatement {
        let name: String
        let parameterCount: Int
    }

    func runPrepared(
        _ sql: StaticString, _ binds: [any PostgresBindable], file: String, line: Int
    ) throws(PostgresError) -> PostgresResult {
        try runPrepared(.literal(sql), binds, file: file, line: line)
    }

    /// A statement's text: a literal, or text composed from literals.
    enum StatementText {
        case literal(StaticString)
        case composed(SQL)

        var description: String {
            switch self {
            case .literal(let sql): sql.description
            case .composed(let sql): sql.text
            }
        }

        var key: StatementKey {
            switch self {
            case .literal(let sql): StatementKey(sql)
            case .composed(let sql): .text(sql.text)
            }
        }
    }

    func runPrepared(
        _ sql: StatementText, _ binds: [any PostgresBindable], file: String, line: Int
    ) throws(PostgresError) -> PostgresResult {
        var texts: [String?] = []
        texts.reserveCapacity(binds.count)
        for (offset, bind) in binds.enumerated() {
            let text = bind.postgresText
            if let text, text.utf8.contains(0) {
                throw PostgresError(
                    kind: .unstorableValue,
                    message: "bind $\(offset + 1) contains a NUL byte, which PostgreSQL text cannot hold",
                    statement: sql.description, file: file, line: line
                )
            }
            texts.append(text)
        }
        let conn = try ensureConnected(file: file, line: line)
        let key = sql.key
        let statement = try prepare(sql, key: key, on: conn, file: file, line: line)
        guard statement.parameterCount == texts.count else {
            throw PostgresError(
                kind: .usage, message: "statement takes \(statement.parameterCount) binds, got \(texts.count)",
                statement: sql.description, file: file, line: line
            )
        }
        let raw = withCStringArray(texts) { values in
            PQexecPrepared(conn, statement.name, Int32(texts.count), values, nil, nil, 0)
        }
        do {
            let result = try checked(raw, on: conn, statement: sql.description, file: file, line: line)
            defer { PQclear(result) }
            return copyResult(result)
        } catch {
            // "cached plan must not change result type": the schema changed under the statement;
            // prepare it afresh next time.
            if error.sqlState == "0A000" { statements[key] = nil }
            throw error
        }
    }

    private func prepare(
        _ sql: StatementText, key: StatementKey, on conn: OpaquePointer, file: String, line: Int
    ) throws(PostgresError) -> PreparedStatement {
        if let statement = statements[key] { return statement }
        let text = sql.description
        guard !text.utf8.contains(0) else {
            throw PostgresError(kind: .usage, message: "SQL text contains a NUL byte", file: file, line: line)
        }
        statementCounter += 1
        let name = "ar_stmt_\(statementCounter)"
        let prepared = try checked(
            PQprepare(conn, name, text, 0, nil), on: conn, statement: text, file: file, line: line)
        PQclear(prepared)
        // Knowing the parameter count lets a wrong number of binds fail as a usage error instead of
        // the server's 08P01, which would look like a connection failure.
        let described = try checked(PQdescribePrepared(conn, name), on: conn, statement: text, file: file, line: line)
        let statement = PreparedStatement(name: name, parameterCount: Int(PQnparams(described)))
        PQclear(described)
        statements[key] = statement
        return statement
    }

    // MARK: Results

    /// Returns the result when it succeeded (the caller must PQclear it), else frees it and throws.
    func checked(
        _ result: OpaquePointer?, on conn: OpaquePointer, statement: String, file: String, line: Int
    ) throws(PostgresError) -> OpaquePointer {
        guard let result else {
            let broken = PQstatus(conn) != CONNECTION_OK
            throw PostgresError(
                kind: broken ? .connectionFailure : .server,
                message: errorText(PQerrorMessage(conn)) ?? "statement failed without a result",
                statement: statement, file: file, line: line
            )
        }
        let status = PQresultStatus(result)
        if status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY {
            return result
        }
        func field(_ code: Character) -> String? {
            guard let ascii = code.asciiValue, let value = PQresultErrorField(result, Int32(ascii)) else { return nil }
            return String(cString: value)
        }
        let sqlState = field("C")
        let message = field("M") ?? errorText(PQresultErrorMessage(result)) ?? "statement failed"
        var detail = field("D")
        if let hint = field("H") { detail = (detail.map { $0 + "\n" } ?? "") + "hint: \(hint)" }
        let constraint = field("n")
        let isCopy = status == PGRES_COPY_IN || status == PGRES_COPY_OUT || status == PGRES_COPY_BOTH
        PQclear(result)
        if isCopy {
            // COPY leaves the connection in a sub-protocol this wrapper does not speak; start over.
            dropConnection()
            throw PostgresError(
                kind: .usage, message: "COPY is not supported", statement: statement, file: file, line: line)
        }
        let broken = PQstatus(conn) != CONNECTION_OK
        throw PostgresError(
            kind: broken ? .connectionFailure : .server, message: message, sqlState: sqlState, detail: detail,
            constraint: constraint, statement: statement, file: file, line: line
        )
    }

    private func copyResult(_ result: OpaquePointer) -> PostgresResult {
        let rowCount = Int(PQntuples(result))
        let columnCount = Int(PQnfields(result))
        var columnNames: [String] = []
        columnNames.reserveCapacity(columnCount)
        for column in 0..<Int32(columnCount) {
            columnNames.append(PQfname(result, column).map { String(cString: $0) } ?? "")
        }
        var values: [String?] = []
        values.reserveCapacity(rowCount * columnCount)
        for row in 0..<Int32(rowCount) {
            for column in 0..<Int32(columnCount) {
                if PQgetisnull(result, row, column) != 0 {
                    values.append(nil)
                } else {
                    let length = Int(PQgetlength(result, row, column))
                    let bytes = UnsafeRawBufferPointer(start: PQgetvalue(result, row, column), count: length)
                    values.append(String(decoding: bytes, as: UTF8.self))
                }
            }
        }
        let affected = PQcmdTuples(result).flatMap { Int(String(cString: $0)) } ?? 0
        return PostgresResult(columnNames: columnNames, values: values, rowCount: rowCount, affectedRows: affected)
    }
}
