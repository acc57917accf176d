#if canImport(Glibc)
    import Glibc
#endif

/// A value behind a plain `pthread_mutex_t`: a thread that finds it taken sleeps in the kernel at once.
///
/// For the caches every request reads. The standard library's `Mutex` spins before it sleeps, and with more
/// threads than cores (8 responder threads next to PostgreSQL and nginx on 2 cores) the holder is often
/// descheduled while others spin: `perf` showed a quarter of the responder's CPU in `Mutex._lockSlow` on the
/// authenticated read path, and this lock removed it (README, Benchmarks).
package final class SleepingMutex<Value: Sendable>: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var value: Value

    package init(_ value: Value) {
        self.value = value
        mutex = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    package func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
