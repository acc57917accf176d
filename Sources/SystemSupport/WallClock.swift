#if canImport(Glibc)
import Glibc
#endif

/// Wall-clock time, for timestamps that leave the process (deadlines and durations use ``MonotonicClock``).
/// One reading of `CLOCK_REALTIME`; the other forms derive from it.
public enum WallClock {
    public static func unixMicroseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1_000_000 + Int64(spec.tv_nsec) / 1000
    }

    public static func unixSeconds() -> Int64 {
        floorDivide(unixMicroseconds(), 1_000_000)
    }

    /// Unix seconds with a microsecond fraction.
    public static func unixTime() -> Double {
        Double(unixMicroseconds()) / 1_000_000
    }

    private static func floorDivide(_ a: Int64, _ b: Int64) -> Int64 {
        a >= 0 ? a / b : (a - b + 1) / b
    }
}
