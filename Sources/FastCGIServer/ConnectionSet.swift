import CFastCGI
import Logging
import Synchronization
import SystemSupport

#if canImport(Glibc)
    import Glibc
#endif

/// What the worker threads wait on together: one epoll set holding the listening socket, the shutdown pipe and
/// every open connection from nginx.
///
/// A connection is never tied to a thread. With `fastcgi_keep_conn on`, libfcgi keeps a connection open after a
/// request (`FCGX_Finish_r`), and its own accept loop would leave the thread reading that connection until nginx
/// closes it: with more connections than threads, requests would wait unanswered (PLATFORM.md §4). Here an idle
/// connection waits in the epoll set instead (one-shot), and whichever thread is free serves its next request.
/// Without `fastcgi_keep_conn` each connection carries one request, as before.
///
/// Each connection owns a heap `FCGX_Request` whose `listen_sock` is -1: libfcgi only reads requests from the
/// connection's `ipcFd` we set, and when the peer closes it, its attempt to accept a replacement fails at once
/// (EBADF) and `FCGX_Accept_r` returns < 0.
///
/// At most ``maxConnections`` are open at once; beyond that the listener is not watched, so further connections
/// wait in the listen backlog (and nginx's connect timeout applies) instead of piling up here.
final class ConnectionSet: Sendable {
    /// Open connections at most. It also keeps descriptors below `FD_SETSIZE` (1024), which libfcgi's graceful
    /// close (`select`) cannot go beyond.
    static let maxConnections = 512
    /// How long a read of a request that has started may block.
    static let readTimeoutSeconds = 60

    private static let listenerTag: UInt64 = 0
    private static let wakeTag: UInt64 = 1

    let epollFd: Int32
    let listenFd: Int32
    private let setsNoDelay: Bool
    private let statistics: FastCGIServerStatistics
    /// The open connections, by their epoll tag; changed only when one opens or closes.
    private let live = SleepingMutex<[UInt: Connection]>([:])
    private let openCount = Atomic<Int>(0)
    /// Set while the listener is not watched because ``maxConnections`` are open.
    private let listenerPaused = Atomic<Bool>(false)
    private let acceptFailures = Atomic<Int>(0)

    /// One open connection and who has it. A thread that gets its event claims it (idle → busy); at shutdown,
    /// ``shutDownIdle()`` claims the idle ones (idle → closing). One compare-and-exchange decides, so a request
    /// is never read from a connection being shut down, and serving takes no lock all threads share.
    final class Connection: Sendable {
        static let idle: UInt8 = 0
        static let busy: UInt8 = 1
        static let closing: UInt8 = 2

        nonisolated(unsafe) let request: UnsafeMutablePointer<FCGX_Request>
        let state = Atomic<UInt8>(Connection.idle)

        init(request: UnsafeMutablePointer<FCGX_Request>) { self.request = request }

        var tag: UInt64 { UInt64(UInt(bitPattern: Unmanaged.passUnretained(self).toOpaque())) }

        /// Takes the connection for serving; false when shutdown has taken it.
        func claim() -> Bool {
            state.compareExchange(expected: Connection.idle, desired: Connection.busy, ordering: .acquiringAndReleasing)
                .exchanged
        }
    }

    /// What one `epoll_wait` handed this thread.
    enum Event {
        case connection(Connection)
        case listener
        case shutdown
    }

    /// Makes the listening socket non-blocking and watches it and `wakeFd` (readable once shutdown starts).
    init(listenFd: Int32, wakeFd: Int32, isTCP: Bool, statistics: FastCGIServerStatistics) throws {
        let flags = fcntl(listenFd, F_GETFL)
        guard flags >= 0, fcntl(listenFd, F_SETFL, flags | O_NONBLOCK) == 0 else {
            throw FastCGIServerError(code: .socketFailed, message: "fcntl(O_NONBLOCK) on the listener failed", systemErrno: errno)
        }
        let epollFd = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epollFd >= 0 else {
            throw FastCGIServerError(code: .socketFailed, message: "epoll_create1 failed", systemErrno: errno)
        }
        self.epollFd = epollFd
        self.listenFd = listenFd
        self.setsNoDelay = isTCP
        self.statistics = statistics
        // The wake pipe stays level-triggered: once written, every thread's epoll_wait reports it.
        guard Self.control(epollFd, EPOLL_CTL_ADD, wakeFd, events: EPOLLIN.rawValue, tag: Self.wakeTag),
            Self.control(epollFd, EPOLL_CTL_ADD, listenFd, events: EPOLLIN.rawValue | EPOLLONESHOT.rawValue, tag: Self.listenerTag)
        else {
            let error = FastCGIServerError(code: .socketFailed, message: "epoll_ctl(ADD) failed", systemErrno: errno)
            close(epollFd)
            throw error
        }
    }

