/// A JSON value that keeps object key order and integer literals exactly as given.
///
/// `serialized()` writes the same bytes as Python's
/// `json.dumps(value, separators=(',', ':'))` (with the default `ensure_ascii=True`),
/// so a body we send is a fixed point of the parse-and-re-serialize step that Sentry's
/// example receivers run before checking the signature (BEHAVIOUR A2).
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    /// The literal digits as given (`"-12"`, arbitrarily large); `-0` is normalized to `0`.
    case integer(String)
    case float(Double)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    /// An integer value from a Swift `Int`.
    public static func int(_ v: Int) -> JSONValue { .integer(String(v)) }

    /// An integer value from a Swift `Int64`.
    public static func int64(_ v: Int64) -> JSONValue { .integer(String(v)) }

    /// The string, when this is a `.string`.
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The value of an `.integer` that fits in `Int64`; `nil` for anything else (floats included).
    public var int64Value: Int64? {
        if case .integer(let digits) = self { return Int64(digits) }
        return nil
    }


    /// The object, when this is an `.object`.
    public var objectValue: JSONObject? {
        if case .object(let o) = self { return o }
        return nil
    }



    /// The JSON type's name for error messages: "null", "boolean", "integer", "number", "string", "array", "object".
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .integer: return "integer"
        case .float: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }
}

extension JSONValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral,
    ExpressibleByDictionaryLiteral
{
    public init(nilLiteral: ()) { self = .null }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int) { self = .integer(String(value)) }
    public init(floatLiteral value: Double) { self = .float(value) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) { self = .object(JSONObject(elements)) }
}

/// A JSON object with Python `dict` semantics: keys keep insertion order, assigning to an
/// existing key keeps its position, assigning `nil` removes it.
///
/// Equality compares keys, values *and order*, because the serialized bytes depend on the order.
public struct JSONObject: Sendable, Equatable, Sequence {
    public typealias Element = (key: String, value: JSONValue)

    private var storedKeys: [String] = []
    private var storedValues: [JSONValue] = []
    private var index: [String: Int] = [:]

    /// An empty object.
    public init() {}

    /// An object from pairs in order; a repeated key keeps its first position and its last value.
    public init(_ pairs: [(String, JSONValue)]) {
        for (key, value) in pairs { self[key] = value }
    }

    /// The value for `key`; setting an existing key keeps its position, a new key appends, `nil` removes.
    public subscript(key: String) -> JSONValue? {
        get {
            guard let i = index[key] else { return nil }
            return storedValues[i]
        }
        set {
            if let i = index[key] {
                if let newValue {
                    storedValues[i] = newValue
                } else {
                    storedKeys.remove(at: i)
                    storedValues.remove(at: i)
                    index[key] = nil
                    for j in i..<storedKeys.count { index[storedKeys[j]] = j }
                }
            } else if let newValue {
                index[key] = storedKeys.count
                storedKeys.append(key)
                storedValues.append(newValue)
            }
        }
    }

    /// Keys in order.
    public var keys: [String] { storedKeys }

    /// Values in key order.
    public var values: [JSONValue] { storedValues }

    /// Number of keys.
    public var count: Int { storedKeys.count }

    /// `true` when the object has no keys.
    public var isEmpty: Bool { storedKeys.isEmpty }

    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        lhs.storedKeys == rhs.storedKeys && lhs.storedValues == rhs.storedValues
    }

    public struct Iterator: IteratorProtocol {
        fileprivate let keys: [String]
        fileprivate let values: [JSONValue]
        fileprivate var position = 0

        public mutating func next() -> (key: String, value: JSONValue)? {
            guard position < keys.count else { return nil }
            defer { position += 1 }
            return (keys[position], values[position])
        }
    }

    public func makeIterator() -> Iterator { Iterator(keys: storedKeys, values: storedValues) }
}

extension JSONObject: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, JSONValue)...) { self.init(elements) }
}

/// Why a JSON text was refused, and the byte offset where it was noticed.
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A human-readable sentence fragment, e.g. "Expecting ':' delimiter".
    public let message: String
    /// Byte offset into the input.
    public let offset: Int

    public init(message: String, offset: Int) {
        self.message = message
        self.offset = offset
    }

    public var description: String { "\(message) at byte \(offset)" }
}
