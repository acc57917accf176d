import AlertRelayLogic
import Testing

/// The pure input checks every route uses before a value reaches a statement (issue 10, hardening).
@Suite struct InputRulesTests {
    // MARK: Timestamps

    @Test(arguments: [
        ("1970-01-01T00:00:00Z", Int64(0)), ("1970-01-01T01:00:00+01:00", 0), ("1969-12-31T23:00:00-01:00", 0),
        ("1970-01-01", 0), ("1970-01-01t00:00:00.000001z", 1), ("1970-01-01T00:00Z", 0),
        ("1970-01-01 00:00:01.5Z", 1_500_000), ("1970-01-01T00:00:59.999999Z", 59_999_999),
        // Finer than a microsecond rounds up: "at or after" then still excludes what lies before.
        ("1970-01-01T00:00:00.0000001Z", 1), ("1970-01-01T00:00:00.000000000000Z", 0),
        ("1970-01-01T00:00:00.9999999Z", 1_000_000),
        ("2026-11-27T08:00:00Z", 1_795_766_400_000_000), ("2026-11-27", 1_795_737_600_000_000),
        // What made the request log answer 500: offsets PostgreSQL does not take, and far years.
        ("0054-07-24T09:44:01.84+16:50", -60_445_465_558_160_000), ("8956-09-08T11:07:30-22:00", 220_478_663_250_000_000),
        ("1026-01-22T19:27:16.0+21:23", -29_787_962_144_000_000),
        // A leap second is the next minute's first second.
        ("2016-12-31T23:59:60Z", 1_483_228_800_000_000),
    ])
    func instantParsesRFC3339(text: String, microseconds: Int64) {
        #expect(InputRules.instant(text) == microseconds)
    }

    @Test(arguments: [
        "", "2026", "2026-11-27T", "2026-11-27T08:00:00", "2026-11-27T24:00:00Z", "2026-11-27T08:60:00Z",
        "2026-11-27T08:00:61Z", "2026-11-27T08:00:00+24:00", "2026-11-27T08:00:00+01:60", "2026-11-27T08:00:00+0100",
        "2026-11-27T08:00:00.Z", "2026-11-27T8:00:00Z", "2026-02-29T00:00:00Z", "-001-01-01T00:00:00Z",
        "+2026-11-27T00:00:00Z", "2026-11-27T08:00:00ZZ", "2026-11-27T08:00:00Z ", " 2026-11-27", "2026-11-27x",
        "２０２６-11-27", "2026-11-27T08:00:00\u{0}Z", "10000-01-01T00:00:00Z",
    ])
    func instantRefusesAnythingElse(text: String) {
        #expect(InputRules.instant(text) == nil)
    }

    @Test(arguments: [
        ("0000-01-01T00:00:00Z", InputRules.earliestMicroseconds),
        ("0001-01-01T00:00:00+01:00", InputRules.earliestMicroseconds),
        ("0001-01-01T00:00:00Z", InputRules.earliestMicroseconds),
        ("0001-01-01T00:00:00-00:01", InputRules.earliestMicroseconds + 60_000_000),
        ("9999-12-31T23:59:59.999999Z", InputRules.latestMicroseconds),
        ("9999-12-31T23:59:59-23:59", InputRules.latestMicroseconds),
        ("1970-01-01T00:00:00Z", 0),
    ])
    func storableInstantStaysInsideYears1To9999(text: String, microseconds: Int64) {
        #expect(InputRules.storableInstant(text) == microseconds)
    }

    @Test func storableBoundsAreTheFirstAndLastInstantsOfFourDigitYears() {
        #expect(InputRules.earliestMicroseconds == -62_135_596_800_000_000)
        #expect(InputRules.latestMicroseconds == 253_402_300_799_999_999)
    }

    // MARK: Integers

