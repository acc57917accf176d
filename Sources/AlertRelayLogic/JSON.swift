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

    /// The flag, when this is a `.bool`.
    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    /// The object, when this is an `.object`.
    public var objectValue: JSONObject? {
        if case .object(let o) = self { return o }
        return nil
    }

    /// The elements, when this is an `.array`.
    public var arrayValue: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    /// `true` for `.null`.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
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

// MARK: - Parsing

extension JSONValue {
    /// Parses exactly one RFC 8259 JSON value (surrounded by optional whitespace).
    ///
    /// Strict: no trailing commas, no `NaN`/`Infinity`, no leading zeros, valid UTF-8 only,
    /// no lone surrogate escapes, numbers that overflow a `Double` are refused, nesting deeper than
    /// `maxDepth` arrays/objects is refused. Duplicate keys: the last value wins at the first key's position.
    public static func parse(_ bytes: some Collection<UInt8>, maxDepth: Int = 64) throws(JSONParseError) -> JSONValue {
        let input = Array(bytes)
        if let bad = UTF8Check.firstInvalidOffset(input) {
            throw JSONParseError(message: "Invalid UTF-8", offset: bad)
        }
        var parser = JSONParser(bytes: input, maxDepth: maxDepth)
        return try parser.parseDocument()
    }

    /// Parses a JSON text given as a Swift string.
    public static func parse(_ text: String, maxDepth: Int = 64) throws(JSONParseError) -> JSONValue {
        try parse(Array(text.utf8), maxDepth: maxDepth)
    }
}

enum UTF8Check {
    /// Offset of the first byte that does not begin a well-formed UTF-8 sequence, or `nil`.
    static func firstInvalidOffset(_ b: [UInt8]) -> Int? {
        var i = 0
        let n = b.count
        while i < n {
            let c = b[i]
            if c < 0x80 {
                i += 1
                continue
            }
            var need = 0
            var lo: UInt8 = 0x80
            var hi: UInt8 = 0xBF
            switch c {
            case 0xC2...0xDF: need = 1
            case 0xE0: need = 2; lo = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: need = 2
            case 0xED: need = 2; hi = 0x9F
            case 0xF0: need = 3; lo = 0x90
            case 0xF1...0xF3: need = 3
            case 0xF4: need = 3; hi = 0x8F
            default: return i
            }
            guard i + need < n else { return i }
            if b[i + 1] < lo || b[i + 1] > hi { return i }
            if need >= 2 {
                for k in 2...need where b[i + k] & 0xC0 != 0x80 { return i }
            }
            i += need + 1
        }
        return nil
    }
}

private struct JSONParser {
    let bytes: [UInt8]
    let maxDepth: Int
    var pos = 0
    var depth = 0

