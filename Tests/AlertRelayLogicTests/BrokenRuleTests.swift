import Testing

@testable import AlertRelayLogic

@Suite struct BrokenRuleTests {
    let today = UTCDay(year: 2026, month: 3, day: 3)

    func errorDays(_ count: Int, from start: Int = 0) -> [HealthDay] {
        (start..<(start + count)).map { HealthDay(day: today.adding(days: -$0), error: 2) }
    }

    // MARK: UTCDay (expected dates from python3 datetime.fromtimestamp(t, timezone.utc).date())

    @Test(arguments: [
        (Int64(0), "1970-01-01"), (86_399, "1970-01-01"), (86_400, "1970-01-02"), (-1, "1969-12-31"),
        (-86_400, "1969-12-31"), (-86_401, "1969-12-30"), (951_782_400, "2000-02-29"), (1_709_164_800, "2024-02-29"),
        (1_798_761_599, "2026-12-31"), (4_102_444_800, "2100-01-01"), (253_402_300_799, "9999-12-31"),
    ])
    func dayFromUnixSeconds(seconds: Int64, expected: String) throws {
        let day = UTCDay(unixSeconds: seconds)
        #expect(day.description == expected)
        #expect(UTCDay(expected) == day)
        #expect(day.unixSeconds <= seconds && seconds < day.unixSeconds + 86_400)
    }

    @Test func dayArithmeticAndOrder() {
        #expect(UTCDay(year: 2024, month: 3, day: 1).adding(days: -1).description == "2024-02-29")
        #expect(UTCDay(year: 2023, month: 3, day: 1).adding(days: -1).description == "2023-02-28")
        #expect(UTCDay(year: 2026, month: 12, day: 31).adding(days: 1).description == "2027-01-01")
        #expect(UTCDay(year: 2026, month: 1, day: 5).adding(days: -6).description == "2025-12-30")
        #expect(UTCDay(year: 2026, month: 1, day: 5).adding(days: 0) == UTCDay(year: 2026, month: 1, day: 5))
        #expect(UTCDay(year: 2025, month: 12, day: 31) < UTCDay(year: 2026, month: 1, day: 1))
        #expect(UTCDay(year: 2026, month: 1, day: 2) > UTCDay(year: 2026, month: 1, day: 1))
        #expect(UTCDay(year: 1970, month: 1, day: 1).daysSinceEpoch == 0)
        // Round trip over a long span, including leap days and century rules.
        var day = UTCDay(year: 1899, month: 12, day: 25)
        for n in 0..<80_000 {
            let next = day.adding(days: 1)
            #expect(next.daysSinceEpoch == day.daysSinceEpoch + 1)
            if n % 997 == 0 { #expect(UTCDay(day.description) == day) }
            day = next
        }
    }

    @Test(arguments: ["2026-02-29", "2026-13-01", "2026-00-10", "2026-01-32", "2026-1-01", "26-01-01", "2026-01-01x",
                      "", "2026/01/01", "+026-01-01", "2026-04-31", "1900-02-29"])
    func rejectsBadDayText(text: String) {
        #expect(UTCDay(text) == nil)
    }

    @Test func acceptsLeapDays() {
        #expect(UTCDay("2000-02-29") == UTCDay(year: 2000, month: 2, day: 29))
        #expect(UTCDay("2024-02-29") != nil)
    }

    // MARK: Window

    @Test func windowIsSevenDaysNewestFirstZeroFilled() {
        let rows = [
            HealthDay(day: today.adding(days: -2), success: 5, error: 1),
            HealthDay(day: today, timeout: 3),
            HealthDay(day: today.adding(days: -7), error: 100),  // outside
            HealthDay(day: today.adding(days: 1), fatal: 1),  // future, outside
        ]
        let w = BrokenRule.window(rows, today: today)
        #expect(w.count == 7)
        #expect(w.map(\.day.description) == ["2026-03-03", "2026-03-02", "2026-03-01", "2026-02-28", "2026-02-27", "2026-02-26", "2026-02-25"])
        #expect(w[0] == HealthDay(day: today, timeout: 3))
        #expect(w[2] == HealthDay(day: today.adding(days: -2), success: 5, error: 1))
        #expect(w[1] == HealthDay(day: today.adding(days: -1)))
        #expect(w.reduce(0) { $0 + $1.error } == 1)
        #expect(w.reduce(0) { $0 + $1.fatal } == 0)
    }

    @Test func windowAddsDuplicateRows() {
        let rows = [HealthDay(day: today, error: 1), HealthDay(day: today, error: 2, timeout: 1)]
        #expect(BrokenRule.window(rows, today: today)[0] == HealthDay(day: today, error: 3, timeout: 1))
    }

    // MARK: Rule

    @Test func sevenErrorDaysAreBroken() {
        #expect(BrokenRule.evaluate(errorDays(7), today: today, timeoutThreshold: 1000)
            == BrokenVerdict(isBroken: true, reason: "consecutive_error_days"))
    }

