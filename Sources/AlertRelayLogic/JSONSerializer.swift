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
