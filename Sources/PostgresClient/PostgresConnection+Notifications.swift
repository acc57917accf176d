import CLibPQ

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

extension PostgresConnection {
    /// Starts listening on `channel` (lower-case letters, digits and `_`, at most 63 characters).
    /// The LISTEN is re-issued automatically whenever the connection is reopened; notifications sent
    /// while no connection was open are lost.
    public func listen(_ channel: String, file: String = #fileID, line: Int = #line) throws(PostgresError) {
        try Self.validate(channel: channel, file: file, line: line)
        _ = try runSimple("LISTEN \(channel)", file: file, line: line)
        if !listenedChannels.contains(channel) { listenedChannels.append(channel) }
    }

    /// Stops listening on `channel`.
    public func unlisten(_ channel: String, file: String = #fileID, line: Int = #line) throws(PostgresError) {
        try Self.validate(channel: channel, file: file, line: line)
        listenedChannels.removeAll { $0 == channel }
        _ = try runSimple("UNLISTEN \(channel)", file: file, line: line)
    }

    /// Sends a notification through `SELECT pg_notify($1, $2)`; inside a transaction it is delivered at COMMIT.
    public func notify(
        _ channel: String, payload: String, file: String = #fileID, line: Int = #line
    ) throws(PostgresError) {
        try Self.validate(channel: channel, file: file, line: line)
        try execute("SELECT pg_notify($1, $2)", channel, payload, file: file, line: line)
    }

    /// Returns the notifications that have arrived, waiting up to `timeoutMilliseconds` for the first
    /// one; returns `[]` on timeout, or as soon as `wakeDescriptor` (another file descriptor the caller
    /// owns, e.g. an eventfd; the caller drains it) becomes readable. Throws with `isConnectionFailure`
    /// when the connection breaks while waiting (the next call reconnects and re-issues LISTEN).
    public func waitForNotifications(
        timeoutMilliseconds: Int, wakeDescriptor: Int32? = nil, file: String = #fileID, line: Int = #line
    ) throws(PostgresError) -> [PostgresNotification] {
        if let ready = takePendingNotifications() { return ready }
        let conn = try ensureConnected(file: file, line: line)
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .milliseconds(max(0, timeoutMilliseconds)))
        while true {
            guard PQconsumeInput(conn) != 0 else {
                throw PostgresError(
                    kind: .connectionFailure, message: "connection lost while waiting for notifications",
                    detail: errorText(PQerrorMessage(conn)), file: file, line: line
                )
            }
            collectNotifications(conn)
            if let ready = takePendingNotifications() { return ready }

            let remaining = clock.now.duration(to: deadline)
            guard remaining > .zero else { return [] }
            let (seconds, attoseconds) = remaining.components
            let milliseconds = seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1
            switch waitReadable(conn, milliseconds: Int(clamping: milliseconds), alsoWatching: wakeDescriptor) {
            case .failed:
                throw PostgresError(
                    kind: .connectionFailure, message: "cannot wait on the connection's socket",
                    file: file, line: line
                )
            case .woken:
                return []
            case .readable, .timedOut:
                break
            }
        }
    }

    private func takePendingNotifications() -> [PostgresNotification]? {
        guard !pendingNotifications.isEmpty else { return nil }
        defer { pendingNotifications.removeAll() }
        return pendingNotifications
    }

    // Channel names are spliced into LISTEN as identifiers (they cannot be binds), so only plain
    // lower-case identifiers are allowed; unquoted identifiers fold to lower case anyway.
    private static func validate(channel: String, file: String, line: Int) throws(PostgresError) {
        let valid =
            !channel.isEmpty && channel.utf8.count <= 63
            && channel.utf8.allSatisfy { byte in
                (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
                    || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "_")
            }
        guard valid else {
            throw PostgresError(
                kind: .usage, message: "invalid channel name; use [a-z0-9_]+, at most 63 characters",
                file: file, line: line
            )
        }
    }
}

enum SocketReadiness {
    case readable
    /// The extra descriptor became readable (the connection may be readable too).
    case woken
    case timedOut
    case failed
}

/// Polls the connection's socket (and `extra`, if given) for input. Interrupted waits report `.timedOut`
/// so callers recompute their deadline; hang-ups and errors report `.readable`, since PQconsumeInput
/// then sees them.
func waitReadable(_ conn: OpaquePointer, milliseconds: Int, alsoWatching extra: Int32? = nil) -> SocketReadiness {
    let socket = PQsocket(conn)
    guard socket >= 0 else { return .failed }
    var descriptors = [pollfd(fd: socket, events: Int16(POLLIN), revents: 0)]
    if let extra { descriptors.append(pollfd(fd: extra, events: Int16(POLLIN), revents: 0)) }
    let ready = poll(&descriptors, nfds_t(descriptors.count), Int32(clamping: milliseconds))
    if ready > 0 { return descriptors.count > 1 && descriptors[1].revents != 0 ? .woken : .readable }
    if ready == 0 || errno == EINTR { return .timedOut }
    return .failed
}
