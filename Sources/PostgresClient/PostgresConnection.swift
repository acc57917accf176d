import CLibPQ
import SystemSupport

#if canImport(Glibc)
import Glibc
#endif

/// One libpq connection with a per-connection prepared-statement cache.
///
/// Not `Sendable`: libpq forbids two threads using one connection at once, so create and use it on
/// one thread. The connection is opened lazily (or by `connect()`) and reopened by itself: before
/// each statement, a missing or broken connection is replaced by a fresh one. A statement that fails
/// because the connection broke throws an error whose `isConnectionFailure` is true and is never
/// retried automatically (it may not be idempotent); the next call reconnects. Inside `transaction`
/// a lost connection is never replaced until the transaction's body has returned or thrown.
public final class PostgresConnection {
    private let conninfo: String
    private var handle: OpaquePointer?
    var statements: [StatementKey: PreparedStatement] = [:]
    var statementCounter = 0
    var listenedChannels: [String] = []
    var pendingNotifications: [PostgresNotification] = []
    var transactionDepth = 0
    /// When the connection was last handed out (monotonic nanoseconds), for the idle check in `isUsable`.
    private var lastUsedNanoseconds: Int64 = 0
    /// A connection busy more recently than this skips the idle check: under load it costs a poll() per
    /// statement, and a connection in steady use notices a lost server on its next statement anyway.
    private static let idleCheckAfterNanoseconds: Int64 = 200_000_000

    /// Stores the connection string; nothing is opened yet and the string is never logged or put in errors.
    /// `conninfo` may be `key=value` pairs or a `postgresql://` URI; `connect_timeout=5` is added unless it has its own.
    public init(conninfo: String) {
        self.conninfo = conninfo
    }

    deinit {
        if let handle { PQfinish(handle) }
    }

    /// Opens the connection now unless it is already open and healthy.
    public func connect(file: String = #fileID, line: Int = #line) throws(PostgresError) {
        _ = try ensureConnected(file: file, line: line)
    }

    /// True when a connection is open and libpq last saw it healthy.
    public var isConnected: Bool {
        guard let handle else { return false }
        return PQstatus(handle) == CONNECTION_OK
    }

    /// Closes the connection and forgets prepared statements and LISTEN channels.
    /// A later call opens a new connection.
    public func close() {
        dropConnection()
        listenedChannels.removeAll()
        pendingNotifications.removeAll()
    }

    /// Runs a statement with `$1…` binds (prepared once per connection) and returns its rows.
    public func query(
        _ sql: StaticString, _ binds: any PostgresBindable..., file: String = #fileID, line: Int = #line
    ) throws(PostgresError) -> PostgresResult {
        try runPrepared(sql, binds, file: file, line: line)
    }

    /// Runs a statement with `$1…` binds (prepared once per connection) and returns its rows.
    public func query(
        _ sql: StaticString, binds: [any PostgresBindable], file: String = #fileID, line: Int = #line
    ) throws(PostgresError) -> PostgresResult {
        try runPrepared(sql, binds, file: file, line: line)
    }

    /// Runs a statement with `$1…` binds and returns the number of affected rows.
    @discardableResult
    public func execute(
        _ sql: StaticString, _ binds: any PostgresBindable..., file: String = #fileID, line: Int = #line
    ) throws(PostgresError) -> Int {
        try runPrepared(sql, binds, file: file, line: line).affectedRows
    }

    /// Runs a statement with `$1…` binds and returns the number of affected rows.
    @discardableResult
    public func execute(
        _ sql: StaticString, binds: [any PostgresBindable], file: String = #fileID, line: Int = #line
    ) throws(PostgresError) -> Int {
        try runPrepared(sql, binds, file: file, line: line).affectedRows
    }

    /// Runs a statement assembled from literals (``SQL``) with `$1…` binds (prepared once per connection).
    public func query(
        composed sql: SQL, binds: [any PostgresBindable], file: String = #fileID, line: Int = #line
    ) throws(PostgresError) -> PostgresResult {
        try runPrepared(.composed(sql), binds, file: file, line: line)
    }

    /// Runs SQL text through the simple-query protocol, without binds; it may hold several statements.
    /// Meant for migrations only: never build `unsafeSQL` from untrusted input.
    public func execute(unsafeSQL: String, file: String = #fileID, line: Int = #line) throws(PostgresError) {
        _ = try runSimple(unsafeSQL, file: file, line: line)
    }

    // MARK: - Internals shared with the other files of this type

    /// Runs SQL through `PQexec` and returns the command tag of the last statement.
    func runSimple(_ sql: String, file: String, line: Int) throws(PostgresError) -> String {
        guard !sql.utf8.contains(0) else {
            throw PostgresError(kind: .usage, message: "SQL text contains a NUL byte", file: file, line: line)
        }
        let conn = try ensureConnected(file: file, line: line)
        let result = try checked(PQexec(conn, sql), on: conn, statement: sql, file: file, line: line)
        defer { PQclear(result) }
        return PQcmdStatus(result).map { String(cString: $0) } ?? ""
    }