    @Test func sixErrorDaysAreNot() {
        #expect(BrokenRule.evaluate(errorDays(6), today: today, timeoutThreshold: 1000) == .healthy)
        #expect(BrokenRule.evaluate(errorDays(6, from: 1), today: today, timeoutThreshold: 1000) == .healthy)
    }

    @Test func aQuietDayBreaksTheStreak() {
        for quiet in 0..<7 {
            let rows = errorDays(7).filter { $0.day != today.adding(days: -quiet) }
            #expect(BrokenRule.evaluate(rows, today: today, timeoutThreshold: 1000) == .healthy, "quiet day \(quiet)")
        }
    }

    @Test func oneSuccessBreaksTheStreak() {
        for lucky in 0..<7 {
            var rows = errorDays(7)
            rows[lucky].success = 1
            #expect(BrokenRule.evaluate(rows, today: today, timeoutThreshold: 1000) == .healthy, "success on day \(lucky)")
        }
    }

    @Test func timeoutsOnlyDoNotMakeAnErrorDay() {
        let rows = (0..<7).map { HealthDay(day: today.adding(days: -$0), timeout: 5) }
        #expect(BrokenRule.evaluate(rows, today: today, timeoutThreshold: 1000) == .healthy)
    }

    @Test func thresholdTimeoutsInOneDay() {
        let rows = [HealthDay(day: today.adding(days: -3), success: 50, timeout: 3)]
        #expect(BrokenRule.evaluate(rows, today: today, timeoutThreshold: 3) == BrokenVerdict(isBroken: true, reason: "timeouts"))
        #expect(BrokenRule.evaluate(rows, today: today, timeoutThreshold: 4) == .healthy)
    }

    @Test func thresholdMinusOneIsNotBroken() {
        let rows = [HealthDay(day: today, timeout: 999)]
        #expect(BrokenRule.evaluate(rows, today: today, timeoutThreshold: 1000) == .healthy)
        let spread = (0..<7).map { HealthDay(day: today.adding(days: -$0), timeout: 999) }
        #expect(BrokenRule.evaluate(spread, today: today, timeoutThreshold: 1000) == .healthy)
        #expect(BrokenRule.evaluate([HealthDay(day: today, timeout: 1000)], today: today, timeoutThreshold: 1000).isBroken)
    }

    @Test func nonPositiveThresholdCountsAsOne() {
        #expect(BrokenRule.evaluate([], today: today, timeoutThreshold: 0) == .healthy)
        #expect(BrokenRule.evaluate([HealthDay(day: today, timeout: 1)], today: today, timeoutThreshold: 0).reason == "timeouts")
    }

    @Test func fatalIsBroken() {
        let rows = [HealthDay(day: today.adding(days: -6), success: 1000, fatal: 1)]
        #expect(BrokenRule.evaluate(rows, today: today, timeoutThreshold: 1000) == BrokenVerdict(isBroken: true, reason: "fatal_response"))
    }

    @Test func fatalWinsOverOtherReasons() {
        var rows = errorDays(7)
        rows[0].timeout = 5000
        rows[3].fatal = 2
        #expect(BrokenRule.evaluate(rows, today: today, timeoutThreshold: 1000).reason == "fatal_response")
        rows[3].fatal = 0
        #expect(BrokenRule.evaluate(rows, today: today, timeoutThreshold: 1000).reason == "timeouts")
    }

    @Test func rowsOutsideTheWindowAreIgnored() {
        let old = [
            HealthDay(day: today.adding(days: -7), timeout: 5000, fatal: 3),
            HealthDay(day: today.adding(days: -30), fatal: 1),
        ]
        // Six error days inside the window plus an error day just outside do not make seven.
        let rows = old + errorDays(6) + [HealthDay(day: today.adding(days: -7), error: 1)]
        #expect(BrokenRule.evaluate(rows, today: today, timeoutThreshold: 1000) == .healthy)
        #expect(BrokenRule.evaluate(old + errorDays(7, from: 1), today: today, timeoutThreshold: 1000) == .healthy)
        // The same rows become broken once "today" moves back into their range.
        #expect(BrokenRule.evaluate(old, today: today.adding(days: -7), timeoutThreshold: 1000).isBroken)
    }

    @Test func noRowsIsHealthy() {
        #expect(BrokenRule.evaluate([], today: today, timeoutThreshold: 3) == BrokenVerdict(isBroken: false, reason: nil))
        #expect(BrokenRule.windowDays == 7)
    }
}
