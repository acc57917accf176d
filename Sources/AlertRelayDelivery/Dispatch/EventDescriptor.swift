#if canImport(Glibc)
import Glibc
#endif

/// A self-pipe: one thread signals, another waits for it in `poll` beside other descriptors (the dispatcher's
/// database thread waits on its PostgreSQL socket and on this at once).
final class EventDescriptor: Sendable {
    /// The end to poll for reading.
    let descriptor: Int32
    private let writeEnd: Int32

    /// nil when the kernel refuses a pipe.
    init?() {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { return nil }
        for end in ends {
            _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK)
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
        }
        descriptor = ends[0]
        writeEnd = ends[1]
    }

    deinit {
        close(descriptor)
        close(writeEnd)
    }

    /// Makes `descriptor` readable until the next `drain()` (a full pipe is readable already).
    func signal() {
        var byte: UInt8 = 1
        _ = write(writeEnd, &byte, 1)
    }

    /// Consumes pending signals.
    func drain() {
        var buffer = [UInt8](repeating: 0, count: 64)
        while read(descriptor, &buffer, buffer.count) == buffer.count {}
    }
}