    /// Waits for the next event; nil when interrupted.
    func next() -> Event? {
        var event = epoll_event()
        guard epoll_wait(epollFd, &event, 1, -1) == 1 else { return nil }
        return Self.event(for: event.data.u64)
    }

    /// The connections with a request ready right now (no waiting), for the drain at shutdown. The wake pipe and
    /// the listener are always ready then, so this asks for many events at once rather than stopping at them.
    func readyConnections() -> [Connection] {
        var events = [epoll_event](repeating: epoll_event(), count: 64)
        let count = epoll_wait(epollFd, &events, Int32(events.count), 0)
        guard count > 0 else { return [] }
        return events.prefix(Int(count)).compactMap {
            if case .connection(let connection) = Self.event(for: $0.data.u64) { return connection }
            return nil
        }
    }

    private static func event(for tag: UInt64) -> Event? {
        switch tag {
        case wakeTag: return .shutdown
        case listenerTag: return .listener
        default:
            // The set holds a reference for as long as the connection is open (see acceptPending and release).
            guard let pointer = UnsafeRawPointer(bitPattern: UInt(tag)) else { return nil }
            return .connection(Unmanaged<Connection>.fromOpaque(pointer).takeUnretainedValue())
        }
    }

    /// Accepts the connections waiting on the listener, watches each, and watches the listener again unless
    /// ``maxConnections`` are open.
    func acceptPending(logger: Logger) {
        for _ in 0..<64 {
            if openCount.load(ordering: .acquiring) >= Self.maxConnections {
                // release() watches the listener again once a connection closes; if one closed meanwhile, do it here.
                listenerPaused.store(true, ordering: .releasing)
                if openCount.load(ordering: .acquiring) < Self.maxConnections { resumeListenerIfPaused(logger: logger) }
                return
            }
            // accept4 is not exported to Swift; the descriptor inherits no O_NONBLOCK (libfcgi reads blocking).
            let fd = accept(listenFd, nil, nil)
            if fd < 0 {
                let code = errno
                switch code {
                case EAGAIN, EWOULDBLOCK, EINTR, ECONNABORTED, EPROTO:
                    break
                case EINVAL:
                    // The listener was shut down: the server is stopping.
                    return
                default:
                    // EMFILE and the like: log now and then, and let the backlog wait instead of spinning.
                    let failures = acceptFailures.wrappingAdd(1, ordering: .relaxed).newValue
                    if failures == 1 || failures % 1000 == 0 {
                        logger.error("FastCGI accept failed", metadata: ["errno": "\(code)", "fcgi.failures": "\(failures)"])
                    }
                    usleep(10_000)
                }
                break
            }
            acceptFailures.store(0, ordering: .relaxed)
            guard fd < FD_SETSIZE else {
                // Only when something else holds hundreds of descriptors; libfcgi could not close this one safely.
                logger.error("FastCGI connection descriptor above FD_SETSIZE; closed", metadata: ["fd": "\(fd)"])
                close(fd)
                continue
            }
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            // A request is only read once its connection is readable, and nginx sends each one whole; a peer that
            // stalls mid-record cannot hold a thread longer than this (the read fails and the connection closes).
            var timeout = timeval(tv_sec: Self.readTimeoutSeconds, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            if setsNoDelay {
                var on: Int32 = 1
                setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
            }
            let request = UnsafeMutablePointer<FCGX_Request>.allocate(capacity: 1)
            request.initialize(to: FCGX_Request())
            FCGX_InitRequest(request, -1, 0)
            request.pointee.ipcFd = fd
            // Until its first request says otherwise: FCGX_Accept_r starts by finishing the "previous" request,
            // which closes the connection unless it is marked kept.
            request.pointee.keepConnection = 1
            let connection = Connection(request: request)
            live.withLock { $0[UInt(connection.tag)] = connection }
            openCount.wrappingAdd(1, ordering: .relaxed)
            statistics.connectionsAccepted.wrappingAdd(1, ordering: .relaxed)
            guard Self.control(epollFd, EPOLL_CTL_ADD, fd, events: EPOLLIN.rawValue | EPOLLONESHOT.rawValue, tag: connection.tag)
            else {
                logger.error("epoll_ctl(ADD) failed for a FastCGI connection; closed", metadata: ["errno": "\(errno)"])
                release(connection, logger: logger)
                continue
            }
        }
        watchListener(logger: logger)
    }

    /// Watches a kept connection again for its next request; false (and the connection is closed) if that failed.
    func watchAgain(_ connection: Connection, logger: Logger) -> Bool {
        connection.state.store(Connection.idle, ordering: .releasing)
        guard rearm(connection.request.pointee.ipcFd, tag: connection.tag) else {
            logger.error("epoll_ctl(MOD) failed for a FastCGI connection; closed", metadata: ["errno": "\(errno)"])
            release(connection, logger: logger)
            return false
        }
        return true
    }

    /// At shutdown: ends every idle connection without a request waiting on it, so nginx sees them close now
    /// (and sends nothing more on them) rather than when the last in-flight request is done. Returns how many
    /// idle connections have input waiting; those are left for a thread to serve. The descriptors stay open
    /// until they are released, so a thread that still gets one's event finds it claimed and frees it.
    func shutDownIdle() -> Int {
        live.withLock { live in
            var waiting = 0
            for connection in live.values {
                let fd = connection.request.pointee.ipcFd
                guard fd >= 0, connection.state.compareExchange(
                    expected: Connection.idle, desired: Connection.closing, ordering: .acquiringAndReleasing
                ).exchanged else { continue }
                var byte: UInt8 = 0
                if recv(fd, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT)) > 0 {
                    connection.state.store(Connection.idle, ordering: .releasing)
                    waiting += 1
                } else {
                    shutdown(fd, Int32(SHUT_RDWR))
                }
            }
            return waiting
        }
    }

