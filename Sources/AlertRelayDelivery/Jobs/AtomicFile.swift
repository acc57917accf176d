#if canImport(Glibc)
import Glibc
#endif

/// Writes a whole file under a temporary name, fsyncs it and renames it into place, so a reader never sees half
/// of it and a rewrite replaces it in one step.
enum AtomicFile {
    /// Returns 0, or the errno of the step that failed (the temporary file is then removed).
    static func write(_ bytes: [UInt8], to path: String, temporary: String) -> Int32 {
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return errno }
        var written = 0
        var failure: Int32 = 0
        bytes.withUnsafeBytes { buffer in
            while written < buffer.count {
                let n = Glibc.write(fd, buffer.baseAddress.map { $0 + written }, buffer.count - written)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return
                }
                written += n
            }
        }
        if failure == 0, fsync(fd) != 0 { failure = errno }
        close(fd)
        if failure == 0, rename(temporary, path) != 0 { failure = errno }
        if failure != 0 { unlink(temporary) }
        return failure
    }
}
