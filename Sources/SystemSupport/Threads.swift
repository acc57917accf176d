#if canImport(Glibc)
import Glibc
#endif

/// A started thread that can be joined or let go.
public struct StartedThread: @unchecked Sendable {
    // Safety: a pthread_t is an opaque identifier; joining or detaching it from any thread is allowed, once.
    private let thread: pthread_t

    fileprivate init(_ thread: pthread_t) {
        self.thread = thread
    }

    /// Waits for the thread to return.
    public func join() {
        pthread_join(thread, nil)
    }

    /// Lets the thread run on unjoined; its resources are freed when it returns.
    public func detach() {
        pthread_detach(thread)
    }
}

/// Starts threads that run a Swift closure: the one place the code calls `pthread_create`.
public enum Threads {
    /// Starts a joinable thread running `body`, or says why the system refused (nothing is started then).
    public static func start(_ body: @escaping @Sendable () -> Void) -> Result<StartedThread, ThreadStartError> {
        let box = Unmanaged.passRetained(ThreadBody(body)).toOpaque()
        var thread = pthread_t()
        let status = pthread_create(&thread, nil, threadEntry, box)
        guard status == 0 else {
            Unmanaged<ThreadBody>.fromOpaque(box).release()
            return .failure(ThreadStartError(status: status))
        }
        return .success(StartedThread(thread))
    }

    /// Starts a detached thread running `body`; false when the thread could not be created.
    public static func startDetached(_ body: @escaping @Sendable () -> Void) -> Bool {
        guard case .success(let thread) = start(body) else { return false }
        thread.detach()
        return true
    }

    /// Starts a detached thread for each body, in order, up to the first the system refuses; returns how many
    /// started (`bodies.count` when all did). The caller stops those that started when it is fewer.
    public static func startDetached(all bodies: [@Sendable () -> Void]) -> Int {
        for (index, body) in bodies.enumerated() where !startDetached(body) {
            return index
        }
        return bodies.count
    }
}

/// `pthread_create` refused (its status: EAGAIN when out of threads or memory).
public struct ThreadStartError: Error, Sendable {
    public let status: Int32
}

/// What a new thread runs.
private final class ThreadBody: Sendable {
    let body: @Sendable () -> Void
    init(_ body: @escaping @Sendable () -> Void) { self.body = body }
}

// A global function, not a closure: a closure literal handed to pthread_create can inherit main-actor isolation and
// trap on the new thread (PLATFORM.md R1).
private func threadEntry(_ raw: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    guard let raw else { return nil }
    Unmanaged<ThreadBody>.fromOpaque(raw).takeRetainedValue().body()
    return nil
}
