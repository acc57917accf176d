/// The rows of a statement, copied out of libpq's result (which is freed at once).
public struct PostgresResult: Sendable, RandomAccessCollection {
    /// Column names in result order (empty for commands without rows).
    public let columnNames: [String]
    /// Rows changed by INSERT/UPDATE/DELETE/MERGE, or rows returned by SELECT (libpq's `PQcmdTuples`).
    public var affectedRows: Int
    private let values: [String?]  // row-major
    private let rowCount: Int

    init(columnNames: [String], values: [String?], rowCount: Int, affectedRows: Int) {
        self.columnNames = columnNames
        self.values = values
        self.rowCount = rowCount
        self.affectedRows = affectedRows
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { rowCount }

    /// The row at `position` (0-based).
    public subscript(position: Int) -> PostgresRow {
        let width = columnNames.count
        return PostgresRow(
            columnNames: columnNames,
            values: values[(position * width)..<((position + 1) * width)]
        )
    }
}
