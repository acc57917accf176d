/// The message bytes the READFUNCTION hands to libcurl, and how far it got.
final class SMTPUploadState {
    let data: [UInt8]
    var offset = 0

    init(data: [UInt8]) {
        self.data = data
    }

    /// Copies up to `capacity` bytes to `destination`; 0 means end of message.
    func read(into destination: UnsafeMutableRawPointer, capacity: Int) -> Int {
        let count = min(capacity, data.count - offset)
        guard count > 0 else { return 0 }
        data.withUnsafeBytes { source in
            if let base = source.baseAddress {
                destination.copyMemory(from: base + offset, byteCount: count)
            }
        }
        offset += count
        return count
    }
}
