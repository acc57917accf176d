#if canImport(Glibc)
import Glibc
#endif

/// The process's one monotonic clock, for deadlines, TTLs and durations (never for timestamps that leave the
/// process): `CLOCK_MONOTONIC`, a vDSO call with no system call, and the clock ``WakeEvent`` waits on.
public enum MonotonicClock {
    /// Nanoseconds since an arbitrary fixed point.
    public static func nanoseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec)
    }
}