    @Test(arguments: [
        ("1", Int64(1)), ("42", 42), ("9223372036854775807", Int64.max), ("0000000000000000042", 42),
    ])
    func idAcceptsPositiveBigints(text: String, id: Int64) {
        #expect(InputRules.id(text) == id)
    }

    @Test(arguments: [
        "", "0", "-1", "+1", " 1", "1 ", "1.0", "1e3", "0x10", "9223372036854775808", "99999999999999999999",
        "00000000000000000001", "١", "1\u{0}",
    ])
    func idRefusesEverythingElse(text: String) {
        #expect(InputRules.id(text) == nil)
    }

    @Test(arguments: [
        ("1", 1...1000, Optional(1)), ("1000", 1...1000, 1000), ("1001", 1...1000, nil), ("0", 1...1000, nil),
        ("-5", -10...10, -5), ("+5", 1...1000, nil), ("", 1...1000, nil), ("-", 1...1000, nil),
        ("99999999999999999999", 1...1000, nil), ("9223372036854775807", 1...Int.max, Int.max), ("1.5", 1...1000, nil),
    ])
    func integerChecksDigitsAndRange(text: String, range: ClosedRange<Int>, expected: Int?) {
        #expect(InputRules.integer(text, in: range) == expected)
    }

    // MARK: The request log's status filter

    @Test(arguments: [
        ("0", Optional(0...0)), ("1xx", 100...199), ("5XX", 500...599), ("2xX", 200...299), ("404", 404...404),
        ("100", 100...100), ("599", 599...599), ("600", nil), ("099", nil), ("6xx", nil), ("4x0", nil), ("00", nil),
        ("", nil), ("+404", nil), ("-0", nil), ("40", nil), ("4044", nil), ("5xx ", nil),
    ])
    func statusFilter(text: String, expected: ClosedRange<Int>?) {
        #expect(InputRules.statusFilter(text) == expected)
    }

    // MARK: Text

    /// openapi.yaml's `Name` pattern lists these as whitespace (`\s` means different things in different regex
    /// dialects); they must be exactly what the server counts as whitespace (Unicode White_Space).
    @Test func whitespaceListedInTheNamePatternIsSwiftsWhitespace() {
        let listed: [ClosedRange<UInt32>] = [
            0x09...0x0D, 0x20...0x20, 0x85...0x85, 0xA0...0xA0, 0x1680...0x1680, 0x2000...0x200A, 0x2028...0x2029,
            0x202F...0x202F, 0x205F...0x205F, 0x3000...0x3000,
        ]
        var actual: [UInt32] = []
        for value in UInt32(0)...0x10FFFF {
            if let scalar = Unicode.Scalar(value), scalar.properties.isWhitespace { actual.append(value) }
        }
        #expect(actual == listed.flatMap { Array($0) })
    }

    @Test(arguments: [
        ("Acme", 1...200, false, InputRules.TextProblem?.none), ("", 1...200, false, .length(1...200)),
        (String(repeating: "a", count: 200), 1...200, false, nil),
        (String(repeating: "a", count: 201), 1...200, false, .length(1...200)),
        // Characters are Unicode scalars, as PostgreSQL's length() and JSON Schema's maxLength count them.
        (String(repeating: "é", count: 200), 1...200, false, nil),
        (String(repeating: "e\u{301}", count: 100), 1...200, false, nil),
        (String(repeating: "e\u{301}", count: 101), 1...200, false, .length(1...200)),
        (String(repeating: "😀", count: 201), 1...200, false, .length(1...200)),
        ("a\u{0}b", 1...200, false, .nul), ("\u{0}", 0...0, false, .nul),
        ("   ", 1...200, true, .blank), ("\u{3000}\t\n", 1...200, true, .blank), ("   ", 1...200, false, nil),
        (" x ", 1...200, true, nil),
    ])
    func textProblem(text: String, length: ClosedRange<Int>, nonBlank: Bool, expected: InputRules.TextProblem?) {
        #expect(InputRules.textProblem(text, length: length, nonBlank: nonBlank) == expected)
    }
}
