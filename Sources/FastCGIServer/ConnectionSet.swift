import CFastCGI
import Logging
import Synchronization

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
final class ConnectionSet: Sendable {
    private static let listenerTag: UInt64 = 0
    private static let wakeTag: UInt64 = 1

    let epollFd: Int32
    let listenFd: Int32
    private let setsNoDelay: Bool
    /// The live `FCGX_Request`s by address, and whether a thread is serving one (busy) or it waits in the set.
    private let live = Mutex<[UInt: Bool]>([:])
    private let acceptFailures = Atomic<Int>(0)

    /// What one `epoll_wait` handed this thread.
    enum Event {
        case connection(UnsafeMutablePointer<FCGX_Request>)
        case listener
        case shutdown
    }

    /// Makes the listening socket non-blocking and watches it and `wakeFd` (readable once shutdown starts).
    init(listenFd: Int32, wakeFd: Int32, isTCP: Bool) throws {
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
        // The wake pipe stays level-triggered: once written, every thread's epoll_wait reports it.
        guard Self.control(epollFd, EPOLL_CTL_ADD, wakeFd, events: EPOLLIN.rawValue, tag: Self.wakeTag),
            Self.control(epollFd, EPOLL_CTL_ADD, listenFd, events: EPOLLIN.rawValue | EPOLLONESHOT.rawValue, tag: Self.listenerTag)
        else {
            let error = FastCGIServerError(code: .socketFailed, message: "epoll_ctl(ADD) failed", systemErrno: errno)
            close(epollFd)
            throw error
        }
    }

    /// Waits for the next event (forever with `timeoutMilliseconds` -1); nil on timeout or interruption.
    func next(timeoutMilliseconds: Int32 = -1) -> Event? {
        var event = epoll_event()
        guard epoll_wait(epollFd, &event, 1, timeoutMilliseconds) == 1 else { return nil }
        switch event.data.u64 {
        case Self.wakeTag: return .shutdown
        case Self.listenerTag: return .listener
        case let address:
            guard let request = UnsafeMutablePointer<FCGX_Request>(bitPattern: UInt(address)) else { return nil }
            live.withLock { $0[UInt(address)] = true }
            return .connection(request)
        }
    }

    /// Accepts the connections waiting on the listener, watches each, and watches the listener again.
    func acceptPending(logger: Logger) {
        defer { rearm(listenFd, tag: Self.listenerTag) }
        for _ in 0..<64 {
            // accept4 is not exported to Swift; the descriptor inherits no O_NONBLOCK (libfcgi reads blocking).
            let fd = accept(listenFd, nil, nil)
            if fd < 0 {
                switch errno {
                case EAGAIN, EWOULDBLOCK, EINTR, ECONNABORTED, EPROTO:
                    return
                default:
                    // EMFILE and the like: log now and then, and let the backlog wait instead of spinning.
                    let failures = acceptFailures.wrappingAdd(1, ordering: .relaxed).newValue
                    if failures == 1 || failures % 1000 == 0 {
                        logger.error("FastCGI accept failed", metadata: ["errno": "\(errno)", "fcgi.failures": "\(failures)"])
                    }
                    usleep(10_000)
                    return
                }
            }
            acceptFailures.store(0, ordering: .relaxed)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
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
            live.withLock { $0[UInt(bitPattern: request)] = false }
            guard Self.control(
                epollFd, EPOLL_CTL_ADD, fd, events: EPOLLIN.rawValue | EPOLLONESHOT.rawValue,
                tag: UInt64(UInt(bitPattern: request)))
            else {
                close(fd)
                request.pointee.ipcFd = -1
                release(request)
                continue
            }
        }
    }

    /// Watches a kept connection again for its next request.
    func watchAgain(_ request: UnsafeMutablePointer<FCGX_Request>) {
        live.withLock { $0[UInt(bitPattern: request)] = false }
        rearm(request.pointee.ipcFd, tag: UInt64(UInt(bitPattern: request)))
    }

    /// At shutdown: ends every connection no thread is serving, so that nginx sees them close now (and sends
    /// nothing more on them) rather than when the last in-flight request is done. The descriptors stay open
    /// until ``closeAll()``, so a thread that still picks one up reads its end and frees it.
    func shutDownIdle() {
        live.withLock { live in
            for (address, busy) in live where !busy {
                if let request = UnsafeMutablePointer<FCGX_Request>(bitPattern: address), request.pointee.ipcFd >= 0 {
                    shutdown(request.pointee.ipcFd, Int32(SHUT_RDWR))
                }
            }
        }
    }

    /// Frees a connection whose descriptor libfcgi has already closed (`ipcFd` is -1), or closes it.
    func release(_ request: UnsafeMutablePointer<FCGX_Request>) {
        live.withLock { _ = $0.removeValue(forKey: UInt(bitPattern: request)) }
        if request.pointee.ipcFd >= 0 {
            // A plain close: libfcgi's graceful close waits up to 2 s for the peer, which an idle
            // kept-alive nginx connection never ends.
            close(request.pointee.ipcFd)
            request.pointee.ipcFd = -1
        }
        FCGX_Free(request, 0)
        request.deinitialize(count: 1)
        request.deallocate()
    }

    /// Closes every connection still open and the epoll set; only once no worker runs.
    func closeAll() {
        let remaining = live.withLock { Array($0.keys) }
        for address in remaining {
            if let request = UnsafeMutablePointer<FCGX_Request>(bitPattern: address) {
                release(request)
            }
        }
        close(epollFd)
    }

    private func rearm(_ fd: Int32, tag: UInt64) {
        _ = Self.control(epollFd, EPOLL_CTL_MOD, fd, events: EPOLLIN.rawValue | EPOLLONESHOT.rawValue, tag: tag)
    }

    private static func control(_ epollFd: Int32, _ operation: Int32, _ fd: Int32, events: UInt32, tag: UInt64) -> Bool {
        var event = epoll_event()
        event.events = events
        event.data.u64 = tag
        return epoll_ctl(epollFd, operation, fd, &event) == 0
    }
}
