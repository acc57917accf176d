/// When an app is on its way to the broken rule, so its owners hear before it is disabled (issue 11).
///
/// Evaluated where the broken rule is, after a recorded error, timeout or fatal, over the same 7-day window, and only
/// when the broken rule does not hold (then the disable e-mail goes out instead). It warns when
/// - the current run of failing days (errors and no success) ending today is 4 days or longer: the broken rule's
///   7-day run is then at most 3 days away (a run that a quiet or successful day ended cannot disable anything
///   sooner than a new one, so it does not count);
/// - or today's timeouts reach half the timeout threshold (`2 × timeouts ≥ threshold`).
public enum WarningRule {
    /// Failing days in a row, ending today, that warn.
    public static let warningRunDays = 4

    public enum Reason: String, Sendable, Equatable {
        case consecutiveErrorDays = "consecutive_error_days"
        case timeouts
    }

    /// A warning: why, and when the broken rule would disable the app if nothing changes.
    public struct Verdict: Sendable, Equatable {
        public var reason: Reason
        /// The UTC day the disable would happen on (today for timeouts).
        public var disableDay: UTCDay
        /// Failing days in a row ending today (`consecutiveErrorDays`), or today's timeouts (`timeouts`).
        public var count: Int
        /// For `timeouts`: the timeouts in one UTC day that disable.
        public var threshold: Int

        public init(reason: Reason, disableDay: UTCDay, count: Int, threshold: Int) {
            self.reason = reason
            self.disableDay = disableDay
            self.count = count
            self.threshold = threshold
        }
    }

    /// The warning for these counters, or nil (healthy, or broken already: the broken rule acts then).
    public static func evaluate(_ rows: [HealthDay], today: UTCDay, timeoutThreshold: Int) -> Verdict? {
        guard !BrokenRule.evaluate(rows, today: today, timeoutThreshold: timeoutThreshold).isBroken else { return nil }
        let days = BrokenRule.window(rows, today: today)
        let run = days.prefix { $0.error > 0 && $0.success == 0 }.count
        if run >= warningRunDays {
            return Verdict(
                reason: .consecutiveErrorDays, disableDay: today.adding(days: BrokenRule.windowDays - run), count: run,
                threshold: timeoutThreshold)
        }
        let threshold = max(timeoutThreshold, 1)
        if days[0].timeout * 2 >= threshold {
            return Verdict(reason: .timeouts, disableDay: today, count: days[0].timeout, threshold: threshold)
        }
        return nil
    }
}
