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

/// pthread entry point. It must be a global function: a closure literal can be inferred as
/// main-actor isolated and then traps on the new thread in Swift 6 (PLATFORM.md R1).
func fastCGIWorkerThreadMain(_ context: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    guard let context else { return nil }
    Unmanaged<FastCGIWorker>.fromOpaque(context).takeRetainedValue().run()
    return nil
}

/// One worker thread's immutable setup; everything mutable (the `FCGX_Request`, the handler) lives on its stack.
final class FastCGIWorker: Sendable {
    let index: Int
    let listenFd: Int32
    /// Read end of the shutdown pipe; becomes readable (and stays so) when shutdown starts.
    let wakeFd: Int32
    let maxBodyBytes: Int
    let logger: Logger
    let state: ServerState
    let makeHandler: @Sendable (Int) -> any RequestHandler

    init(
        index: Int,
        listenFd: Int32,
        wakeFd: Int32,
        maxBodyBytes: Int,
        logger: Logger,
        state: ServerState,
        makeHandler: @escaping @Sendable (Int) -> any RequestHandler
    ) {
        self.index = index
        self.listenFd = listenFd
        self.wakeFd = wakeFd
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
        // libfcgi keeps this address inside the streams it allocates, so it must not move (PLATFORM.md R4).
        let request = UnsafeMutablePointer<FCGX_Request>.allocate(capacity: 1)
        request.initialize(to: FCGX_Request())
        FCGX_InitRequest(request, listenFd, 0)
        defer {
            // Closes a kept-alive connection too.
            FCGX_Free(request, 1)
            request.deinitialize(count: 1)
            request.deallocate()
        }

        var consecutiveFailures = 0
        while !state.isShuttingDown {
            if request.pointee.ipcFd >= 0 && !waitForNextRequest(onKeptConnection: request.pointee.ipcFd) {
                break
            }
            let status = FCGX_Accept_r(request)
            guard status == 0 else {
                if state.isShuttingDown {
                    break
                }
                consecutiveFailures += 1
                if consecutiveFailures == 1 || consecutiveFailures % 1000 == 0 {
                    logger.error(
                        "FastCGI accept failed",
                        metadata: ["fcgi.status": "\(status)", "fcgi.failures": "\(consecutiveFailures)"]
                    )
                }
                // Back off so a persistent error (EMFILE) does not spin.
                usleep(useconds_t(min(consecutiveFailures, 100) * 1000))
                continue
            }
            consecutiveFailures = 0
            withExtendedLifetime(handler) {
                serve(request, with: handler, logger: logger)
            }
            FCGX_Finish_r(request)
        }
    }

    /// With `fastcgi_keep_conn on` libfcgi keeps the connection after `FCGX_Finish_r`, and the next
    /// `FCGX_Accept_r` blocks reading it, where closing the listen socket cannot reach it. Waiting here on
    /// both the connection and the shutdown pipe lets an idle kept-alive thread stop promptly.
    /// Returns false when shutdown started and nothing arrived on the connection.
    private func waitForNextRequest(onKeptConnection fd: Int32) -> Bool {
        var fds = [
            pollfd(fd: fd, events: Int16(POLLIN), revents: 0),
            pollfd(fd: wakeFd, events: Int16(POLLIN), revents: 0),
        ]
        while true {
            let ready = poll(&fds, nfds_t(fds.count), -1)
            if ready > 0 {
                // A request that already arrived is still served during shutdown.
                return fds[0].revents != 0 || fds[1].revents == 0
            }
            if ready < 0 && errno != EINTR {
                // Let FCGX_Accept_r discover the broken connection itself.
                return true
            }
        }
    }

    private func serve(_ request: UnsafeMutablePointer<FCGX_Request>, with handler: any RequestHandler, logger: Logger)
    {
        var (incoming, contentLength) = CGIRequestMapper.makeRequest(params: Self.params(request.pointee.envp))
        if let input = request.pointee.in {
            if contentLength > maxBodyBytes {
                // Not read: the router answers 413; libfcgi drains the rest when it closes the connection.
                incoming.bodyExceededLimit = true
            } else if contentLength > 0 {
                // A short read means the client went away; hand over what arrived.
                incoming.body = Self.read(exactly: contentLength, from: input)
            } else if contentLength < 0 {
                if let body = Self.readToEnd(limit: maxBodyBytes, from: input) {
                    incoming.body = body
                } else {
                    incoming.bodyExceededLimit = true
                }
            }
        }

        let response = handler.handle(incoming)

        guard let output = request.pointee.out else { return }
        var written = Self.write(CGIRequestMapper.renderHead(response), to: output)
        if written && incoming.method != .head {
            written = Self.write(response.body, to: output)
        }
        if !written {
            // No path in the metadata: paths can carry secrets; the request id is enough to correlate.
            var metadata: Logger.Metadata = [:]
            if let name = HTTPField.Name("X-Request-Id"), let requestID = incoming.headers[name] {
                metadata["request.id"] = "\(requestID)"
            }
            logger.debug("client went away before the response was written", metadata: metadata)
        }
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
