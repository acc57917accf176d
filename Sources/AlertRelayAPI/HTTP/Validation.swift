import AlertRelayDelivery
import AlertRelayLogic
import AlertRelayStore
import HTTPCore

/// Request input checked with ``InputRules`` before any statement sees it; every error names the parameter or field.
enum Validation {
    /// A query parameter's value; nil when absent or empty (an empty filter means "no filter"). 400 `invalid_character`
    /// for U+0000, which no stored value can contain.
    static func queryText(_ query: QueryParameters, _ name: String) throws(APIError) -> String? {
        guard let value = query[name], !value.isEmpty else { return nil }
        guard !value.unicodeScalars.contains("\u{0}") else {
            throw APIError.badRequest("Query parameter '\(name)' must not contain NUL characters.", code: "invalid_character")
        }
        return value
    }

    /// `?since=`-style timestamps, as RFC 3339 UTC text the database takes (see ``InputRules/storableInstant(_:)``).
    static func queryTimestamp(_ query: QueryParameters, _ name: String) throws(APIError) -> String? {
        guard let text = try queryText(query, name) else { return nil }
        guard let micros = InputRules.storableInstant(text) else {
            throw APIError.badRequest(
                "Query parameter '\(name)' must be an RFC 3339 date-time like 2026-11-27T00:00:00Z (or a date like 2026-11-27).")
        }
        return RFC3339.format(unixMicroseconds: micros)
    }

    /// A text field stored in a column limited to `length` characters; 400 `invalid_character` for NUL, else 422.
    static func text(_ value: String, field: String, length: ClosedRange<Int>, nonBlank: Bool = false) throws(APIError) {
        switch InputRules.textProblem(value, length: length, nonBlank: nonBlank) {
        case nil:
            return
        case .nul:
            throw APIError.badRequest("Field '\(field)' must not contain NUL characters.", code: "invalid_character")
        case .length(let range) where range.lowerBound == range.upperBound:
            throw APIError.unprocessable("Field '\(field)' must be \(range.lowerBound) characters.")
        case .length(let range):
            throw APIError.unprocessable("Field '\(field)' must be \(range.lowerBound)-\(range.upperBound) characters.")
        case .blank:
            throw APIError.unprocessable("Field '\(field)' must contain a character other than whitespace.")
        }
    }

    /// A name (organizations, projects, tokens, apps): 1-200 characters as sent, not only whitespace; stored trimmed
    /// (so the `length(name) BETWEEN 1 AND 200` checks in sql/ always hold).
    static func name(_ value: String, field: String = "name") throws(APIError) -> String {
        try text(value, field: field, length: 1...200, nonBlank: true)
        return value.trimmingWhitespace()
    }

    /// The numeric id in path parameter `name`; `notFound` when it is no bigint id at all (no such resource can exist).
    static func pathID(_ context: RequestContext, _ name: String, notFound: APIError) throws(APIError) -> Int64 {
        guard let id = InputRules.id(context.parameter(name)) else { throw notFound }
        return id
    }
}
