import CFastCGI
import HTTPCore
import HTTPTypes
import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// State the control thread and the workers share.
final class ServerState: Sendable {
    let shuttingDown = Atomic<Bool>(false)
    /// Workers that have not yet left their loop (and released their handler).
    let liveWorkers = Atomic<Int>(0)

    var isShuttingDown: Bool { shuttingDown.load(ordering: .acquiring) }
}

/// One worker thread's immutable setup; everything mutable (the handler) lives on its stack.
final class FastCGIWorker: Sendable {
    let index: Int
    let connections: ConnectionSet
    let statistics: FastCGIServerStatistics
    let maxBodyBytes: Int
    let logger: Logger
    let state: ServerState
    let makeHandler: @Sendable (Int) -> any RequestHandler

    init(
        index: Int,
        connections: ConnectionSet,
        statistics: FastCGIServerStatistics,
        maxBodyBytes: Int,
        logger: Logger,
        state: ServerState,
        makeHandler: @escaping @Sendable (Int) -> any RequestHandler
    ) {
        self.index = index
        self.connections = connections
        self.statistics = statistics
        self.maxBodyBytes = maxBodyBytes
        self.logger = logger
        self.state = state
        self.makeHandler = makeHandler
    }

    func run() {
        var logger = self.logger
        logger[metadataKey: "fcgi.thread"] = "\(index)"
        serveUntilShutdown(logger: logger)
        // Only after the handler (and whatever connections it owns) is released.
        state.liveWorkers.subtract(1, ordering: .releasing)
    }

    private func serveUntilShutdown(logger: Logger) {
        let handler = makeHandler(index)
        withExtendedLifetime(handler) {
            while true {
                switch connections.next() {
                case .connection(let connection):
                    serveNextRequest(on: connection, with: handler, logger: logger)
                case .listener:
                    if !state.isShuttingDown {
                        connections.acceptPending(logger: logger)
                    }
                case .shutdown:
                    drainForShutdown(with: handler, logger: logger)
                    return
                case nil:
                    continue
                }
            }
        }
    }

    /// Answers the requests that already arrived on open connections, and ends the idle connections so nginx
    /// stops using them. A request is only read from a connection this thread has claimed, so none is read (and
    /// acted on) from a connection whose write side was shut down: a request nginx sends on one in that instant
    /// never runs, and nginx answers it with 502 (the API's 503 page).
    private func drainForShutdown(with handler: any RequestHandler, logger: Logger) {
        for _ in 0..<100 {
            let ready = connections.readyConnections()
            for connection in ready {
                serveNextRequest(on: connection, with: handler, logger: logger)
            }
            let waiting = connections.shutDownIdle()
            if ready.isEmpty && waiting == 0 { return }
            if ready.isEmpty {
                // Input is waiting on a connection another thread's epoll_wait has just taken.
                usleep(1000)
            }
        }
    }

    /// Reads the connection's next request (it is readable), answers it, and watches the connection again if
    /// nginx keeps it; frees it when nginx closed it, or when shutdown has claimed it.
    private func serveNextRequest(on connection: ConnectionSet.Connection, with handler: any RequestHandler, logger: Logger) {
        guard connection.claim() else {
            connections.release(connection, logger: logger)
            return
        }
        let request = connection.request
        guard FCGX_Accept_r(request) == 0 else {
            // The peer closed the connection (or broke the protocol); libfcgi has closed it.
            connections.release(connection, logger: logger)
            return
        }
        if !serve(request, with: handler, logger: logger) {
            // Unread input would be taken for the next request's records: close instead of keeping it.
            request.pointee.keepConnection = 0
        }
        // Counted before FCGX_Finish_r flushes the response, so that no client has its answer before the count does.
        statistics.requestsServed.wrappingAdd(1, ordering: .relaxed)
        FCGX_Finish_r(request)
        if request.pointee.ipcFd >= 0 && !state.isShuttingDown {
            _ = connections.watchAgain(connection, logger: logger)
        } else {
            // Closed by libfcgi (nginx did not keep it), or shutting down: the response is complete, and
            // nginx takes the close of an idle kept connection in its stride.
            connections.release(connection, logger: logger)
        }
    }

