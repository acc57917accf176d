/// Pure checks of request input (path, query and body values), so that no value reaches a statement that the
/// database cannot take. Each answers what it accepts (or what is wrong); the routes name the parameter in the error.
public enum InputRules {
    // MARK: Timestamps

    /// The earliest instant PostgreSQL's RFC 3339 input takes without a BC suffix: 0001-01-01T00:00:00Z.
    public static let earliestMicroseconds = UTCDay(year: 1, month: 1, day: 1).unixSeconds * 1_000_000
    /// The latest instant a four-digit year can name: 9999-12-31T23:59:59.999999Z.
    public static let latestMicroseconds = UTCDay(year: 9999, month: 12, day: 31).unixSeconds * 1_000_000 + 86_400_000_000 - 1

    /// Parses an RFC 3339 date-time (`2026-11-27T08:00:00Z`, `…T08:00:00.123+05:30`, any number of fraction
    /// digits, `t`/`z` in either case), a date-time without seconds (`…T08:00Z`), one with a space instead of `T`,
    /// or a full date (`2026-11-27`, midnight UTC), into microseconds since the Unix epoch, UTC. Offsets may be up to
    /// ±23:59 as RFC 3339 allows (PostgreSQL takes only ±15:59, so the instant is converted here, never sent as
    /// written). A fraction finer than a microsecond rounds up, so "at or after" keeps its meaning. Nil when the text
    /// is none of these or names no real calendar day or time of day.
    public static func instant(_ text: String) -> Int64? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 10, let day = UTCDay(String(decoding: bytes[0..<10], as: UTF8.self)) else { return nil }
        let dayMicroseconds = day.unixSeconds * 1_000_000
        if bytes.count == 10 { return dayMicroseconds }
        var index = 10
        guard [UInt8(ascii: "T"), UInt8(ascii: "t"), UInt8(ascii: " ")].contains(bytes[index]) else { return nil }
        index += 1
        func twoDigits() -> Int? {
            guard index + 2 <= bytes.count, isDigit(bytes[index]), isDigit(bytes[index + 1]) else { return nil }
            defer { index += 2 }
            return Int(bytes[index] - 48) * 10 + Int(bytes[index + 1] - 48)
        }
        func take(_ byte: UInt8) -> Bool {
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }
        guard let hour = twoDigits(), hour <= 23, take(UInt8(ascii: ":")), let minute = twoDigits(), minute <= 59 else {
            return nil
        }
        var second = 0
        var fraction: Int64 = 0
        if take(UInt8(ascii: ":")) {
            guard let value = twoDigits(), value <= 60 else { return nil }
            second = value
            if take(UInt8(ascii: ".")) {
                let start = index
                var roundUp = false
                while index < bytes.count, isDigit(bytes[index]) {
                    let digit = Int64(bytes[index] - 48)
                    if index - start < 6 {
                        fraction = fraction * 10 + digit
                    } else if digit != 0 {
                        roundUp = true
                    }
                    index += 1
                }
                guard index > start else { return nil }
                for _ in min(index - start, 6)..<6 { fraction *= 10 }
                if roundUp { fraction += 1 }
            }
        }
        guard index < bytes.count else { return nil }
        var offsetSeconds = 0
        if take(UInt8(ascii: "Z")) || take(UInt8(ascii: "z")) {
            offsetSeconds = 0
        } else {
            let sign: Int
            if take(UInt8(ascii: "+")) {
                sign = 1
            } else if take(UInt8(ascii: "-")) {
                sign = -1
            } else {
                return nil
            }
            guard let offsetHour = twoDigits(), offsetHour <= 23, take(UInt8(ascii: ":")),
                let offsetMinute = twoDigits(), offsetMinute <= 59
            else { return nil }
            offsetSeconds = sign * (offsetHour * 3600 + offsetMinute * 60)
        }
        guard index == bytes.count else { return nil }
        let localSeconds = Int64(hour * 3600 + minute * 60 + second)
        return dayMicroseconds + (localSeconds - Int64(offsetSeconds)) * 1_000_000 + fraction
    }

    /// ``instant(_:)`` limited to what the database stores, as RFC 3339 UTC text for a `timestamptz` parameter. An
    /// instant outside years 0001–9999 is moved to the nearest end: for a lower bound on stored times ("at or after")
    /// that changes no answer, since nothing is stored outside them.
    public static func storableInstant(_ text: String) -> Int64? {
        instant(text).map { min(max($0, earliestMicroseconds), latestMicroseconds) }
    }

    // MARK: Integers

    /// A database id: ASCII digits only, 1 through 9223372036854775807 (bigint); nil for anything else, including
    /// signs, spaces and values that overflow bigint.
    public static func id(_ text: String) -> Int64? {
        guard !text.isEmpty, text.utf8.count <= 19, text.utf8.allSatisfy(isDigit), let value = Int64(text), value >= 1
        else { return nil }
        return value
    }

    /// An integer written as ASCII digits with an optional leading `-`, inside `range`; nil otherwise.
    public static func integer(_ text: String, in range: ClosedRange<Int>) -> Int? {
        let digits = text.hasPrefix("-") ? text.utf8.dropFirst() : text.utf8[...]
        guard !digits.isEmpty, digits.count <= 19, digits.allSatisfy(isDigit), let value = Int(text), range.contains(value)
        else { return nil }
        return value
    }

    /// The request log's `?status=`: a class `1xx`…`5xx` (either case), an exact status 100–599, or `0` (no HTTP
    /// response), as the range of response codes it selects; nil for anything else.
    public static func statusFilter(_ text: String) -> ClosedRange<Int>? {
        if text == "0" { return 0...0 }
        let bytes = Array(text.utf8)
        guard bytes.count == 3, (UInt8(ascii: "1")...UInt8(ascii: "5")).contains(bytes[0]) else { return nil }
        let hundreds = Int(bytes[0] - 48) * 100
        let isX: (UInt8) -> Bool = { $0 == UInt8(ascii: "x") || $0 == UInt8(ascii: "X") }
        if isX(bytes[1]), isX(bytes[2]) { return hundreds...(hundreds + 99) }
        guard isDigit(bytes[1]), isDigit(bytes[2]) else { return nil }
        let code = hundreds + Int(bytes[1] - 48) * 10 + Int(bytes[2] - 48)
        return code...code
    }

    /// The digits of a JSON number that is an integer as JSON Schema counts them: `1.0` and `1e3` are integers
    /// too. Nil for a fraction, or a magnitude beyond bigint (where a double no longer holds every integer exactly).
    public static func integralDigits(_ value: Double) -> String? {
        guard value.isFinite, value.rounded(.towardZero) == value, abs(value) < 9.2e18 else { return nil }
        return String(Int64(value))
    }

    // MARK: Text

    public enum TextProblem: Sendable, Equatable {
        /// U+0000, which PostgreSQL text cannot hold.
        case nul
        /// Fewer or more characters (Unicode scalars, as PostgreSQL's `length()` and JSON Schema count) than allowed.
        case length(ClosedRange<Int>)
        /// Only whitespace where a visible character is required.
        case blank
    }

    /// What is wrong with `text` for a column limited to `length` characters, or nil. Characters are Unicode
    /// scalars, as PostgreSQL's `length()` and JSON Schema's `maxLength` count them.
    public static func textProblem(_ text: String, length: ClosedRange<Int>, nonBlank: Bool = false) -> TextProblem? {
        var count = 0
        var visible = false
        for scalar in text.unicodeScalars {
            if scalar == "\u{0}" { return .nul }
            count += 1
            if !scalar.properties.isWhitespace { visible = true }
        }
        guard length.contains(count) else { return .length(length) }
        if nonBlank, !visible { return .blank }
        return nil
    }

    static func isDigit(_ byte: UInt8) -> Bool { byte >= 48 && byte <= 57 }
}
