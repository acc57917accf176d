/// Statement text assembled only from string literals (and other `SQL` values), never from input: for a column list
/// that several statements share. Interpolation accepts nothing but `SQL`, and the literal parts are `StaticString`s,
/// so a request value cannot reach the text; values still travel as `$n` binds. Build statements once (`static let`).
public struct SQL: Sendable, Hashable, ExpressibleByStringInterpolation, CustomStringConvertible {
    public let text: String

    public init(stringLiteral literal: StaticString) {
        text = literal.description
    }

    public init(stringInterpolation: StringInterpolation) {
        text = stringInterpolation.text
    }

    private init(text: String) {
        self.text = text
    }

    public var description: String { text }

    public struct StringInterpolation: StringInterpolationProtocol {
        var text = ""

        public init(literalCapacity: Int, interpolationCount: Int) {
            text.reserveCapacity(literalCapacity + 32 * interpolationCount)
        }

        public mutating func appendLiteral(_ literal: StaticString) {
            text += literal.description
        }

        public mutating func appendInterpolation(_ sql: SQL) {
            text += sql.text
        }
    }

    /// `expression AS name, …` for a select or RETURNING list: each `{t}` in an expression becomes `table.` (or
    /// nothing when `table` is empty), and each output name gets `prefix` in front.
    public static func selectList(
        _ columns: [(expression: StaticString, name: StaticString)], table: StaticString = "", prefix: StaticString = ""
    ) -> SQL {
        let qualifier = table.description.isEmpty ? "" : table.description + "."
        return SQL(
            text: columns.map { column in
                column.expression.description.replacing("{t}", with: qualifier) + " AS " + prefix.description
                    + column.name.description
            }.joined(separator: ", "))
    }
}
