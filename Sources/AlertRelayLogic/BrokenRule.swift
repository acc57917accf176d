/// One day of an app's health counters for one organization (BEHAVIOUR A5).
public struct HealthDay: Sendable, Equatable {
    public var day: UTCDay
    public var success: Int
    public var error: Int
    public var timeout: Int
    public var fatal: Int

    public init(day: UTCDay, success: Int = 0, error: Int = 0, timeout: Int = 0, fatal: Int = 0) {
        self.day = day
        self.success = success
        self.error = error
        self.timeout = timeout
        self.fatal = fatal
    }
}

/// Whether an app is broken, and which part of the rule said so.
public struct BrokenVerdict: Sendable, Equatable {
    public var isBroken: Bool
    /// `"fatal_response"`, `"timeouts"` or `"consecutive_error_days"`; `nil` when not broken.
    public var reason: String?

    public init(isBroken: Bool, reason: String?) {
        self.isBroken = isBroken
        self.reason = reason
    }

    public static let healthy = BrokenVerdict(isBroken: false, reason: nil)
}

/// The broken rule over the last seven UTC days (BEHAVIOUR A5, B3).
public enum BrokenRule {
    public static let windowDays = 7

    /// Exactly seven entries, `today` first down to `today - 6`; missing days are zeros, rows outside
    /// the window are ignored, several rows for one day are added up.
    public static func window(_ rows: [HealthDay], today: UTCDay) -> [HealthDay] {
        let first = today.adding(days: -(windowDays - 1)).daysSinceEpoch
        let last = today.daysSinceEpoch
        var result = (0..<windowDays).map { HealthDay(day: today.adding(days: -$0)) }
        for row in rows {
            let n = row.day.daysSinceEpoch
            guard n >= first, n <= last else { continue }
            let i = last - n
            result[i].success += row.success
            result[i].error += row.error
            result[i].timeout += row.timeout
            result[i].fatal += row.fatal
        }
        return result
    }

    /// Broken iff a day in the window has a fatal response, a day has at least `timeoutThreshold`
    /// timeouts (a threshold below 1 counts as 1), or all seven days have errors and no success.
    public static func evaluate(_ rows: [HealthDay], today: UTCDay, timeoutThreshold: Int) -> BrokenVerdict {
        let days = window(rows, today: today)
        if days.contains(where: { $0.fatal > 0 }) {
            return BrokenVerdict(isBroken: true, reason: "fatal_response")
        }
        let threshold = max(timeoutThreshold, 1)
        if days.contains(where: { $0.timeout >= threshold }) {
            return BrokenVerdict(isBroken: true, reason: "timeouts")
        }
        if days.allSatisfy({ $0.error > 0 && $0.success == 0 }) {
            return BrokenVerdict(isBroken: true, reason: "consecutive_error_days")
        }
        return .healthy
    }
}
