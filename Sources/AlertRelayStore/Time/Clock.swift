#if canImport(Glibc)
import Glibc
#endif

/// Wall-clock time, for timestamps that leave the process.
public enum WallClock {
    public static func unixSeconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec)
    }

    /// Unix seconds with a microsecond fraction.
    public static func unixTime() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec / 1000) / 1_000_000
    }
}