    init(bytes: [UInt8], maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    func fail(_ message: String, _ at: Int) -> JSONParseError { JSONParseError(message: message, offset: at) }

    mutating func skipWhitespace() {
        while pos < bytes.count {
            switch bytes[pos] {
            case 0x20, 0x09, 0x0A, 0x0D: pos += 1
            default: return
            }
        }
    }

    mutating func parseDocument() throws(JSONParseError) -> JSONValue {
        skipWhitespace()
        let value = try parseValue()
        skipWhitespace()
        if pos != bytes.count { throw fail("Extra data", pos) }
        return value
    }

    mutating func parseValue() throws(JSONParseError) -> JSONValue {
        guard pos < bytes.count else { throw fail("Expecting value", pos) }
        switch bytes[pos] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"):
            try expectLiteral("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try expectLiteral("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try expectLiteral("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return try parseNumber()
        default:
            throw fail("Expecting value", pos)
        }
    }

    mutating func expectLiteral(_ word: StaticString) throws(JSONParseError) {
        let start = pos
        let count = word.utf8CodeUnitCount
        guard pos + count <= bytes.count else { throw fail("Expecting value", start) }
        let matches = word.withUTF8Buffer { w in
            for k in 0..<count where bytes[pos + k] != w[k] { return false }
            return true
        }
        guard matches else { throw fail("Expecting value", start) }
        pos += count
    }

    mutating func enter() throws(JSONParseError) {
        depth += 1
        if depth > maxDepth { throw fail("Nesting deeper than \(maxDepth) levels", pos) }
    }

    mutating func parseObject() throws(JSONParseError) -> JSONValue {
        try enter()
        pos += 1
        var object = JSONObject()
        skipWhitespace()
        if pos < bytes.count, bytes[pos] == UInt8(ascii: "}") {
            pos += 1
            depth -= 1
            return .object(object)
        }
        while true {
            guard pos < bytes.count, bytes[pos] == UInt8(ascii: "\"") else {
                throw fail("Expecting property name enclosed in double quotes", pos)
            }
            let key = try parseString()
            skipWhitespace()
            guard pos < bytes.count, bytes[pos] == UInt8(ascii: ":") else {
                throw fail("Expecting ':' delimiter", pos)
            }
            pos += 1
            skipWhitespace()
            let value = try parseValue()
            object[key] = value
            skipWhitespace()
            guard pos < bytes.count else { throw fail("Expecting ',' delimiter", pos) }
            if bytes[pos] == UInt8(ascii: "}") {
                pos += 1
                break
            }
            guard bytes[pos] == UInt8(ascii: ",") else { throw fail("Expecting ',' delimiter", pos) }
            pos += 1
            skipWhitespace()
        }
        depth -= 1
        return .object(object)
    }

    mutating func parseArray() throws(JSONParseError) -> JSONValue {
        try enter()
        pos += 1
        var elements: [JSONValue] = []
        skipWhitespace()
        if pos < bytes.count, bytes[pos] == UInt8(ascii: "]") {
            pos += 1
            depth -= 1
            return .array(elements)
        }
        while true {
            elements.append(try parseValue())
            skipWhitespace()
            guard pos < bytes.count else { throw fail("Expecting ',' delimiter", pos) }
            if bytes[pos] == UInt8(ascii: "]") {
                pos += 1
                break
            }
            guard bytes[pos] == UInt8(ascii: ",") else { throw fail("Expecting ',' delimiter", pos) }
            pos += 1
            skipWhitespace()
            // A ']' right after ',' is a trailing comma: parseValue reports "Expecting value" there.
        }
        depth -= 1
        return .array(elements)
    }

    /// Parses a string starting at the opening quote; the input is already known to be valid UTF-8.
    mutating func parseString() throws(JSONParseError) -> String {
        let start = pos
        pos += 1
        var runStart = pos
        var buffer: [UInt8] = []
        var sawEscape = false
        while true {
            guard pos < bytes.count else { throw fail("Unterminated string starting at", start) }
            let c = bytes[pos]
            if c == UInt8(ascii: "\"") {
                let result: String
                if sawEscape {
                    buffer.append(contentsOf: bytes[runStart..<pos])
                    result = String(decoding: buffer, as: UTF8.self)
                } else {
                    result = String(decoding: bytes[runStart..<pos], as: UTF8.self)
                }
                pos += 1
                return result
            }
            if c < 0x20 { throw fail("Invalid control character in string", pos) }
            if c != UInt8(ascii: "\\") {
                pos += 1
                continue
            }
            sawEscape = true
            buffer.append(contentsOf: bytes[runStart..<pos])
            let escapeStart = pos
            pos += 1
            guard pos < bytes.count else { throw fail("Unterminated string starting at", start) }
            let e = bytes[pos]
            pos += 1
            switch e {
            case UInt8(ascii: "\""): buffer.append(0x22)
            case UInt8(ascii: "\\"): buffer.append(0x5C)
            case UInt8(ascii: "/"): buffer.append(0x2F)
            case UInt8(ascii: "b"): buffer.append(0x08)
            case UInt8(ascii: "f"): buffer.append(0x0C)
            case UInt8(ascii: "n"): buffer.append(0x0A)
            case UInt8(ascii: "r"): buffer.append(0x0D)
            case UInt8(ascii: "t"): buffer.append(0x09)
            case UInt8(ascii: "u"):
                let first = try readHex4(escapeStart)
                var scalarValue = UInt32(first)
                if (0xD800...0xDBFF).contains(first) {
                    guard pos + 1 < bytes.count, bytes[pos] == UInt8(ascii: "\\"), bytes[pos + 1] == UInt8(ascii: "u")
                    else { throw fail("Lone surrogate \\u escape", escapeStart) }
                    let secondStart = pos
                    pos += 2
                    let second = try readHex4(secondStart)
                    guard (0xDC00...0xDFFF).contains(second) else {
                        throw fail("Lone surrogate \\u escape", escapeStart)
                    }
                    scalarValue = 0x10000 + ((UInt32(first) - 0xD800) << 10) + (UInt32(second) - 0xDC00)
                } else if (0xDC00...0xDFFF).contains(first) {
                    throw fail("Lone surrogate \\u escape", escapeStart)
                }
                guard let scalar = Unicode.Scalar(scalarValue) else {
                    throw fail("Lone surrogate \\u escape", escapeStart)
                }
                if let encoded = UTF8.encode(scalar) { buffer.append(contentsOf: encoded) }
            default:
                throw fail("Invalid \\escape", escapeStart)
            }
            runStart = pos
        }
    }

    /// Reads the four hex digits after `\u` (pos is on the first digit).
    mutating func readHex4(_ escapeStart: Int) throws(JSONParseError) -> UInt16 {
        guard pos + 4 <= bytes.count else { throw fail("Invalid \\uXXXX escape", escapeStart) }
        var v: UInt16 = 0
        for _ in 0..<4 {
            let c = bytes[pos]
            let d: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = c - UInt8(ascii: "A") + 10
            default: throw fail("Invalid \\uXXXX escape", escapeStart)
            }
            v = v << 4 | UInt16(d)
            pos += 1
        }
        return v
    }

    mutating func parseNumber() throws(JSONParseError) -> JSONValue {
        let start = pos
        var isFloat = false
        if bytes[pos] == UInt8(ascii: "-") { pos += 1 }
        guard pos < bytes.count, isDigit(bytes[pos]) else { throw fail("Expecting value", start) }
        if bytes[pos] == UInt8(ascii: "0") {
            pos += 1
            if pos < bytes.count, isDigit(bytes[pos]) { throw fail("Leading zeros are not allowed", start) }
        } else {
            while pos < bytes.count, isDigit(bytes[pos]) { pos += 1 }
        }
        if pos < bytes.count, bytes[pos] == UInt8(ascii: ".") {
            isFloat = true
            pos += 1
            guard pos < bytes.count, isDigit(bytes[pos]) else { throw fail("Expecting digits after '.'", pos) }
            while pos < bytes.count, isDigit(bytes[pos]) { pos += 1 }
        }
        if pos < bytes.count, bytes[pos] == UInt8(ascii: "e") || bytes[pos] == UInt8(ascii: "E") {
            isFloat = true
            pos += 1
            if pos < bytes.count, bytes[pos] == UInt8(ascii: "+") || bytes[pos] == UInt8(ascii: "-") { pos += 1 }
            guard pos < bytes.count, isDigit(bytes[pos]) else { throw fail("Expecting exponent digits", pos) }
            while pos < bytes.count, isDigit(bytes[pos]) { pos += 1 }
        }
        let literal = String(decoding: bytes[start..<pos], as: UTF8.self)
        if isFloat {
            guard let d = Double(literal), d.isFinite else { throw fail("Number out of range", start) }
            return .float(d)
        }
        return .integer(literal == "-0" ? "0" : literal)
    }

    @inline(__always) func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
}

// MARK: - Serializing

extension JSONValue {
    /// Exactly the bytes of Python's `json.dumps(value, separators=(',', ':'))`.
    ///
    /// Non-finite floats (which no parsed value holds) are written as `null` so the output stays valid JSON;
    /// Python would write `NaN`/`Infinity` there.
    public func serialized() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        JSONWriter.write(self, into: &out)
        return out
    }

