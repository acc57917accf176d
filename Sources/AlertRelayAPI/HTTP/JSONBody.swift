import AlertRelayDelivery
import AlertRelayLogic
import AlertRelayStore
import HTTPCore
import HTTPTypes

/// A request body that must be a JSON object, with typed field reads whose errors name the field.
public struct JSONBody: Sendable {
    public let object: JSONObject

    public init(object: JSONObject) {
        self.object = object
    }

    /// Checks the media type (415) and parses the body (400 naming the problem).
    public static func parse(_ request: Request) throws(APIError) -> JSONBody {
        let contentType = request.headers[.contentType] ?? ""
        let mediaType = contentType.split(separator: ";", maxSplits: 1).first
            .map { $0.trimmingWhitespace().lowercased() } ?? ""
        guard mediaType == "application/json" || (mediaType.hasPrefix("application/") && mediaType.hasSuffix("+json")) else {
            throw APIError(
                .unsupportedMediaType, code: "unsupported_media_type",
                "The request body must be JSON, sent with Content-Type: application/json.")
        }
        guard !request.body.isEmpty else {
            throw .badRequest("The request body is empty; a JSON object is required.", code: "malformed_json")
        }
        let value: JSONValue
        do {
            value = try JSONValue.parse(request.body)
        } catch {
            throw .badRequest("Malformed JSON at byte \(error.offset): \(error.message).", code: "malformed_json")
        }
        guard case .object(let object) = value else {
            throw .badRequest("The request body must be a JSON object, not \(value.typeName).", code: "malformed_json")
        }
        return JSONBody(object: object)
    }

    public func value(_ field: String) -> JSONValue? {
        object[field]
    }

    public func string(_ field: String) throws(APIError) -> String {
        guard let value = try optionalString(field) else { throw Self.missing(field) }
        return value
    }

    public func optionalString(_ field: String) throws(APIError) -> String? {
        guard let value = object[field], value != .null else { return nil }
        guard case .string(let text) = value else { throw Self.wrongType(field, "a string", value) }
        // PostgreSQL text cannot hold U+0000; refuse it here rather than fail in the database.
        guard !text.unicodeScalars.contains("\u{0}") else {
            throw APIError.badRequest("Field '\(field)' must not contain NUL characters.", code: "invalid_character")
        }
        return text
    }

    public func optionalInt(_ field: String) throws(APIError) -> Int? {
        guard let value = object[field], value != .null else { return nil }
        guard let digits = Self.integerDigits(value) else { throw Self.wrongType(field, "an integer", value) }
        guard let number = Int(digits) else {
            throw .unprocessable("Field '\(field)' is out of range.")
        }
        return number
    }

    public func optionalBool(_ field: String) throws(APIError) -> Bool? {
        guard let value = object[field], value != .null else { return nil }
        guard case .bool(let flag) = value else { throw Self.wrongType(field, "a boolean", value) }
        return flag
    }

    public func optionalStringArray(_ field: String) throws(APIError) -> [String]? {
        guard let value = object[field], value != .null else { return nil }
        guard case .array(let items) = value else { throw Self.wrongType(field, "an array of strings", value) }
        var strings: [String] = []
        for item in items {
            guard case .string(let text) = item else { throw Self.wrongType(field, "an array of strings", value) }
            guard !text.unicodeScalars.contains("\u{0}") else {
                throw APIError.badRequest("Field '\(field)' must not contain NUL characters.", code: "invalid_character")
            }
            strings.append(text)
        }
        return strings
    }

    public func object(_ field: String) throws(APIError) -> JSONObject {
        guard let value = object[field], value != .null else { throw Self.missing(field) }
        guard case .object(let inner) = value else { throw Self.wrongType(field, "an object", value) }
        return inner
    }

    /// The digits of an integer, also when it is written as a number with a zero fraction or an exponent (`1.0`,
    /// `1e3`), which JSON Schema counts as an integer; nil for anything else.
    static func integerDigits(_ value: JSONValue) -> String? {
        switch value {
        case .integer(let digits): digits
        case .float(let number): InputRules.integralDigits(number)
        default: nil
        }
    }

    static func missing(_ field: String) -> APIError {
        .badRequest("Field '\(field)' is required.", code: "missing_field")
    }

    static func wrongType(_ field: String, _ expected: String, _ value: JSONValue) -> APIError {
        .badRequest("Field '\(field)' must be \(expected), not \(value.typeName).", code: "wrong_type")
    }
}

extension StringProtocol {
    func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        var result = String.UnicodeScalarView()
        result.append(contentsOf: scalars[first...last])
        return String(result)
    }
}
