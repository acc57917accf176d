import AlertRelayLogic
import Logging
import SystemSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Log lines on a file descriptor (standard error by default):
///
///     2026-11-27T07:48:35.123456Z info alert-relay-fcgi: app=bench-hook attempt=1 webhook attempt
///
/// that is: the UTC time (RFC 3339, microseconds), the level, the label, the metadata as `key=value` sorted by key,
/// then the message, which keeps the layout of swift-log's `StreamLogHandler`. Each line is one `write(2)`, so lines
/// from several threads do not interleave (on a pipe, for lines up to `PIPE_BUF`, 4 KiB; on a file opened for
/// appending, in practice) and no lock is taken (`StreamLogHandler` locks the stream, and looks up the local time
/// zone, a `stat` of /etc/localtime, on every line). Backslashes, control characters and the Unicode line
/// separators are escaped (`\\`, `\n`, `\u{1b}`) and values with spaces, `=` or quotes are quoted, so one event
/// is always one line, whatever a key, value or message holds.
public struct LineLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let fileDescriptor: Int32

    public init(label: String, level: Logger.Level, fileDescriptor: Int32 = 2) {
        self.label = label
        self.logLevel = level
        self.fileDescriptor = fileDescriptor
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() {
            merged.merge(provided) { _, new in new }
        }
        if let explicit = event.metadata {
            merged.merge(explicit) { _, new in new }
        }
        if let error = event.error {
            merged["error"] = "\(error)"
        }
        let line = Self.format(
            unixMicroseconds: WallClock.unixMicroseconds(), level: event.level, label: label, metadata: merged,
            message: event.message.description)
        Self.writeAll(line, to: fileDescriptor)
    }

    /// One line, newline included.
    static func format(
        unixMicroseconds: Int64, level: Logger.Level, label: String, metadata: Logger.Metadata, message: String
    ) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(128 + message.utf8.count)
        out.append(contentsOf: RFC3339.format(unixMicroseconds: unixMicroseconds).utf8)
        out.append(UInt8(ascii: " "))
        out.append(contentsOf: level.rawValue.utf8)
        out.append(UInt8(ascii: " "))
        appendEscaped(label, to: &out, quoteIfNeeded: false)
        out.append(UInt8(ascii: ":"))
        for key in metadata.keys.sorted() {
            out.append(UInt8(ascii: " "))
            appendEscaped(key, to: &out, quoteIfNeeded: false)
            out.append(UInt8(ascii: "="))
            appendEscaped(metadata[key].map(\.description) ?? "", to: &out, quoteIfNeeded: true)
        }
        out.append(UInt8(ascii: " "))
        appendEscaped(message, to: &out, quoteIfNeeded: false)
        out.append(UInt8(ascii: "\n"))
        return out
    }

    /// Appends `text` with `\`, control characters (C0, DEL, C1) and the Unicode line and paragraph separators
    /// escaped, and `"` too when quoting; quoted when it is empty or holds a space, `=` or `"`.
    static func appendEscaped(_ text: String, to out: inout [UInt8], quoteIfNeeded: Bool) {
        let quote = quoteIfNeeded && (text.isEmpty || text.utf8.contains { $0 == 0x20 || $0 == 0x3D || $0 == 0x22 })
        if quote { out.append(UInt8(ascii: "\"")) }
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0x5C: out.append(contentsOf: [0x5C, 0x5C])
            case 0x22 where quote: out.append(contentsOf: [0x5C, 0x22])
            case 0x00..<0x20, 0x7F...0x9F, 0x2028, 0x2029:
                out.append(contentsOf: "\\u{\(String(scalar.value, radix: 16))}".utf8)
            case 0x00..<0x80:
                out.append(UInt8(scalar.value))
            default:
                out.append(contentsOf: String(scalar).utf8)
            }
        }
        if quote { out.append(UInt8(ascii: "\"")) }
    }

    /// Writes all of `bytes`, retrying after a signal or a short write; gives up silently on an error (there is
    /// nowhere left to report it).
    private static func writeAll(_ bytes: [UInt8], to fileDescriptor: Int32) {
        bytes.withUnsafeBytes { buffer in
            guard let base = buffer.baseAddress else { return }
            var offset = 0
            while offset < buffer.count {
                let written = write(fileDescriptor, base + offset, buffer.count - offset)
                if written > 0 {
                    offset += written
                } else if written < 0 && errno == EINTR {
                    continue
                } else {
                    return
                }
            }
        }
    }
}
