#if canImport(Glibc)
import Glibc
#endif

/// A broadcast wake-up for threads: waiters remember the generation they saw, check their condition, then sleep
/// until the generation changes (or a timeout), so a `signal()` between the check and the sleep is never lost.
public final class WakeEvent: @unchecked Sendable {
    // Safety: the three pointers are allocated and initialised once in `init`, never reassigned, and freed in
    // `deinit` (when no thread can hold a reference any more). `counter` is read and written, and the condition
    // is waited on, only while holding `mutex`, so concurrent calls are serialised by the pthread mutex.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>
    private let counter: UnsafeMutablePointer<UInt64>

    public init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
        // Deadlines on the monotonic clock: a wall-clock jump must not stretch or cut a wait.
        let attributes = UnsafeMutablePointer<pthread_condattr_t>.allocate(capacity: 1)
        attributes.initialize(to: pthread_condattr_t())
        pthread_condattr_init(attributes)
        pthread_condattr_setclock(attributes, CLOCK_MONOTONIC)
        condition = .allocate(capacity: 1)
        condition.initialize(to: pthread_cond_t())
        pthread_cond_init(condition, attributes)
        pthread_condattr_destroy(attributes)
        attributes.deinitialize(count: 1)
        attributes.deallocate()
        counter = .allocate(capacity: 1)
        counter.initialize(to: 0)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deinitialize(count: 1)
        condition.deallocate()
        mutex.deinitialize(count: 1)
        mutex.deallocate()
        counter.deinitialize(count: 1)
        counter.deallocate()
    }

    /// The current generation; read it before checking the condition you will wait for.
    public var generation: UInt64 {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return counter.pointee
    }

    /// Wakes every waiter.
    public func signal() {
        pthread_mutex_lock(mutex)
        counter.pointee &+= 1
        pthread_cond_broadcast(condition)
        pthread_mutex_unlock(mutex)
    }

    /// Sleeps until the generation differs from `seen` or `milliseconds` have passed.
    public func wait(since seen: UInt64, milliseconds: Int) {
        var deadline = timespec()
        clock_gettime(CLOCK_MONOTONIC, &deadline)
        let total = Int(deadline.tv_nsec) + max(0, milliseconds) % 1000 * 1_000_000
        deadline.tv_sec += max(0, milliseconds) / 1000 + total / 1_000_000_000
        deadline.tv_nsec = total % 1_000_000_000
        pthread_mutex_lock(mutex)
        while counter.pointee == seen {
            if pthread_cond_timedwait(condition, mutex, &deadline) == ETIMEDOUT { break }
        }
        pthread_mutex_unlock(mutex)
    }
}
