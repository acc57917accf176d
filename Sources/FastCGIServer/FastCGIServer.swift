import CFastCGI
import HTTPCore
import Logging
import Synchronization
import SystemSupport

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A multi-threaded FastCGI responder (libfcgi) that maps each request to a ``RequestHandler``.
public final class FastCGIServer: Sendable {
    /// The settings `run` uses.
    public let configuration: FastCGIServerConfiguration
    /// Connections accepted and requests served so far.
    public let statistics = FastCGIServerStatistics()
    private let logger: Logger
    private let running = Atomic<Bool>(false)

    /// Creates a server; nothing is opened until ``run(makeHandler:)``.
    public init(configuration: FastCGIServerConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// Serves until `waitForStop` returns (by default: until SIGTERM or SIGINT), then stops accepting, lets
    /// in-flight requests finish (at most `shutdownGraceSeconds`), joins the threads, removes the unix socket file
    /// and returns.
    ///
    /// The executable blocks SIGTERM and SIGINT first (``StopSignals/block()``), before any thread exists; `run`
    /// blocks them again in the calling thread before `FCGX_Init`, so that worker threads inherit the mask and
    /// libfcgi's own handlers never see them (PLATFORM.md R2). The signals stay blocked after `run` returns, and
    /// are unblocked again when it throws.
    ///
    /// Each of the `threads` worker threads calls `makeHandler(threadIndex)` on itself once, then answers
    /// requests one at a time, from whichever connection has one (``ConnectionSet``): nginx may keep
    /// connections open (`fastcgi_keep_conn on` with an upstream `keepalive` pool), and may open more of them
    /// than there are threads.
    ///
    /// - Throws: ``FastCGIServerError`` when the configuration is invalid or the socket or threads
    ///   cannot be set up; nothing is left running then.
    public func run(
        until waitForStop: () -> Int32? = { StopSignals.wait() },
        makeHandler: @escaping @Sendable (Int) -> any RequestHandler
    ) throws {
        try configuration.validate()
        guard running.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else {
            throw FastCGIServerError(code: .alreadyRunning, message: "run() is already active on this server")
        }
        defer { running.store(false, ordering: .releasing) }
        let state = ServerState()
        let (listener, threads) = try StopSignals.blocked {
            let initStatus = FCGX_Init()
            guard initStatus == 0 else {
                throw FastCGIServerError(code: .initFailed, message: "FCGX_Init returned \(initStatus)")
            }
            let listener = try Listener.open(configuration, statistics: statistics)
            return (listener, try startWorkers(listener: listener, state: state, makeHandler: makeHandler))
        }
        logger.info(
            "FastCGI server listening",
            metadata: ["fcgi.listen": "\(configuration.listen)", "fcgi.threads": "\(configuration.threads)"]
        )
        let received = waitForStop()
        logger.info(
            "shutdown requested; finishing in-flight requests", metadata: ["signal": "\(received.map { "\($0)" } ?? "none")"])
        stop(threads: threads, listener: listener, state: state)
        logger.info("FastCGI server stopped")
    }

    /// Starts the worker threads; on a failure stops those already started and releases the listener.
    private func startWorkers(
        listener: Listener, state: ServerState, makeHandler: @escaping @Sendable (Int) -> any RequestHandler
    ) throws -> [StartedThread] {
        var threads: [StartedThread] = []
        threads.reserveCapacity(configuration.threads)
        for index in 0..<configuration.threads {
            let worker = FastCGIWorker(
                index: index, connections: listener.connections, statistics: statistics,
                maxBodyBytes: configuration.maxBodyBytes, logger: logger, state: state, makeHandler: makeHandler)
            state.liveWorkers.add(1, ordering: .relaxed)
            switch Threads.start({ worker.run() }) {
            case .success(let thread):
                threads.append(thread)
            case .failure(let error):
                state.liveWorkers.subtract(1, ordering: .relaxed)
                logger.error("could not start FastCGI worker thread", metadata: ["fcgi.thread": "\(index)"])
                stop(threads: threads, listener: listener, state: state)
                throw FastCGIServerError(
                    code: .threadStartFailed, message: "pthread_create failed for worker \(index)",
                    systemErrno: error.status)
            }
        }
        return threads
    }

    /// Stops accepting, waits up to the grace period for the workers, then releases what they no longer use.
    private func stop(threads: [StartedThread], listener: Listener, state: ServerState) {
        state.shuttingDown.store(true, ordering: .releasing)
        // New connections are refused from here on (nginx answers 502, or its JSON 503 page).
        // FCGX_ShutdownPending() is deliberately not called: it sets a process-wide flag that can never be
        // cleared, so a later server in the same process (tests) could never accept again.
        shutdown(listener.socket.fd, Int32(SHUT_RDWR))
        listener.refusePending()
        // Wakes every thread waiting in epoll_wait (the pipe stays readable): each answers what already arrived
        // on its connections, then leaves.
        listener.wakeWorkers()

        let deadline = MonotonicClock.nanoseconds() + Int64(configuration.shutdownGraceSeconds) * 1_000_000_000
        while state.liveWorkers.load(ordering: .acquiring) > 0 && MonotonicClock.nanoseconds() < deadline {
            usleep(10_000)
        }

        let stillBusy = state.liveWorkers.load(ordering: .acquiring)
        if stillBusy == 0 {
            threads.forEach { $0.join() }
            listener.close(logger: logger)
        } else {
            // The busy threads may still touch these descriptors, so they stay open until the process exits.
            logger.error(
                "shutdown grace period expired with requests still running",
                metadata: [
                    "fcgi.busy_threads": "\(stillBusy)", "fcgi.grace_s": "\(configuration.shutdownGraceSeconds)",
                ]
            )
            threads.forEach { $0.detach() }
        }
        listener.socket.removeSocketFileIfOurs()
    }
}

/// The listening socket, the pipe that wakes the workers at shutdown, and the connections they serve.
private struct Listener {
    let socket: ListenSocket
    let wakePipe: [Int32]
    let connections: ConnectionSet

