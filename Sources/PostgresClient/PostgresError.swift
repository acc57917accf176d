/// An error from the PostgreSQL client: a failed connection, a server error with its SQLSTATE,
/// a value that could not be decoded, or a misuse of the API.
///
/// `description` is safe to show: it never holds bind values, `detail`, the connection string or
/// server messages that echo input values (SQLSTATE classes 22 and P0). `debugDescription` holds
/// everything and is meant for logs.
public struct PostgresError: Error, CustomStringConvertible, CustomDebugStringConvertible, Sendable {
    /// What went wrong, broadly.
    public enum Kind: Sendable, Equatable {
        /// No connection could be made, or the connection broke during the statement.
        case connectionFailure
        /// The server rejected the statement; see `sqlState`.
        case server
        /// A column value could not be turned into the requested Swift type.
        case decoding
        /// The API was used wrongly (bad channel name, wrong number of binds, unknown column, ...).
        case usage
        /// A bind value PostgreSQL cannot store: text holding U+0000. Nothing was sent; it comes from the caller's
        /// input, so callers answer it as bad input.
        case unstorableValue
    }

    /// What went wrong, broadly.
    public let kind: Kind
    /// The five-character SQLSTATE, e.g. "23505"; nil for errors raised by the client.
    public let sqlState: String?
    /// The primary message.
    public let message: String
    /// Secondary information; may contain values, so it only appears in `debugDescription`.
    public let detail: String?
    /// The violated constraint's name, when the server reports one.
    public let constraint: String?
    /// The SQL text of the failing statement (never the bind values).
    public let statement: String?
    /// The file (`#fileID`) of the failing call.
    public let file: String
    /// The line of the failing call.
    public let line: Int

    /// Creates an error; conformances of `PostgresDecodable` outside this module use this with `.decoding`.
    public init(
        kind: Kind,
        message: String,
        sqlState: String? = nil,
        detail: String? = nil,
        constraint: String? = nil,
        statement: String? = nil,
        file: String = #fileID,
        line: Int = #line
    ) {
        self.kind = kind
        self.sqlState = sqlState
        self.message = message
        self.detail = detail
        self.constraint = constraint
        self.statement = statement
        self.file = file
        self.line = line
    }

    /// True when the connection is (or was) unusable: no connection could be made, the connection broke,
    /// or the server reported SQLSTATE class 08, 57P01 (admin shutdown), 57P02 (crash shutdown) or 57P03 (cannot connect now).
    /// PostgreSQL aborted the transaction as a deadlock victim or for a serialization failure (40P01, 40001): it was
    /// rolled back as a whole, and running it again is the documented remedy.
    public var isTransactionConflict: Bool {
        sqlState == "40P01" || sqlState == "40001"
    }

    public var isConnectionFailure: Bool {
        if kind == .connectionFailure { return true }
        guard let sqlState else { return false }
        return sqlState.hasPrefix("08") || sqlState == "57P01" || sqlState == "57P02" || sqlState == "57P03"
    }

    /// True for SQLSTATE 23505 (unique_violation).
    public var isUniqueViolation: Bool { sqlState == "23505" }

    /// Safe to show: kind, SQLSTATE, message (withheld for classes 22/P0), constraint and call site.
    public var description: String {
        var text = "PostgreSQL \(kindName) error"
        if let sqlState { text += " \(sqlState)" }
        text += ": \(safeMessage)"
        if let constraint { text += " (constraint \(constraint))" }
        text += " [\(file):\(line)]"
        return text
    }

    /// Everything, including `detail` and the statement; for logs only.
    public var debugDescription: String {
        var text = "PostgresError(kind: \(kindName)"
        if let sqlState { text += ", sqlState: \(sqlState)" }
        text += ", message: \(message)"
        if let detail { text += ", detail: \(detail)" }
        if let constraint { text += ", constraint: \(constraint)" }
        if let statement { text += ", statement: \(statement)" }
        text += ", at: \(file):\(line))"
        return text
    }

    private var kindName: String {
        switch kind {
        case .connectionFailure: "connection failure"
        case .server: "server"
        case .decoding: "decoding"
        case .usage: "usage"
        case .unstorableValue: "unstorable value"
        }
    }

    // Data exceptions ("invalid input syntax for type integer: \"abc\"") and RAISE messages quote
    // values verbatim, so their text stays out of the safe description.
    private var safeMessage: String {
        guard let sqlState else { return message }
        if sqlState.hasPrefix("22") { return "data exception" }
        if sqlState.hasPrefix("P0") { return "error raised by a PL/pgSQL function" }
        return message
    }
}

extension PostgresError {
    /// Returns a copy with the statement and call site filled in.
    func located(statement: String?, file: String, line: Int) -> PostgresError {
        PostgresError(
            kind: kind, message: message, sqlState: sqlState, detail: detail, constraint: constraint,
            statement: statement ?? self.statement, file: file, line: line
        )
    }

    /// Returns a copy whose message is prefixed, e.g. with the column being decoded.
    func prefixed(_ prefix: String, file: String, line: Int) -> PostgresError {
        PostgresError(
            kind: kind, message: "\(prefix): \(message)", sqlState: sqlState, detail: detail,
            constraint: constraint, statement: statement, file: file, line: line
        )
    }
}
