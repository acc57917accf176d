import CFastCGI
import HTTPCore
import Logging
import Synchronization

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

    /// Serves until SIGTERM or SIGINT, then stops accepting, lets in-flight requests finish (at most
    /// `shutdownGraceSeconds`), joins the threads, removes the unix socket file and returns.
    ///
    /// Call it from the main thread before starting other threads: it blocks SIGTERM/SIGINT in the
    /// calling thread (the worker threads inherit the mask) and receives them with `sigwait`; a thread
    /// started earlier with the signals unblocked would take a process-directed SIGTERM instead.
    /// The signals stay blocked in the calling thread after `run` returns. SIGPIPE is ignored.
    ///
    /// Each of the `threads` worker threads calls `makeHandler(threadIndex)` on itself once, then answers
    /// requests one at a time, from whichever connection has one (``ConnectionSet``): nginx may keep
    /// connections open (`fastcgi_keep_conn on` with an upstream `keepalive` pool), and may open more of them
    /// than there are threads.
    ///
    /// - Throws: ``FastCGIServerError`` when the configuration is invalid or the socket or threads
    ///   cannot be set up; nothing is left running then.
    public func run(makeHandler: @escaping @Sendable (Int) -> any RequestHandler) throws {
        try configuration.validate()
        guard running.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else {
            throw FastCGIServerError(code: .alreadyRunning, message: "run() is already active on this server")
        }
        defer { running.store(false, ordering: .releasing) }

        // Blocked before FCGX_Init and before any worker exists, so every worker inherits the mask and
        // only sigwait below sees the signals; libfcgi's own handlers would otherwise swallow them (PLATFORM.md R2).
        var stopSignals = sigset_t()
        sigemptyset(&stopSignals)
        sigaddset(&stopSignals, SIGTERM)
        sigaddset(&stopSignals, SIGINT)
        var previousMask = sigset_t()
        pthread_sigmask(SIG_BLOCK, &stopSignals, &previousMask)
        var serving = false
        defer {
            if !serving {
                pthread_sigmask(SIG_SETMASK, &previousMask, nil)
            }
        }
        signal(SIGPIPE, SIG_IGN)

        let initStatus = FCGX_Init()
        guard initStatus == 0 else {
            throw FastCGIServerError(code: .initFailed, message: "FCGX_Init returned \(initStatus)")
        }

        let socket = try ListenSocket.open(configuration.listen, backlog: configuration.backlog)
        var wakePipe: [Int32] = [-1, -1]
        guard pipe(&wakePipe) == 0 else {
            let error = FastCGIServerError(code: .threadStartFailed, message: "pipe() failed", systemErrno: errno)
            close(socket.fd)
            socket.removeSocketFileIfOurs()
            throw error
        }
        _ = fcntl(wakePipe[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(wakePipe[1], F_SETFD, FD_CLOEXEC)
        let connections: ConnectionSet
        do {
            var isTCP = false
            if case .tcp = configuration.listen { isTCP = true }
            connections = try ConnectionSet(
                listenFd: socket.fd, wakeFd: wakePipe[0], isTCP: isTCP, statistics: statistics)
        } catch {
            close(socket.fd)
            close(wakePipe[0])
            close(wakePipe[1])
            socket.removeSocketFileIfOurs()
            throw error
        }

        let state = ServerState()
        var threads: [pthread_t] = []
        threads.reserveCapacity(configuration.threads)
        for index in 0..<configuration.threads {
            let worker = FastCGIWorker(
                index: index,
                connections: connections,
                statistics: statistics,
                maxBodyBytes: configuration.maxBodyBytes,
                logger: logger,
                state: state,
                makeHandler: makeHandler
            )
            let context = Unmanaged.passRetained(worker).toOpaque()
            state.liveWorkers.add(1, ordering: .relaxed)
            var thread = pthread_t()
            let status = pthread_create(&thread, nil, fastCGIWorkerThreadMain, context)
            guard status == 0 else {
                Unmanaged<FastCGIWorker>.fromOpaque(context).release()
                state.liveWorkers.subtract(1, ordering: .relaxed)
                logger.error("could not start FastCGI worker thread", metadata: ["fcgi.thread": "\(index)"])
                stop(threads: threads, socket: socket, wakePipe: wakePipe, connections: connections, state: state)
                throw FastCGIServerError(
                    code: .threadStartFailed,
                    message: "pthread_create failed for worker \(index)",
                    systemErrno: status
                )
            }
            threads.append(thread)
        }
        serving = true
        logger.info(
            "FastCGI server listening",
            metadata: ["fcgi.listen": "\(configuration.listen)", "fcgi.threads": "\(configuration.threads)"]
        )

        var received: Int32 = 0
        while sigwait(&stopSignals, &received) != 0 {}
        logger.info("shutdown signal received; finishing in-flight requests", metadata: ["signal": "\(received)"])
        stop(threads: threads, socket: socket, wakePipe: wakePipe, connections: connections, state: state)
        logger.info("FastCGI server stopped")
    }

    /// Stops accepting, waits up to the grace period for the workers, then releases what they no longer use.
    private func stop(
        threads: [pthread_t], socket: ListenSocket, wakePipe: [Int32], connections: ConnectionSet, state: ServerState
    ) {
        state.shuttingDown.store(true, ordering: .releasing)
        // New connections are refused from here on (nginx answers 502, or its JSON 503 page).
        // FCGX_ShutdownPending() is deliberately not called: it sets a process-wide flag that can never be
        // cleared, so a later server in the same process (tests) could never accept again.
        shutdown(socket.fd, Int32(SHUT_RDWR))
        // Wakes every thread waiting in epoll_wait (the pipe stays readable): each answers what already arrived
        // on its connections, then leaves.
        var byte: UInt8 = 1
        _ = write(wakePipe[1], &byte, 1)

        let graceNanoseconds = UInt64(configuration.shutdownGraceSeconds) * 1_000_000_000
        let start = Self.monotonicNanoseconds()
        while state.liveWorkers.load(ordering: .acquiring) > 0 && Self.monotonicNanoseconds() - start < graceNanoseconds
        {
            usleep(10_000)
        }

        let stillBusy = state.liveWorkers.load(ordering: .acquiring)
        if stillBusy == 0 {
            for thread in threads {
                pthread_join(thread, nil)
            }
            connections.closeAll(logger: logger)
            close(socket.fd)
            close(wakePipe[0])
            close(wakePipe[1])
        } else {
            // The busy threads may still touch these descriptors, so they stay open until the process exits.
            logger.error(
                "shutdown grace period expired with requests still running",
                metadata: [
                    "fcgi.busyThreads": "\(stillBusy)", "fcgi.graceSeconds": "\(configuration.shutdownGraceSeconds)",
                ]
            )
            for thread in threads {
                pthread_detach(thread)
            }
        }
        socket.removeSocketFileIfOurs()
    }

    private static func monotonicNanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }
}
