/// Why a retry schedule was refused; names the offending item.
public struct RetryScheduleError: Error, Sendable, Equatable, CustomStringConvertible {
    public let item: String
    public let reason: String

    public var description: String { "invalid retry delay '\(item)': \(reason)" }
}

/// Seconds to wait before each retry of a failed delivery (BEHAVIOUR B4), with ±20% jitter and `Retry-After`.
public struct RetrySchedule: Sendable, Equatable {
    /// The delay before retry 1, 2, ...; attempt n+1 follows attempt n after `delaysSeconds[n-1]`.
    public let delaysSeconds: [Int]

    /// The longest wait a receiver's `Retry-After` can ask for: 6 hours.
    public static let retryAfterCap = 21_600

    /// The largest delay `parse` accepts: 7 days.
    public static let maxDelay = 604_800

    public init(delaysSeconds: [Int]) {
        self.delaysSeconds = delaysSeconds
    }

    /// 10 s, 1 min, 5 min, 30 min, 2 h, 6 h.
    public static let `default` = RetrySchedule(delaysSeconds: [10, 60, 300, 1800, 7200, 21_600])

    /// Parses `ALERT_RELAY_RETRY_SCHEDULE`: comma-separated positive whole seconds (spaces allowed around items).
    /// An empty or all-blank text means no retries at all.
    public static func parse(_ text: String) throws(RetryScheduleError) -> RetrySchedule {
        if text.trimmingASCIIWhitespace().isEmpty { return RetrySchedule(delaysSeconds: []) }
        var delays: [Int] = []
        for raw in text.split(separator: ",", omittingEmptySubsequences: false) {
            let item = String(raw).trimmingASCIIWhitespace()
            guard !item.isEmpty else { throw RetryScheduleError(item: String(raw), reason: "empty item") }
            guard item.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
                throw RetryScheduleError(item: item, reason: "not a whole number of seconds")
            }
            guard let value = Int(item), value <= maxDelay else {
                throw RetryScheduleError(item: item, reason: "more than \(maxDelay) seconds")
            }
            guard value > 0 else { throw RetryScheduleError(item: item, reason: "must be positive") }
            delays.append(value)
        }
        return RetrySchedule(delaysSeconds: delays)
    }

    /// Attempts in all: the first one plus one per delay.
    public var maxAttempts: Int { delaysSeconds.count + 1 }

    /// Seconds to wait after `attempt` attempts (1-based) before the next, or `nil` when no retry is left.
    ///
    /// The base delay gets uniform ±20% jitter. A `Retry-After` from the receiver is honoured up to
    /// `retryAfterCap` (6 h): the result is `max(jittered, min(retryAfter, 6 h))`, so a hostile receiver
    /// cannot park a delivery for days, and a configured delay is never shortened.
    public func delay(afterAttempt attempt: Int, retryAfterSeconds: Int?, random: inout some RandomNumberGenerator) -> Double? {
        let index = max(attempt, 1) - 1
        guard index < delaysSeconds.count else { return nil }
        let base = Double(delaysSeconds[index])
        let jittered = base * Double.random(in: 0.8...1.2, using: &random)
        guard let retryAfter = retryAfterSeconds, retryAfter > 0 else { return jittered }
        return max(jittered, Double(min(retryAfter, RetrySchedule.retryAfterCap)))
    }
}

/// The HTTP `Retry-After` header (RFC 9110 10.2.3).
public enum RetryAfter {
    /// Seconds to wait from `now` (Unix seconds): delta-seconds, or an HTTP-date (IMF-fixdate, and the obsolete
    /// RFC 850 and asctime forms recipients must accept). A date in the past gives 0; anything else `nil`.
    public static func parse(_ value: String, now: Int64) -> Int? {
        let v = value.trimmingASCIIWhitespace()
        guard !v.isEmpty else { return nil }
        if v.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
            // Absurdly long numbers saturate; the caller caps the wait anyway.
            return Int(v) ?? Int.max
        }
        guard let date = httpDate(v) else { return nil }
        let delta = date - now
        return delta <= 0 ? 0 : Int(clamping: delta)
    }

    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    static let shortDays = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    static let longDays = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

    /// Unix seconds of an HTTP-date, or `nil`.
    public static func httpDate(_ text: String) -> Int64? {
        let parts = text.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        // IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
        if parts.count == 6, parts[0].hasSuffix(","), shortDays.contains(String(parts[0].dropLast())), parts[5] == "GMT",
            parts[1].count == 2, parts[3].count == 4,
            let day = number(parts[1]), let month = months.firstIndex(of: parts[2]), let year = number(parts[3])
        {
            return combine(year: year, month: month + 1, day: day, time: parts[4])
        }
        // RFC 850: Sunday, 06-Nov-94 08:49:37 GMT
        if parts.count == 4, parts[0].hasSuffix(","), longDays.contains(String(parts[0].dropLast())), parts[3] == "GMT" {
            let dmy = parts[1].split(separator: "-").map(String.init)
            guard dmy.count == 3, dmy[0].count == 2, dmy[2].count == 2, let day = number(dmy[0]),
                let month = months.firstIndex(of: dmy[1]), let yy = number(dmy[2])
            else { return nil }
            // RFC 9110: a two-digit year more than 50 years in the future is in the past century; keep it simple
            // and map 70–99 to 19xx, 00–69 to 20xx.
            let year = yy >= 70 ? 1900 + yy : 2000 + yy
            return combine(year: year, month: month + 1, day: day, time: parts[2])
        }
        // asctime: Sun Nov  6 08:49:37 1994
        if parts.count == 5, shortDays.contains(parts[0]), let month = months.firstIndex(of: parts[1]),
            (1...2).contains(parts[2].count), let day = number(parts[2]), parts[4].count == 4, let year = number(parts[4])
        {
            return combine(year: year, month: month + 1, day: day, time: parts[3])
        }
        return nil
    }

    private static func number(_ s: String) -> Int? {
        guard !s.isEmpty, s.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return Int(s)
    }

    private static func combine(year: Int, month: Int, day: Int, time: String) -> Int64? {
        let hms = time.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard hms.count == 3, hms.allSatisfy({ $0.count == 2 }), let h = number(hms[0]), let m = number(hms[1]),
            let s = number(hms[2]), h < 24, m < 60, s <= 60, day >= 1, day <= UTCDay.daysIn(month: month, year: year)
        else { return nil }
        return UTCDay(year: year, month: month, day: day).unixSeconds + Int64(h * 3600 + m * 60 + min(s, 59))
    }
}
