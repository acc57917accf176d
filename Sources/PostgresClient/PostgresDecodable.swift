/// A value that can be read from a column in PostgreSQL's text output format.
public protocol PostgresDecodable {
    /// Parses the column's text; throws a `.decoding` error when the text does not fit.
    static func decode(postgresText: String) throws(PostgresError) -> Self
}

extension PostgresDecodable {
    static func decodingFailure(_ text: String) -> PostgresError {
        // The value stays in `detail`, which only `debugDescription` shows.
        PostgresError(kind: .decoding, message: "invalid \(Self.self) text", detail: "value: \(text)")
    }
}

extension String: PostgresDecodable {
    public static func decode(postgresText: String) throws(PostgresError) -> String { postgresText }
}

extension Int: PostgresDecodable {
    public static func decode(postgresText: String) throws(PostgresError) -> Int {
        guard let value = Int(postgresText) else { throw decodingFailure(postgresText) }
        return value
    }
}

extension Int64: PostgresDecodable {
    public static func decode(postgresText: String) throws(PostgresError) -> Int64 {
        guard let value = Int64(postgresText) else { throw decodingFailure(postgresText) }
        return value
    }
}

extension Int32: PostgresDecodable {
    public static func decode(postgresText: String) throws(PostgresError) -> Int32 {
        guard let value = Int32(postgresText) else { throw decodingFailure(postgresText) }
        return value
    }
}

extension Bool: PostgresDecodable {
    /// Accepts the server's `t`/`f` and also `true`/`false`.
    public static func decode(postgresText: String) throws(PostgresError) -> Bool {
        switch postgresText {
        case "t", "true": return true
        case "f", "false": return false
        default: throw decodingFailure(postgresText)
        }
    }
}

extension Double: PostgresDecodable {
    /// Accepts float8/float4/numeric output, including `NaN`, `Infinity` and `-Infinity`.
    public static func decode(postgresText: String) throws(PostgresError) -> Double {
        switch postgresText {
        case "NaN": return .nan
        case "Infinity": return .infinity
        case "-Infinity": return -.infinity
        default:
            guard let value = Double(postgresText) else { throw decodingFailure(postgresText) }
            return value
        }
    }
}

/// Reads a one-dimensional array's text output (e.g. `text[]`), unquoting and unescaping elements.
/// NULL elements are skipped; multi-dimensional arrays throw.
extension Array: PostgresDecodable where Element == String {
    public static func decode(postgresText: String) throws(PostgresError) -> [String] {
        try PostgresArrayLiteral.decode(postgresText).compactMap { $0 }
    }
}
