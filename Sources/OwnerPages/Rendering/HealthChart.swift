import AlertRelayLogic

/// The dashboard's bar chart of the last 30 UTC days (oldest left): one stacked bar per day, success at the bottom,
/// then error, timeout and fatal, on a linear scale up to a round maximum. Pure geometry in whole SVG user units;
/// `Templates.chart` draws it. A non-zero count is never thinner than ``minimumHeight`` (a single error beside
/// thousands of successes stays visible; the table beside the chart has the exact numbers).
public struct HealthChart: Sendable, Equatable {
    public static let days = 30
    public static let width = 664
    public static let height = 184
    /// Left edge of the plot (room for the scale's labels).
    public static let plotLeft = 44
    public static let plotTop = 12
    public static let plotHeight = 140
    public static let slot = 20
    public static let barWidth = 14
    public static let minimumHeight = 2
    public static var baseline: Int { plotTop + plotHeight }

    /// The counter a segment shows; the raw value is the CSS class of its colour.
    public enum Kind: String, Sendable, CaseIterable {
        case success = "s"
        case error = "e"
        case timeout = "t"
        case fatal = "f"
    }

    public struct Segment: Sendable, Equatable {
        public var kind: Kind
        public var count: Int
        public var y: Int
        public var height: Int
    }

    public struct Bar: Sendable, Equatable {
        public var day: HealthDay
        /// Left edge of the bar.
        public var x: Int
        /// Bottom to top; only non-zero counters.
        public var segments: [Segment]
    }

    /// A label under the axis, centred on a bar.
    public struct Tick: Sendable, Equatable {
        public var x: Int
        public var text: String
    }

    /// The 30 days, oldest first.
    public var bars: [Bar]
    /// The count at the top of the plot.
    public var scaleMax: Int
    public var ticks: [Tick]

    /// The chart of `rows` (any order, days missing are zeros, several rows of a day are added) for the 30 days ending
    /// `today`.
    public static func layout(_ rows: [HealthDay], today: UTCDay) -> HealthChart {
        let first = today.adding(days: -(days - 1))
        var byDay = (0..<days).map { HealthDay(day: first.adding(days: $0)) }
        for row in rows {
            let index = row.day.daysSinceEpoch - first.daysSinceEpoch
            guard index >= 0, index < days else { continue }
            byDay[index].success += row.success
            byDay[index].error += row.error
            byDay[index].timeout += row.timeout
            byDay[index].fatal += row.fatal
        }
        let scaleMax = roundedUp(byDay.map { $0.success + $0.error + $0.timeout + $0.fatal }.max() ?? 0)
        var bars: [Bar] = []
        var ticks: [Tick] = []
        for (index, day) in byDay.enumerated() {
            let x = plotLeft + index * slot + (slot - barWidth) / 2
            var top = baseline
            var segments: [Segment] = []
            for (kind, count) in [(Kind.success, day.success), (.error, day.error), (.timeout, day.timeout), (.fatal, day.fatal)]
            where count > 0 {
                // Rounded to the nearest unit, never below the minimum.
                let height = max(minimumHeight, (count * plotHeight * 2 + scaleMax) / (scaleMax * 2))
                top -= height
                segments.append(Segment(kind: kind, count: count, y: top, height: height))
            }
            bars.append(Bar(day: day, x: x, segments: segments))
            // Today and every 7th day before it.
            if (days - 1 - index) % 7 == 0 {
                ticks.append(Tick(x: x + barWidth / 2, text: shortDay(day.day)))
            }
        }
        return HealthChart(bars: bars, scaleMax: scaleMax, ticks: ticks)
    }

    /// The smallest of 1, 2, 5, 10, 20, 50, … at or above `value` (1 for nothing at all).
    static func roundedUp(_ value: Int) -> Int {
        var step = 1
        while true {
            for factor in [1, 2, 5] where step * factor >= value { return step * factor }
            step *= 10
        }
    }

    /// `5 Dec`.
    static func shortDay(_ day: UTCDay) -> String {
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        return "\(day.day) \(months[day.month - 1])"
    }
}
