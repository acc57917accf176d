/// A value that can travel as a `$n` parameter in PostgreSQL's text format.
public protocol PostgresBindable {
    /// The parameter's text form; nil sends SQL NULL.
    var postgresText: String? { get }
}

extension String: PostgresBindable {
    public var postgresText: String? { self }
}

extension Substring: PostgresBindable {
    public var postgresText: String? { String(self) }
}

extension Int: PostgresBindable {
    public var postgresText: String? { String(self) }
}

extension Int64: PostgresBindable {
    public var postgresText: String? { String(self) }
}

extension Int32: PostgresBindable {
    public var postgresText: String? { String(self) }
}

extension Bool: PostgresBindable {
    public var postgresText: String? { self ? "true" : "false" }
}

extension Double: PostgresBindable {
    /// Swift's shortest round-trip form; non-finite values use PostgreSQL's spellings.
    public var postgresText: String? {
        if isNaN { return "NaN" }
        if isInfinite { return self < 0 ? "-Infinity" : "Infinity" }
        return String(self)
    }
}

extension Optional: PostgresBindable where Wrapped: PostgresBindable {
    public var postgresText: String? {
        switch self {
        case .some(let value): value.postgresText
        case .none: nil
        }
    }
}

/// One-dimensional arrays bind as an array literal (`{"a","b\"c",NULL}`), suitable for `text[]`,
/// `int8[]` and friends, e.g. `WHERE id = ANY($1)`. Every element is quoted and `"`/`\` are escaped;
/// nil elements become NULL. Arrays of arrays are not supported as multi-dimensional arrays:
/// inner arrays would be sent as text elements.
extension Array: PostgresBindable where Element: PostgresBindable {
    public var postgresText: String? {
        PostgresArrayLiteral.encode(self.lazy.map { $0.postgresText })
    }
}

/// Text form of PostgreSQL one-dimensional array literals.
enum PostgresArrayLiteral {
    static func encode<S: Sequence>(_ elements: S) -> String where S.Element == String? {
        // Built as UTF-8 bytes: `"` and `\` are ASCII, and UTF-8 never uses ASCII bytes inside a multi-byte
        // sequence, so escaping byte by byte is exact (and far cheaper than appending scalar by scalar; the
        // dispatcher binds arrays of whole request and response bodies).
        var bytes: [UInt8] = [UInt8(ascii: "{")]
        var isFirst = true
        for element in elements {
            if !isFirst { bytes.append(UInt8(ascii: ",")) }
            isFirst = false
            guard var element else {
                bytes.append(contentsOf: "NULL".utf8)
                continue
            }
            bytes.append(UInt8(ascii: "\""))
            element.withUTF8 { utf8 in
                bytes.reserveCapacity(bytes.count + utf8.count + 2)
                var start = 0
                for (index, byte) in utf8.enumerated() where byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                    bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<index]))
                    bytes.append(UInt8(ascii: "\\"))
                    bytes.append(byte)
                    start = index + 1
                }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start...]))
            }
            bytes.append(UInt8(ascii: "\""))
        }
        bytes.append(UInt8(ascii: "}"))
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Parses the server's text output of a one-dimensional array; NULL elements are returned as nil.
    static func decode(_ text: String) throws(PostgresError) -> [String?] {
        // All syntax characters are ASCII, and UTF-8 never uses ASCII bytes inside multi-byte
        // sequences, so scanning bytes is safe.
        let bytes = Array(text.utf8)
        var index = 0
        func fail(_ reason: String) -> PostgresError {
            PostgresError(kind: .decoding, message: "invalid array literal: \(reason)", detail: "value: \(text)")
        }
        func skipSpaces() {
            while index < bytes.count, isSpace(bytes[index]) { index += 1 }
        }

        skipSpaces()
        // Arrays whose lower bound is not 1 carry a dimension decoration: "[0:1]={a,b}".
        if index < bytes.count, bytes[index] == UInt8(ascii: "[") {
            while index < bytes.count, bytes[index] != UInt8(ascii: "=") { index += 1 }
            index += 1
            skipSpaces()
        }
        guard index < bytes.count, bytes[index] == UInt8(ascii: "{") else { throw fail("missing '{'") }
        index += 1
        skipSpaces()

        var elements: [String?] = []
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
        } else {
            while true {
                skipSpaces()
                guard index < bytes.count else { throw fail("unterminated") }
                var element: [UInt8] = []
                var isNull = false
                switch bytes[index] {
                case UInt8(ascii: "{"):
                    throw fail("multi-dimensional arrays are not supported")
                case UInt8(ascii: "\""):
                    index += 1
                    var closed = false
                    while index < bytes.count {
                        let byte = bytes[index]
                        index += 1
                        if byte == UInt8(ascii: "\\") {
                            guard index < bytes.count else { break }
                            element.append(bytes[index])
                            index += 1
                        } else if byte == UInt8(ascii: "\"") {
                            closed = true
                            break
                        } else {
                            element.append(byte)
                        }
                    }
                    guard closed else { throw fail("unterminated quoted element") }
                default:
                    var sawEscape = false
                    var keptLength = 0  // length without trailing unescaped spaces
                    while index < bytes.count {
                        let byte = bytes[index]
                        if byte == UInt8(ascii: ",") || byte == UInt8(ascii: "}") { break }
                        index += 1
                        if byte == UInt8(ascii: "\\") {
                            guard index < bytes.count else { throw fail("dangling escape") }
                            element.append(bytes[index])
                            index += 1
                            sawEscape = true
                            keptLength = element.count
                        } else if byte == UInt8(ascii: "{") || byte == UInt8(ascii: "\"") {
                            throw fail("unexpected character in unquoted element")
                        } else {
                            element.append(byte)
                            if !isSpace(byte) { keptLength = element.count }
                        }
                    }
                    element.removeLast(element.count - keptLength)
                    guard !element.isEmpty else { throw fail("empty unquoted element") }
                    isNull =
                        !sawEscape && element.count == 4
                        && String(decoding: element, as: UTF8.self).uppercased() == "NULL"
                }
                elements.append(isNull ? nil : String(decoding: element, as: UTF8.self))
                skipSpaces()
                guard index < bytes.count else { throw fail("unterminated") }
                let separator = bytes[index]
                index += 1
                if separator == UInt8(ascii: "}") { break }
                guard separator == UInt8(ascii: ",") else { throw fail("expected ',' or '}'") }
            }
        }
        skipSpaces()
        guard index == bytes.count else { throw fail("trailing characters") }
        return elements
    }

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || (byte >= 0x09 && byte <= 0x0D)
    }
}
