import Testing

@testable import AlertRelayLogic

/// SplitMix64: a tiny deterministic generator so jitter is reproducible.
private struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite struct RetryScheduleTests {
    @Test func defaultSchedule() {
        #expect(RetrySchedule.default.delaysSeconds == [10, 60, 300, 1800, 7200, 21_600])
        #expect(RetrySchedule.default.maxAttempts == 7)
    }

    @Test func delaysStayWithinTwentyPercent() throws {
        var rng = SplitMix64(seed: 42)
        let schedule = RetrySchedule.default
        for attempt in 1...6 {
            let base = Double(schedule.delaysSeconds[attempt - 1])
            var lowest = Double.infinity
            var highest = 0.0
            for _ in 0..<2000 {
                let d = try #require(schedule.delay(afterAttempt: attempt, retryAfterSeconds: nil, random: &rng))
                #expect(d >= base * 0.8 && d <= base * 1.2)
                lowest = min(lowest, d)
                highest = max(highest, d)
            }
            // The jitter really spreads over the range (both ends within 2% of the bounds).
            #expect(lowest < base * 0.82)
            #expect(highest > base * 1.18)
        }
    }

    @Test func sameSeedSameDelays() {
        var a = SplitMix64(seed: 7)
        var b = SplitMix64(seed: 7)
        let x = (1...6).map { RetrySchedule.default.delay(afterAttempt: $0, retryAfterSeconds: nil, random: &a) }
        let y = (1...6).map { RetrySchedule.default.delay(afterAttempt: $0, retryAfterSeconds: nil, random: &b) }
        #expect(x == y)
    }

    @Test func exhaustion() {
        var rng = SplitMix64(seed: 1)
        let s = RetrySchedule(delaysSeconds: [5, 10])
        #expect(s.maxAttempts == 3)
        #expect(s.delay(afterAttempt: 1, retryAfterSeconds: nil, random: &rng) != nil)
        #expect(s.delay(afterAttempt: 2, retryAfterSeconds: nil, random: &rng) != nil)
        #expect(s.delay(afterAttempt: 3, retryAfterSeconds: nil, random: &rng) == nil)
        #expect(s.delay(afterAttempt: 4, retryAfterSeconds: 10, random: &rng) == nil)
        #expect(RetrySchedule(delaysSeconds: []).delay(afterAttempt: 1, retryAfterSeconds: nil, random: &rng) == nil)
        #expect(RetrySchedule(delaysSeconds: []).maxAttempts == 1)
        // Attempt numbers below 1 count as the first attempt.
        let zeroth = s.delay(afterAttempt: 0, retryAfterSeconds: nil, random: &rng)
        #expect(zeroth.map { $0 >= 4 && $0 <= 6 } == true)
    }

    @Test func retryAfterIsHonouredAndClamped() throws {
        var rng = SplitMix64(seed: 9)
        let s = RetrySchedule(delaysSeconds: [10, 30000])
        // Longer than the jittered delay: wait for the receiver.
        #expect(s.delay(afterAttempt: 1, retryAfterSeconds: 120, random: &rng) == 120)
        // Shorter: the schedule wins.
        let d = try #require(s.delay(afterAttempt: 1, retryAfterSeconds: 1, random: &rng))
        #expect(d >= 8 && d <= 12)
        // Huge Retry-After: at most 6 h.
        #expect(s.delay(afterAttempt: 1, retryAfterSeconds: 10_000_000, random: &rng) == 21_600)
        #expect(s.delay(afterAttempt: 1, retryAfterSeconds: Int.max, random: &rng) == 21_600)
        // A configured delay above 6 h is not shortened by a capped Retry-After.
        let long = try #require(s.delay(afterAttempt: 2, retryAfterSeconds: 10_000_000, random: &rng))
        #expect(long >= 24_000 && long <= 36_000)
        // Zero or negative Retry-After is ignored.
        let z = try #require(s.delay(afterAttempt: 1, retryAfterSeconds: 0, random: &rng))
        #expect(z >= 8 && z <= 12)
    }

    @Test func parsesSchedules() throws {
        #expect(try RetrySchedule.parse("10,60,300,1800,7200,21600") == .default)
        #expect(try RetrySchedule.parse(" 1 , 2,3 ").delaysSeconds == [1, 2, 3])
        #expect(try RetrySchedule.parse("").delaysSeconds == [])
        #expect(try RetrySchedule.parse("  ").maxAttempts == 1)
    }

    @Test(arguments: [
        ("10,abc,60", RetryScheduleError(item: "abc", reason: "not a whole number of seconds")),
        ("10,,60", RetryScheduleError(item: "", reason: "empty item")),
        ("10,", RetryScheduleError(item: "", reason: "empty item")),
        ("0", RetryScheduleError(item: "0", reason: "must be positive")),
        ("-5", RetryScheduleError(item: "-5", reason: "not a whole number of seconds")),
        ("1.5", RetryScheduleError(item: "1.5", reason: "not a whole number of seconds")),
        ("604801", RetryScheduleError(item: "604801", reason: "more than 604800 seconds")),
        ("99999999999999999999999", RetryScheduleError(item: "99999999999999999999999", reason: "more than 604800 seconds")),
    ])
    func rejectsBadSchedules(text: String, error: RetryScheduleError) {
        #expect(throws: error) { try RetrySchedule.parse(text) }
        #expect(error.description.contains("'\(error.item)'"))
    }

    // MARK: Retry-After (dates checked with python3 email.utils.parsedate_to_datetime)

    @Test(arguments: [
        ("120", Int64(1_000), 120),
        (" 0 ", 1_000, 0),
        ("Sun, 06 Nov 1994 08:49:37 GMT", 784_111_777 - 30, 30),
        ("Sunday, 06-Nov-94 08:49:37 GMT", 784_111_777 - 30, 30),
        ("Sun Nov  6 08:49:37 1994", 784_111_777 - 30, 30),
        ("Wed, 18 Nov 2026 11:06:40 GMT", 1_795_000_000 - 3600, 3600),
        ("Thu, 29 Feb 2024 23:59:59 GMT", 1_709_251_199 - 1, 1),
        ("Wed, 18 Nov 2026 11:06:40 GMT", 1_795_000_100, 0),
        ("99999999999999999999999", 0, Int.max),
    ] as [(String, Int64, Int?)])
    func parsesRetryAfter(value: String, now: Int64, expected: Int?) {
        #expect(RetryAfter.parse(value, now: now) == expected)
    }

    @Test(arguments: ["", "soon", "-5", "1.5", "10s", "Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 31 Feb 1994 08:49:37 GMT",
                      "Sun, 06 Foo 1994 08:49:37 GMT", "Sun, 06 Nov 1994 25:49:37 GMT", "Sun, 6 Nov 1994 08:49:37 GMT",
                      "Sun, 06 Nov 1994 08:49 GMT"])
    func rejectsBadRetryAfter(value: String) {
        #expect(RetryAfter.parse(value, now: 0) == nil)
    }
}
