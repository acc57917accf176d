import Testing

@testable import AlertRelayLogic

/// The timestamps the service writes itself (log lines, API answers) have the shape of the database's `rfc3339()`.
struct RFC3339Tests {
    @Test(arguments: [
        (Int64(0), "1970-01-01T00:00:00.000000Z"),
        (1_796_442_015_123_456, "2026-12-05T03:40:15.123456Z"),
        (-1, "1969-12-31T23:59:59.999999Z"),
        (-86_400_000_000, "1969-12-31T00:00:00.000000Z"),
        (951_782_400_000_001, "2000-02-29T00:00:00.000001Z"),
    ])
    func formats(unixMicroseconds: Int64, expected: String) {
        #expect(RFC3339.format(unixMicroseconds: unixMicroseconds) == expected)
    }
}