    static func open(_ configuration: FastCGIServerConfiguration, statistics: FastCGIServerStatistics) throws -> Listener {
        let socket = try ListenSocket.open(configuration.listen, backlog: configuration.backlog)
        var wakePipe: [Int32] = [-1, -1]
        guard pipe(&wakePipe) == 0 else {
            let error = FastCGIServerError(code: .threadStartFailed, message: "pipe() failed", systemErrno: errno)
            Glibc.close(socket.fd)
            socket.removeSocketFileIfOurs()
            throw error
        }
        _ = fcntl(wakePipe[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(wakePipe[1], F_SETFD, FD_CLOEXEC)
        do {
            var isTCP = false
            if case .tcp = configuration.listen { isTCP = true }
            let connections = try ConnectionSet(
                listenFd: socket.fd, wakeFd: wakePipe[0], isTCP: isTCP, statistics: statistics)
            return Listener(socket: socket, wakePipe: wakePipe, connections: connections)
        } catch {
            Glibc.close(socket.fd)
            Glibc.close(wakePipe[0])
            Glibc.close(wakePipe[1])
            socket.removeSocketFileIfOurs()
            throw error
        }
    }

    /// Closes the connections the kernel completed before the listener was shut down but no worker accepted. A unix
    /// socket's backlog outlives `shutdown`: left there, such a connection waits until the listener is closed (after
    /// the in-flight requests, or never when the grace period expires), and nginx with it. Closed now, nginx sees the
    /// reset at once and answers 502; the request never ran, so retrying it is safe. The listener is non-blocking
    /// (``ConnectionSet``), so this stops at the first empty accept.
    func refusePending() {
        while true {
            let fd = accept(socket.fd, nil, nil)
            if fd >= 0 {
                Glibc.close(fd)
            } else if errno != EINTR {
                return
            }
        }
    }

    /// Makes the wake pipe readable for good: every worker in `epoll_wait` returns.
    func wakeWorkers() {
        var byte: UInt8 = 1
        _ = write(wakePipe[1], &byte, 1)
    }

    func close(logger: Logger) {
        connections.closeAll(logger: logger)
        Glibc.close(socket.fd)
        Glibc.close(wakePipe[0])
        Glibc.close(wakePipe[1])
    }
}