    /// Frees a connection whose descriptor libfcgi has already closed (`ipcFd` is -1), or closes it.
    func release(_ connection: Connection, logger: Logger) {
        live.withLock { _ = $0.removeValue(forKey: UInt(connection.tag)) }
        let request = connection.request
        if request.pointee.ipcFd >= 0 {
            // A plain close: libfcgi's graceful close waits up to 2 s for the peer, which an idle
            // kept-alive nginx connection never ends.
            close(request.pointee.ipcFd)
            request.pointee.ipcFd = -1
        }
        FCGX_Free(request, 0)
        request.deinitialize(count: 1)
        request.deallocate()
        if openCount.wrappingSubtract(1, ordering: .acquiringAndReleasing).newValue < Self.maxConnections {
            resumeListenerIfPaused(logger: logger)
        }
    }

    /// Closes every connection still open and the epoll set; only once no worker runs.
    func closeAll(logger: Logger) {
        let remaining = live.withLock { Array($0.values) }
        for connection in remaining {
            release(connection, logger: logger)
        }
        close(epollFd)
    }

    /// Watches the listener again if it was paused at the connection limit (exactly one caller wins).
    private func resumeListenerIfPaused(logger: Logger) {
        if listenerPaused.compareExchange(expected: true, desired: false, ordering: .acquiringAndReleasing).exchanged {
            watchListener(logger: logger)
        }
    }

    private func watchListener(logger: Logger) {
        if !rearm(listenFd, tag: Self.listenerTag) {
            logger.critical("epoll_ctl(MOD) failed for the FastCGI listener", metadata: ["errno": "\(errno)"])
        }
    }

    private func rearm(_ fd: Int32, tag: UInt64) -> Bool {
        Self.control(epollFd, EPOLL_CTL_MOD, fd, events: EPOLLIN.rawValue | EPOLLONESHOT.rawValue, tag: tag)
    }

    private static func control(_ epollFd: Int32, _ operation: Int32, _ fd: Int32, events: UInt32, tag: UInt64) -> Bool {
        var event = epoll_event()
        event.events = events
        event.data.u64 = tag
        return epoll_ctl(epollFd, operation, fd, &event) == 0
    }
}