    /// Returns a healthy connection, opening a new one when there is none or libpq marked it bad.
    func ensureConnected(file: String, line: Int) throws(PostgresError) -> OpaquePointer {
        if let conn = handle, isUsable(conn) { return conn }
        guard transactionDepth == 0 else {
            throw PostgresError(
                kind: .connectionFailure,
                message: "connection lost inside a transaction; it is reopened once the transaction has ended",
                file: file, line: line
            )
        }
        dropConnection()
        let conn = try openConnection(file: file, line: line)
        handle = conn
        do {
            for channel in listenedChannels {
                _ = try runSimple("LISTEN \(channel)", file: file, line: line)
            }
        } catch {
            dropConnection()
            throw PostgresError(
                kind: .connectionFailure, message: "could not re-issue LISTEN after reconnecting: \(error.message)",
                sqlState: error.sqlState, detail: error.detail, file: file, line: line
            )
        }
        return conn
    }

    /// Moves notifications libpq has already parsed into `pendingNotifications`.
    func collectNotifications(_ conn: OpaquePointer) {
        while let notify = PQnotifies(conn) {
            let channel = notify.pointee.relname.map { String(cString: $0) } ?? ""
            let payload = notify.pointee.extra.map { String(cString: $0) } ?? ""
            PQfreemem(notify)
            pendingNotifications.append(PostgresNotification(channel: channel, payload: payload))
        }
    }

    // MARK: - Connection management

    private func isUsable(_ conn: OpaquePointer) -> Bool {
        guard PQstatus(conn) == CONNECTION_OK else { return false }
        // Between transactions the server sends nothing except NOTIFY, ParameterStatus or its goodbye
        // (a FATAL notice then EOF, e.g. on restart). Reading that now lets libpq mark the connection
        // bad before we send, so a server restart need not cost a failed statement. Inside a
        // transaction this is skipped: there, a lost connection must surface as an error.
        guard transactionDepth == 0, PQtransactionStatus(conn) == PQTRANS_IDLE else { return true }
        let now = MonotonicClock.nanoseconds()
        defer { lastUsedNanoseconds = now }
        guard now - lastUsedNanoseconds >= Self.idleCheckAfterNanoseconds else { return true }
        for _ in 0..<3 {
            guard waitReadable(conn, milliseconds: 0) == .readable else { break }
            guard PQconsumeInput(conn) != 0 else { break }
            _ = PQisBusy(conn)  // parses what arrived; notifications go to libpq's queue
        }
        return PQstatus(conn) == CONNECTION_OK
    }

    private func openConnection(file: String, line: Int) throws(PostgresError) -> OpaquePointer {
        // Validate first: libpq's parse errors quote pieces of the string, which may hold a password,
        // so their text is dropped.
        var parseError: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(conninfo, &parseError) else {
            if let parseError { PQfreemem(parseError) }
            throw PostgresError(
                kind: .usage, message: "invalid connection string (libpq's message withheld: it may quote secrets)",
                file: file, line: line
            )
        }
        PQconninfoFree(options)

        // Keywords are applied in order and the expanded `dbname` (the whole conninfo) comes last,
        // so a connect_timeout inside the conninfo wins over this default.
        let keywords: [String?] = ["connect_timeout", "dbname"]
        let values: [String?] = ["5", conninfo]
        let opened = withCStringArray(keywords) { keywordArray in
            withCStringArray(values) { valueArray in
                PQconnectdbParams(keywordArray, valueArray, 1)
            }
        }
        guard let conn = opened else {
            throw PostgresError(
                kind: .connectionFailure, message: "could not allocate a connection", file: file, line: line)
        }
        guard PQstatus(conn) == CONNECTION_OK else {
            let detail = errorText(PQerrorMessage(conn))
            PQfinish(conn)
            throw PostgresError(
                kind: .connectionFailure, message: "could not connect to PostgreSQL", detail: detail,
                file: file, line: line
            )
        }
        // The default notice processor prints to stderr; a library must stay quiet.
        PQsetNoticeProcessor(conn, { _, _ in }, nil)
        return conn
    }

    func dropConnection() {
        if let conn = handle {
            collectNotifications(conn)
            PQfinish(conn)
        }
        handle = nil
        statements.removeAll()
        statementCounter = 0
    }
}

/// libpq messages end with a newline and may continue on indented lines; keep them whole but trimmed.
func errorText(_ message: UnsafeMutablePointer<CChar>?) -> String? {
    guard let message else { return nil }
    var text = String(cString: message)
    while let last = text.last, last.isWhitespace { text.removeLast() }
    return text.isEmpty ? nil : text
}

/// Calls `body` with a NULL-terminated array of NUL-terminated copies of `texts` (nil entries stay
/// NULL), all in one allocation that is freed when `body` returns.
func withCStringArray<R>(_ texts: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    var byteCount = 0
    for text in texts { byteCount += (text?.utf8.count ?? -1) + 1 }
    let storage = UnsafeMutablePointer<CChar>.allocate(capacity: max(byteCount, 1))
    defer { storage.deallocate() }
    let pointers = UnsafeMutablePointer<UnsafePointer<CChar>?>.allocate(capacity: texts.count + 1)
    defer { pointers.deallocate() }
    var offset = 0
    for (index, text) in texts.enumerated() {
        guard let text else {
            (pointers + index).initialize(to: nil)
            continue
        }
        let start = storage + offset
        for byte in text.utf8 {
            (storage + offset).initialize(to: CChar(bitPattern: byte))
            offset += 1
        }
        (storage + offset).initialize(to: 0)
        offset += 1
        (pointers + index).initialize(to: UnsafePointer(start))
    }
    (pointers + texts.count).initialize(to: nil)
    return body(UnsafePointer(pointers))
}
