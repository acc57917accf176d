#if canImport(Glibc)
import Glibc
#endif

/// SIGTERM and SIGINT, received synchronously by whoever waits for them rather than by a handler.
///
/// Both executables call ``block()`` first, before any thread exists: threads inherit the signal mask, so none of
/// them can take a process-directed SIGTERM (whose default action would kill the process without a drain), and
/// libfcgi's own handlers never see it (PLATFORM.md R2). The main thread then waits with ``wait(milliseconds:)``.
public enum StopSignals {
    /// Blocks SIGTERM and SIGINT in the calling thread (and so in every thread it starts afterwards) and ignores
    /// SIGPIPE (a peer that closed a socket is an error return, not a reason to die). Idempotent.
    public static func block() {
        var signals = stopSet()
        pthread_sigmask(SIG_BLOCK, &signals, nil)
        signal(SIGPIPE, SIG_IGN)
    }

    /// Runs `body` with SIGTERM and SIGINT blocked in the calling thread, and restores the thread's mask if it
    /// throws (a library caller, such as a test, keeps its thread as it was).
    public static func blocked<T>(_ body: () throws -> T) throws -> T {
        var signals = stopSet()
        var previous = sigset_t()
        pthread_sigmask(SIG_BLOCK, &signals, &previous)
        signal(SIGPIPE, SIG_IGN)
        do {
            return try body()
        } catch {
            pthread_sigmask(SIG_SETMASK, &previous, nil)
            throw error
        }
    }

    /// Waits for SIGTERM or SIGINT and returns its number; with `milliseconds`, returns nil when none arrived in
    /// that time. The signals must be blocked (``block()``).
    public static func wait(milliseconds: Int? = nil) -> Int32? {
        var signals = stopSet()
        guard let milliseconds else {
            var received: Int32 = 0
            while sigwait(&signals, &received) != 0 {}
            return received
        }
        var timeout = timespec(tv_sec: milliseconds / 1000, tv_nsec: milliseconds % 1000 * 1_000_000)
        let received = sigtimedwait(&signals, nil, &timeout)
        return received > 0 ? received : nil
    }

    private static func stopSet() -> sigset_t {
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGTERM)
        sigaddset(&signals, SIGINT)
        return signals
    }
}