    /// `serialized()` as a `String` (always ASCII).
    public var serializedString: String { String(decoding: serialized(), as: UTF8.self) }
}

enum JSONWriter {
    static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    static func write(_ value: JSONValue, into out: inout [UInt8]) {
        switch value {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .integer(let digits): out.append(contentsOf: digits.utf8)
        case .float(let d): out.append(contentsOf: PythonFloat.repr(d).utf8)
        case .string(let s): writeString(s, into: &out)
        case .array(let elements):
            out.append(UInt8(ascii: "["))
            for (i, e) in elements.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                write(e, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let object):
            out.append(UInt8(ascii: "{"))
            var first = true
            for (key, v) in object {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                writeString(key, into: &out)
                out.append(UInt8(ascii: ":"))
                write(v, into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    static func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for scalar in s.unicodeScalars {
            let v = scalar.value
            switch v {
            case 0x22: out.append(contentsOf: [0x5C, 0x22])
            case 0x5C: out.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0x08: out.append(contentsOf: [0x5C, UInt8(ascii: "b")])
            case 0x0C: out.append(contentsOf: [0x5C, UInt8(ascii: "f")])
            case 0x20...0x7E: out.append(UInt8(v))
            default:
                // Python's ensure_ascii: everything outside printable ASCII (DEL included) as \uXXXX.
                if let units = UTF16.encode(scalar) {
                    for unit in units { writeUnit(unit, into: &out) }
                }
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    static func writeUnit(_ u: UInt16, into out: inout [UInt8]) {
        out.append(0x5C)
        out.append(UInt8(ascii: "u"))
        out.append(hex[Int(u >> 12) & 0xF])
        out.append(hex[Int(u >> 8) & 0xF])
        out.append(hex[Int(u >> 4) & 0xF])
        out.append(hex[Int(u) & 0xF])
    }
}

/// Python's `repr(float)`.
enum PythonFloat {
    /// Shortest round-trip digits, positional when the decimal exponent is in -4..<16, else `d.ddde+XX`.
    static func repr(_ d: Double) -> String {
        guard d.isFinite else { return "null" }
        if d == 0 { return d.sign == .minus ? "-0.0" : "0.0" }
        // Swift's description already gives the shortest round-trip digits; only the layout differs.
        let (negative, digits, decpt) = decompose(d.description)
        var out = negative ? "-" : ""
        let n = digits.count
        let sciExp = decpt - 1
        if sciExp < -4 || sciExp >= 16 {
            out.append(digits[digits.startIndex])
            if n > 1 {
                out.append(".")
                out.append(contentsOf: digits.dropFirst())
            }
            out.append("e")
            out.append(sciExp < 0 ? "-" : "+")
            let magnitude = String(abs(sciExp))
            if magnitude.count < 2 { out.append("0") }
            out.append(magnitude)
        } else if decpt <= 0 {
            out.append("0.")
            out.append(String(repeating: "0", count: -decpt))
            out.append(digits)
        } else if decpt < n {
            let split = digits.index(digits.startIndex, offsetBy: decpt)
            out.append(contentsOf: digits[..<split])
            out.append(".")
            out.append(contentsOf: digits[split...])
        } else {
            out.append(digits)
            out.append(String(repeating: "0", count: decpt - n))
            out.append(".0")
        }
        return out
    }

    /// Splits Swift's description ("-1.25e-07", "123.0", "5e-324") into sign, significant digits
    /// (no leading or trailing zeros) and the decimal point position: value = 0.DIGITS × 10^decpt.
    static func decompose(_ text: String) -> (negative: Bool, digits: String, decpt: Int) {
        var s = Substring(text)
        var negative = false
        if s.first == "-" {
            negative = true
            s = s.dropFirst()
        }
        var exponent = 0
        if let e = s.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exponent = Int(s[s.index(after: e)...]) ?? 0
            s = s[..<e]
        }
        var intPart = s
        var fracPart: Substring = ""
        if let dot = s.firstIndex(of: ".") {
            intPart = s[..<dot]
            fracPart = s[s.index(after: dot)...]
        }
        var digits = String(intPart) + String(fracPart)
        var decpt = intPart.count + exponent
        while digits.first == "0" {
            digits.removeFirst()
            decpt -= 1
        }
        while digits.last == "0" { digits.removeLast() }
        if digits.isEmpty { return (negative, "0", 1) }
        return (negative, digits, decpt)
    }
}
