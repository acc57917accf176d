/// One row of a result, with the values as the server's text (nil for SQL NULL).
public struct PostgresRow: Sendable {
    /// Column names in result order.
    public let columnNames: [String]
    private let values: ArraySlice<String?>

    init(columnNames: [String], values: ArraySlice<String?>) {
        self.columnNames = columnNames
        self.values = values
    }

    /// Decodes a non-NULL column; throws `.decoding` for NULL or unparsable text, `.usage` for a bad index.
    public func decode<T: PostgresDecodable>(
        _ index: Int, as: T.Type = T.self, file: String = #fileID, line: Int = #line
    ) throws(PostgresError) -> T {
        guard let value = try decode(index, as: T?.self, file: file, line: line) else {
            throw PostgresError(
                kind: .decoding, message: "column \(label(index)) is NULL, expected \(T.self)",
                file: file, line: line
            )
        }
        return value
    }

    /// Decodes a nullable column; SQL NULL gives nil.
    public func decode<T: PostgresDecodable>(
        _ index: Int, as: T?.Type, file: String = #fileID, line: Int = #line
    ) throws(PostgresError) -> T? {
        guard columnNames.indices.contains(index) else {
            throw PostgresError(
                kind: .usage, message: "column index \(index) out of range (\(columnNames.count) columns)",
                file: file, line: line
            )
        }
        guard let text = values[values.startIndex + index] else { return nil }
        do {
            return try T.decode(postgresText: text)
        } catch {
            throw error.prefixed("column \(label(index))", file: file, line: line)
        }
    }

    /// Decodes a non-NULL column found by name (the first column of that name).
    public func decode<T: PostgresDecodable>(
        _ name: String, as: T.Type = T.self, file: String = #fileID, line: Int = #line
    ) throws(PostgresError) -> T {
        try decode(try columnIndex(name, file: file, line: line), as: T.self, file: file, line: line)
    }

    /// Decodes a nullable column found by name; SQL NULL gives nil.
    public func decode<T: PostgresDecodable>(
        _ name: String, as: T?.Type, file: String = #fileID, line: Int = #line
    ) throws(PostgresError) -> T? {
        try decode(try columnIndex(name, file: file, line: line), as: T?.self, file: file, line: line)
    }

    /// Decodes a non-NULL text column found by name into an enum of its values (a status, a state); a value the enum
    /// does not know is a decoding error naming the type.
    public func decode<T: RawRepresentable>(
        _ name: String, as: T.Type, file: String = #fileID, line: Int = #line
    ) throws(PostgresError) -> T where T.RawValue == String {
        let text = try decode(name, as: String.self, file: file, line: line)
        guard let value = T(rawValue: text) else {
            throw PostgresError(kind: .decoding, message: "unknown \(T.self) '\(text)'", file: file, line: line)
        }
        return value
    }

    /// True when the column is SQL NULL (or the index is out of range).
    public func isNull(_ index: Int) -> Bool {
        text(index) == nil
    }

    /// The column's raw text; nil for SQL NULL or an index out of range.
    public func text(_ index: Int) -> String? {
        guard columnNames.indices.contains(index) else { return nil }
        return values[values.startIndex + index]
    }

    private func columnIndex(_ name: String, file: String, line: Int) throws(PostgresError) -> Int {
        guard let index = columnNames.firstIndex(of: name) else {
            throw PostgresError(kind: .usage, message: "no column named \"\(name)\"", file: file, line: line)
        }
        return index
    }

    private func label(_ index: Int) -> String {
        "\(index) (\"\(columnNames[index])\")"
    }
}