    /// Answers one request; returns whether its input was read to the end (the connection can carry another).
    private func serve(_ request: UnsafeMutablePointer<FCGX_Request>, with handler: any RequestHandler, logger: Logger)
        -> Bool
    {
        var (incoming, contentLength) = CGIRequestMapper.makeRequest(params: Self.params(request.pointee.envp))
        var inputConsumed = false
        if let input = request.pointee.in {
            if contentLength > maxBodyBytes {
                // Not read: the router answers 413, and the connection is closed afterwards.
                incoming.bodyExceededLimit = true
            } else if contentLength >= 0 {
                // A short read means the client went away; hand over what arrived.
                if contentLength > 0 {
                    incoming.body = Self.read(exactly: contentLength, from: input)
                }
                inputConsumed = incoming.body.count == contentLength && Self.isAtEnd(input)
            } else if let body = Self.readToEnd(limit: maxBodyBytes, from: input) {
                incoming.body = body
                inputConsumed = true
            } else {
                incoming.bodyExceededLimit = true
            }
        }

        let response = handler.handle(incoming)

        guard let output = request.pointee.out else { return false }
        var written = Self.write(CGIRequestMapper.renderHead(response), to: output)
        if written && incoming.method != .head {
            written = Self.write(response.body, to: output)
        }
        if !written {
            // No path in the metadata: paths can carry secrets; the request id is enough to correlate.
            var metadata: Logger.Metadata = [:]
            if let name = HTTPField.Name("X-Request-Id"), let requestID = incoming.headers[name] {
                metadata["request_id"] = "\(requestID)"
            }
            logger.debug("client went away before the response was written", metadata: metadata)
        }
        return inputConsumed && written
    }

    /// Reads the end of the input stream (nginx always ends it with an empty record, which would otherwise stay
    /// on a kept connection); false if more data follows.
    static func isAtEnd(_ stream: UnsafeMutablePointer<FCGX_Stream>) -> Bool {
        var byte: CChar = 0
        return FCGX_GetStr(&byte, 1, stream) == 0 && FCGX_GetError(stream) == 0
    }

    /// The `NAME=VALUE` strings of the FastCGI environment, in the order nginx sent them.
    static func params(_ envp: FCGX_ParamArray?) -> [(String, String)] {
        var pairs: [(String, String)] = []
        guard var cursor = envp else { return pairs }
        pairs.reserveCapacity(40)
        while let entry = cursor.pointee {
            let length = strlen(entry)
            let bytes = UnsafeRawBufferPointer(start: entry, count: length)
            if let equals = bytes.firstIndex(of: UInt8(ascii: "=")) {
                let name = String(decoding: bytes[..<equals], as: UTF8.self)
                let value = String(decoding: bytes[(equals + 1)...], as: UTF8.self)
                pairs.append((name, value))
            }
            cursor += 1
        }
        return pairs
    }

    private static let chunkSize = 64 * 1024

    /// Reads up to `count` bytes; fewer if the stream ends early.
    static func read(exactly count: Int, from stream: UnsafeMutablePointer<FCGX_Stream>) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: count) { buffer, initializedCount in
            var total = 0
            if let base = buffer.baseAddress {
                while total < count {
                    let wanted = Int32(min(count - total, chunkSize))
                    let got = (base + total).withMemoryRebound(to: CChar.self, capacity: Int(wanted)) {
                        FCGX_GetStr($0, wanted, stream)
                    }
                    if got > 0 {
                        total += Int(got)
                    }
                    if got < wanted {
                        break
                    }
                }
            }
            initializedCount = total
        }
    }

    /// Reads a body of undeclared length; nil when it is longer than `limit` (the rest stays unread).
    static func readToEnd(limit: Int, from stream: UnsafeMutablePointer<FCGX_Stream>) -> [UInt8]? {
        var body: [UInt8] = []
        let exceeded = withUnsafeTemporaryAllocation(of: CChar.self, capacity: 16 * 1024) { scratch -> Bool in
            guard let base = scratch.baseAddress else { return false }
            while true {
                let got = FCGX_GetStr(base, Int32(scratch.count), stream)
                if got > 0 {
                    if body.count + Int(got) > limit {
                        return true
                    }
                    body.append(contentsOf: UnsafeRawBufferPointer(start: base, count: Int(got)))
                }
                if got < Int32(scratch.count) {
                    return false
                }
            }
        }
        return exceeded ? nil : body
    }

    /// False when the stream reported an error (the client went away).
    static func write(_ bytes: [UInt8], to stream: UnsafeMutablePointer<FCGX_Stream>) -> Bool {
        bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { characters in
                guard let base = characters.baseAddress else { return true }
                var offset = 0
                while offset < characters.count {
                    let length = Int32(min(characters.count - offset, Int(Int32.max)))
                    if FCGX_PutStr(base + offset, length, stream) != length {
                        return false
                    }
                    offset += Int(length)
                }
                return true
            }
        }
    }
}
