/// RFC 3339 UTC timestamps with microseconds, the same shape the database's `rfc3339()` produces.
public enum RFC3339 {
    public static func format(unixMicroseconds: Int64) -> String {
        let seconds = floorDivide(unixMicroseconds, 1_000_000)
        let micros = unixMicroseconds - seconds * 1_000_000
        let day = UTCDay(unixSeconds: seconds)
        let secondOfDay = seconds - floorDivide(seconds, 86_400) * 86_400
        let hour = secondOfDay / 3600
        let minute = (secondOfDay % 3600) / 60
        let second = secondOfDay % 60
        return "\(day)T\(pad(hour, 2)):\(pad(minute, 2)):\(pad(second, 2)).\(pad(micros, 6))Z"
    }

    private static func floorDivide(_ a: Int64, _ b: Int64) -> Int64 {
        a >= 0 ? a / b : (a - b + 1) / b
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
}
