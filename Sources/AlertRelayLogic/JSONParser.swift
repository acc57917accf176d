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
            if try closesOrContinues(UInt8(ascii: "}")) { break }
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
            // A ']' right after ',' is a trailing comma: parseValue reports "Expecting value" there.
            if try closesOrContinues(UInt8(ascii: "]")) { break }
        }
        depth -= 1
        return .array(elements)
    }

    /// After a member or an element: true at `closing` (consumed), false after a ',' (consumed, with the whitespace
    /// after it); anything else is Python's "Expecting ',' delimiter".
    mutating func closesOrContinues(_ closing: UInt8) throws(JSONParseError) -> Bool {
        skipWhitespace()
        guard pos < bytes.count else { throw fail("Expecting ',' delimiter", pos) }
        if bytes[pos] == closing {
            pos += 1
            return true
        }
        guard bytes[pos] == UInt8(ascii: ",") else { throw fail("Expecting ',' delimiter", pos) }
        pos += 1
        skipWhitespace()
        return false
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
