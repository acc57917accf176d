#if canImport(Glibc)
    import Glibc
#endif

/// A value behind a plain `pthread_mutex_t`: a thread that finds it taken sleeps in the kernel at once.
///
/// The one lock of this code base, instead of the standard library's `Mutex`, for two reasons:
/// - `Mutex` spins before it sleeps, and with more threads than cores (8 responder threads next to PostgreSQL and
///   nginx on 2 cores) the holder is often descheduled while others spin: `perf` showed a quarter of the
///   responder's CPU in `Mutex._lockSlow` on the authenticated read path, and this lock removed it (README,
///   Benchmarks);
/// - on Linux `Mutex` locks with raw futex calls that ThreadSanitizer cannot see, so every value it guards is
///   reported as raced (Swift 6.3); `pthread_mutex_lock` is intercepted, so CI's TSan run means something.
public final class SleepingMutex<Value: Sendable>: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var value: Value

    public init(_ value: Value) {
        self.value = value
        mutex = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    public func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
