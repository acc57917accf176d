import AlertRelayDelivery
import AlertRelayLogic
import AlertRelayStore
import SystemSupport

/// How many inline webhook attempts one responder process makes at once, in all and per app (API.md "Alerts":
/// beyond either limit an alert is queued and answered 202). Inline attempts hold a responder thread for up to the
/// app's timeout; with these limits a receiver that hangs holds at most `perApp` threads, and all receivers together
/// at most `total`, so other requests (`/healthz` included) always find a free thread.
public final class InlineLimiter: Sendable {
    private struct State: Sendable {
        var total = 0
        var perApp: [Int64: Int] = [:]
    }

    public let total: Int
    public let perApp: Int
    private let state = SleepingMutex(State())

    public init(total: Int, perApp: Int) {
        self.total = total
        self.perApp = perApp
    }

    /// A slot for one inline attempt to `appID`, or nil when a limit is reached. Release it with `release(_:)`.
    public func acquire(appID: Int64) -> Permit? {
        state.withLock { state -> Permit? in
            guard state.total < total, state.perApp[appID, default: 0] < perApp else { return nil }
            state.total += 1
            state.perApp[appID, default: 0] += 1
            return Permit(appID: appID)
        }
    }

    public func release(_ permit: Permit) {
        state.withLock { state in
            state.total -= 1
            let left = state.perApp[permit.appID, default: 1] - 1
            state.perApp[permit.appID] = left > 0 ? left : nil
        }
    }

    /// One inline attempt in progress.
    public struct Permit: Sendable {
        let appID: Int64
    }
}

/// Decides when a queued alert also wakes idle dispatchers (a NOTIFY in the same statement): at most once per
/// `interval` per responder process, because every NOTIFY serialises commits on PostgreSQL's notification lock.
/// A dispatcher that found work keeps looking every 50 ms for a second, so an alert queued right after a wake-up
/// is found without one of its own.
public final class DispatchWake: Sendable {
    private let last = SleepingMutex<Int64>(Int64.min / 2)
    private let intervalNanoseconds: Int64

    public init(intervalMilliseconds: Int = 50) {
        intervalNanoseconds = Int64(intervalMilliseconds) * 1_000_000
    }

    /// True when this call should notify (and then counts as the last notification).
    public func shouldWake() -> Bool {
        let now = MonotonicClock.nanoseconds()
        return last.withLock { last in
            guard now - last >= intervalNanoseconds else { return false }
            last = now
            return true
        }
    }
}
