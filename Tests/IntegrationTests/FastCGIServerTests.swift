import FastCGIServer
import Foundation
import HTTPCore
import HTTPTypes
import Logging
import Synchronization
import Testing
import SystemSupport

#if canImport(Glibc)
    import Glibc
#endif

/// End to end through a real nginx: FastCGIServer in this process on a unix socket in a temp dir, nginx
/// started here on a free loopback port. Skipped when nginx is not installed, unless CI=true.
/// Serialized: each case runs a server with its own nginx and times a shutdown against a slow request; side by
/// side on 2 cores they slowed each other past that request's length.
@Suite(.serialized) struct FastCGIServerTests {
    static let nginxPath: String? = {
        let candidates =
            ["/usr/sbin/nginx", "/usr/bin/nginx", "/usr/local/sbin/nginx", "/usr/local/bin/nginx"]
            + (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map { "\($0)/nginx" }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()
    static let isCI = ProcessInfo.processInfo.environment["CI"] == "true"

    /// Once with a connection per request, once with nginx keeping connections (`fastcgi_keep_conn on`).
    @Test(
        .enabled(if: nginxPath != nil || isCI, "nginx is not installed (set CI=true to turn this skip into a failure)"),
        .timeLimit(.minutes(2)),
        arguments: [false, true]
    )
    func servesThroughNginxAndShutsDownGracefully(keepConnections: Bool) throws {
        let nginx = try #require(Self.nginxPath, "nginx is required when CI=true")
        let fixture = try Fixture(nginx: nginx, threads: 2, maxBodyBytes: 1024, keepConnections: keepConnections)
        defer { fixture.tearDown() }
        let client = fixture.client

        // The server is up once a request gets through (502 until the socket exists).
        try fixture.waitUntilServing()
        var socketStatus = stat()
        #expect(lstat(fixture.socketPath, &socketStatus) == 0)
        #expect(socketStatus.st_mode & 0o777 == 0o666)

        // makeHandler ran once per worker, each on its own thread, none on the thread calling run().
        let creations = fixture.probe.handlerThreads.withLock { $0 }
        #expect(creations.map(\.index).sorted() == [0, 1])
        #expect(Set(creations.map(\.thread)).count == 2)
        #expect(!creations.map(\.thread).contains(try #require(fixture.probe.runThread.withLock { $0 })))

        // GET: method, decoded path, raw query, headers.
        let get = try client.request("GET", "/hello%20world?a=1&b=%20two", headers: ["X-Request-Id": "abc-123"])
        #expect(get.status == 200)
        #expect(get.headers["x-echo"] == "1")
        #expect(get.headers["content-type"] == "text/plain; charset=utf-8")
        #expect(get.body.contains("method=GET\n"))
        #expect(get.body.contains("path=/hello world\n"))
        #expect(get.body.contains("query=a=1&b=%20two\n"))
        #expect(get.body.contains("x-request-id=abc-123\n"))
        #expect(get.body.contains("remote=127.0.0.1\n"))
        #expect(get.body.contains("bodyLength=0\n"))

        // POST with a body under the limit arrives complete.
        let post = try client.request(
            "POST", "/echo", headers: ["Content-Type": "application/json"], body: Array(#"{"hello":"body"}"#.utf8)
        )
        #expect(post.status == 200)
        #expect(post.body.contains("method=POST\n"))
        #expect(post.body.contains("content-type=application/json\n"))
        #expect(post.body.contains("content-length=16\n"))
        #expect(post.body.hasSuffix(#"body={"hello":"body"}"#))

        // Exactly at the limit is still read.
        let atLimit = try client.request("POST", "/echo", body: [UInt8](repeating: UInt8(ascii: "a"), count: 1024))
        #expect(atLimit.status == 200)
        #expect(atLimit.body.contains("bodyLength=1024\n"))

        // Over the limit: not read, the handler sees bodyExceededLimit and answers 413 itself.
        let tooLarge = try client.request("POST", "/echo", body: [UInt8](repeating: UInt8(ascii: "b"), count: 5000))
        #expect(tooLarge.status == 413)
        #expect(tooLarge.body == "too large, bodyLength=0")

        // A slow handler blocks only its own thread.
        let slow = Background { try client.request("GET", "/slow?ms=1500") }
        try fixture.waitFor("the slow handler to start") { fixture.probe.slowStarted.load(ordering: .acquiring) == 1 }
        let started = ContinuousClock.now
        let fast = try client.request("GET", "/fast")
        #expect(fast.status == 200)
        #expect(ContinuousClock.now - started < .milliseconds(1000))
        #expect(try slow.value().status == 200)

        // Connections: one per request without keep_conn; reused with it.
        let accepted = fixture.server.statistics.connectionsAccepted.load(ordering: .acquiring)
        let served = fixture.server.statistics.requestsServed.load(ordering: .acquiring)
        #expect(served >= 7)
        if keepConnections {
            #expect(accepted < served, "kept connections should carry several requests (\(accepted) for \(served))")
        } else {
            #expect(accepted == served, "one connection per request (\(accepted) for \(served))")
        }

        // SIGTERM during a held request: stop accepting, finish it, return from run(), remove the socket.
        // The request is held until the checks below are done (not for a fixed time a loaded machine can outrun).
        let inFlight = Background { try client.request("GET", "/held") }
        try fixture.waitFor("the held handler to start") { fixture.probe.heldStarted.load(ordering: .acquiring) }
        try fixture.sendStopSignal()
        // New connections are refused while the in-flight request is still running (nginx answers 502).
        try fixture.waitFor("the listener to stop accepting") { (try? client.request("GET", "/after"))?.status == 502 }
        #expect(fixture.probe.runFinished.withLock { $0 } == nil, "run() must wait for the in-flight request")
        usleep(300_000)
        #expect(fixture.probe.runFinished.withLock { $0 } == nil, "run() must wait for the in-flight request")
        fixture.probe.releaseHeld.store(true, ordering: .releasing)
        let finished = try inFlight.value()
        #expect(finished.status == 200)
        #expect(finished.body.contains("path=/held\n"))
        try fixture.waitFor("run() to return", timeout: .seconds(10)) {
            fixture.probe.runFinished.withLock { $0 } != nil
        }
        #expect(fixture.probe.runFinished.withLock { $0 } == "returned")
        #expect(!FileManager.default.fileExists(atPath: fixture.socketPath))
        // Each worker released its handler before run() returned.
        #expect(fixture.probe.liveHandlers.load(ordering: .acquiring) == 0)
    }

    /// A connection the kernel queued before the stop but no thread accepted (every thread busy) is closed at the stop,
    /// not left waiting until the in-flight requests end: nginx then answers 502 at once and may retry elsewhere.
    @Test(
        .enabled(if: nginxPath != nil || isCI, "nginx is not installed (set CI=true to turn this skip into a failure)"),
        .timeLimit(.minutes(2))
    )
    func connectionsQueuedAtTheStopAreClosedAtOnce() throws {
        let nginx = try #require(Self.nginxPath, "nginx is required when CI=true")
        let fixture = try Fixture(nginx: nginx, threads: 2, maxBodyBytes: 1024)
        defer { fixture.tearDown() }
        try fixture.waitUntilServing()
        // Both threads busy: nothing accepts the next connection, the kernel queues it.
        let client = fixture.client
        let held = (0..<2).map { _ in Background { try client.request("GET", "/held") } }
        try fixture.waitFor("both threads to hold a request") { fixture.probe.heldCount.load(ordering: .acquiring) == 2 }
        let queued = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        #expect(queued >= 0)
        defer { close(queued) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in fixture.socketPath.utf8.enumerated() { raw[index] = byte }
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(queued, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        #expect(connected == 0, "the kernel queues the connection (errno \(errno))")

        try fixture.sendStopSignal()
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(queued, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var byte: UInt8 = 0
        let started = ContinuousClock.now
        let read = recv(queued, &byte, 1, 0)
        // 0 (closed) or ECONNRESET, within the 5 s timeout; EAGAIN would mean it was left waiting.
        #expect(read == 0 || (read < 0 && errno == ECONNRESET), "recv \(read), errno \(errno)")
        #expect(ContinuousClock.now - started < .seconds(4))
        #expect(fixture.probe.runFinished.withLock { $0 } == nil, "the held requests still run")

        fixture.probe.releaseHeld.store(true, ordering: .releasing)
        for request in held { #expect(try request.value().status == 200) }
        try fixture.waitFor("run() to return", timeout: .seconds(10)) { fixture.probe.runFinished.withLock { $0 } != nil }
    }

    /// nginx may open more kept connections than the responder has threads; each request must still be answered
    /// at once (libfcgi alone would pin every thread to one connection and leave the others unanswered until nginx
    /// closed them, PLATFORM.md §4). 2 threads, 12 clients at once, kept connections, bodies in both directions.
    @Test(
        .enabled(if: nginxPath != nil || isCI, "nginx is not installed (set CI=true to turn this skip into a failure)"),
        .timeLimit(.minutes(2))
    )
    func keptConnectionsOutnumberingThreadsAreAllServed() throws {
        let nginx = try #require(Self.nginxPath, "nginx is required when CI=true")
        let fixture = try Fixture(nginx: nginx, threads: 2, maxBodyBytes: 4096, keepConnections: true)
        defer { fixture.tearDown() }
        try fixture.waitUntilServing()
        let client = fixture.client
        let clients = (0..<12).map { clientIndex in
            Background { () -> [String] in
                var problems: [String] = []
                for requestIndex in 0..<25 {
                    let body = Array("client \(clientIndex) request \(requestIndex)".utf8)
                    // GET and POST alternate, so connections carry requests with and without input.
                    let response = requestIndex % 2 == 0
                        ? try client.request("GET", "/c\(clientIndex)/r\(requestIndex)")
                        : try client.request("POST", "/c\(clientIndex)/r\(requestIndex)", body: body)
                    let expected = requestIndex % 2 == 0 ? "bodyLength=0\n" : "body=" + String(decoding: body, as: UTF8.self)
                    if response.status != 200 || !response.body.contains("path=/c\(clientIndex)/r\(requestIndex)\n")
                        || !response.body.contains(expected)
                    {
                        problems.append("\(clientIndex)/\(requestIndex): \(response.status) \(response.body.prefix(80))")
                    }
                }
                return problems
            }
        }
        // Far below nginx's keepalive_timeout (60 s): a parked request would time out here instead.
        let problems = try clients.flatMap { try $0.value(timeout: 20) }
        #expect(problems.isEmpty, "\(problems.prefix(5))")
        // The 300 requests rode on a few kept connections (nginx's pool is 16), not one each.
        let accepted = fixture.server.statistics.connectionsAccepted.load(ordering: .acquiring)
        #expect(fixture.server.statistics.requestsServed.load(ordering: .acquiring) >= 300)
        #expect(accepted <= 60, "\(accepted) connections for 300 requests")
        // Over the limit on a kept connection: 413, and the next request on the pool still works.
        let tooLarge = try client.request("POST", "/echo", body: [UInt8](repeating: 0x62, count: 5000))
        #expect(tooLarge.status == 413)
        #expect(try client.request("GET", "/after-413").status == 200)
    }

    /// The same over loopback TCP (`--bind 127.0.0.1:PORT`), with kept connections.
    @Test(
        .enabled(if: nginxPath != nil || isCI, "nginx is not installed (set CI=true to turn this skip into a failure)"),
        .timeLimit(.minutes(1))
    )
    func servesOverTCPWithKeptConnections() throws {
        let nginx = try #require(Self.nginxPath, "nginx is required when CI=true")
        let fixture = try Fixture(nginx: nginx, threads: 2, maxBodyBytes: 1024, keepConnections: true, overTCP: true)
        defer { fixture.tearDown() }
        try fixture.waitUntilServing()
        for index in 0..<20 {
            let response = try fixture.client.request("POST", "/tcp/\(index)", body: Array("n=\(index)".utf8))
            #expect(response.status == 200)
            #expect(response.body.contains("path=/tcp/\(index)\n") && response.body.hasSuffix("body=n=\(index)"))
        }
        let accepted = fixture.server.statistics.connectionsAccepted.load(ordering: .acquiring)
        #expect(accepted < fixture.server.statistics.requestsServed.load(ordering: .acquiring))
        #expect(!FileManager.default.fileExists(atPath: fixture.socketPath), "no unix socket in TCP mode")
    }
}

/// Startup failures that need a real file system but no nginx.
@Suite struct FastCGIServerStartupTests {
    final class NeverCalled: RequestHandler {
        func handle(_ request: Request) -> Response { Response(status: .internalServerError) }
    }

    @Test(.timeLimit(.minutes(1)))
    func refusesToReplaceAFileThatIsNotASocket() throws {
        let path = "/tmp/fcgi-test-\(UUID().uuidString.prefix(8)).sock"
        try "keep me".write(toFile: path, atomically: true, encoding: .utf8)
        defer { unlink(path) }
        let server = FastCGIServer(
            configuration: FastCGIServerConfiguration(listen: .unixSocket(path: path), threads: 1, maxBodyBytes: 1),
            logger: Logger(label: "FastCGIServerTests")
        )
        #expect {
            try server.run { _ in NeverCalled() }
        } throws: { error in
            (error as? FastCGIServerError)?.code == .addressInUse
        }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "keep me")
    }

    @Test(.timeLimit(.minutes(1)))
    func refusesAUnixSocketAnotherProcessListensOn() throws {
        let path = "/tmp/fcgi-test-\(UUID().uuidString.prefix(8)).sock"
        let listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        try #require(listener >= 0)
        defer {
            close(listener)
            unlink(path)
        }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: Array(path.utf8) + [0])
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        try #require(bound == 0 && listen(listener, 1) == 0)

        let server = FastCGIServer(
            configuration: FastCGIServerConfiguration(listen: .unixSocket(path: path), threads: 1, maxBodyBytes: 1),
            logger: Logger(label: "FastCGIServerTests")
        )
        #expect {
            try server.run { _ in NeverCalled() }
        } throws: { error in
            (error as? FastCGIServerError)?.code == .addressInUse
        }
        // The live socket file was left alone.
        var status = stat()
        #expect(lstat(path, &status) == 0 && (status.st_mode & S_IFMT) == S_IFSOCK)
    }
}

// MARK: - Test handler

/// Shared between the test and the server threads.
private final class ServerProbe: Sendable {
    let runThread = SleepingMutex<pthread_t?>(nil)
    let runFinished = SleepingMutex<String?>(nil)
    let handlerThreads = SleepingMutex<[(index: Int, thread: pthread_t)]>([])
    let slowStarted = Atomic<Int>(0)
    let heldStarted = Atomic<Bool>(false)
    let heldCount = Atomic<Int>(0)
    let releaseHeld = Atomic<Bool>(false)
    let liveHandlers = Atomic<Int>(0)
}

private final class EchoHandler: RequestHandler {
    let probe: ServerProbe

    init(index: Int, probe: ServerProbe) {
        self.probe = probe
        probe.handlerThreads.withLock { $0.append((index, pthread_self())) }
        probe.liveHandlers.add(1, ordering: .relaxed)
    }

    deinit {
        probe.liveHandlers.subtract(1, ordering: .releasing)
    }

    func handle(_ request: Request) -> Response {
        if request.bodyExceededLimit {
            return Response(status: .contentTooLarge, body: Array("too large, bodyLength=\(request.body.count)".utf8))
        }
        if request.path == "/slow" {
            probe.slowStarted.add(1, ordering: .releasing)
            let milliseconds = QueryParameters(request.query)["ms"].flatMap { Int($0) } ?? 1000
            usleep(useconds_t(milliseconds * 1000))
        }
        if request.path == "/held" {
            // Held until the test releases it; 30 s at most so that a failed test cannot hang the suite.
            probe.heldStarted.store(true, ordering: .releasing)
            probe.heldCount.add(1, ordering: .releasing)
            for _ in 0..<3000 where !probe.releaseHeld.load(ordering: .acquiring) {
                usleep(10_000)
            }
        }
        var text = "method=\(request.method.rawValue)\npath=\(request.path)\nquery=\(request.query)\n"
        text += "remote=\(request.remoteAddress)\nbodyLength=\(request.body.count)\n"
        for field in request.headers {
            text += "\(field.name.canonicalName)=\(field.value)\n"
        }
        text += "body=" + String(decoding: request.body, as: UTF8.self)
        var headers: HTTPFields = [.contentType: "text/plain; charset=utf-8"]
        if let echo = HTTPField.Name("X-Echo") {
            headers[echo] = "1"
        }
        return Response(status: .ok, headers: headers, body: Array(text.utf8))
    }
}

// MARK: - Fixture: temp dir, nginx, server thread, tiny HTTP client

private struct HTTPResult: Sendable {
    var status: Int
    var headers: [String: String]
    var body: String
}

private struct FixtureError: Error, CustomStringConvertible {
    var description: String
}

/// A value computed on a background thread.
private final class Background<T: Sendable>: Sendable {
    private let result = SleepingMutex<Result<T, any Error>?>(nil)
    private let done = DispatchSemaphore(value: 0)

    init(_ body: @escaping @Sendable () throws -> T) {
        Thread.detachNewThread {
            let outcome = Result { try body() }
            self.result.withLock { $0 = outcome }
            self.done.signal()
        }
    }

    func value(timeout: Double = 30) throws -> T {
        guard done.wait(timeout: .now() + timeout) == .success else {
            throw FixtureError(description: "background work timed out")
        }
        done.signal()
        guard let outcome = result.withLock({ $0 }) else {
            throw FixtureError(description: "background work produced no result")
        }
        return try outcome.get()
    }
}

private final class Fixture {
    let directory: String
    let socketPath: String
    let client: LoopbackHTTPClient
    let probe = ServerProbe()
    let server: FastCGIServer
    private let nginx: Process

    /// With `keepConnections`, nginx keeps its FastCGI connections (an upstream `keepalive` pool larger than
    /// `threads`, `fastcgi_keep_conn on`). With `overTCP`, the server listens on a loopback TCP port instead of
    /// the unix socket.
    init(nginx nginxPath: String, threads: Int, maxBodyBytes: Int, keepConnections: Bool = false, overTCP: Bool = false)
        throws
    {
        // Under /tmp, not $TMPDIR: nginx workers run as nobody and must traverse to the socket.
        directory = "/tmp/fcgi-test-\(UUID().uuidString.prefix(8))"
        socketPath = directory + "/fcgi.sock"
        try FileManager.default.createDirectory(atPath: directory + "/temp", withIntermediateDirectories: true)
        chmod(directory, 0o755)
        let port = try Self.freeLoopbackPort()
        client = LoopbackHTTPClient(port: port)
        let backendPort = overTCP ? try Self.freeLoopbackPort() : 0

        let config = """
            worker_processes 1;
            daemon off;
            pid \(directory)/nginx.pid;
            error_log \(directory)/nginx-error.log warn;
            events { worker_connections 64; }
            http {
              access_log off;
              client_body_temp_path \(directory)/temp/body;
              fastcgi_temp_path \(directory)/temp/fastcgi;
              proxy_temp_path \(directory)/temp/proxy;
              uwsgi_temp_path \(directory)/temp/uwsgi;
              scgi_temp_path \(directory)/temp/scgi;
              client_max_body_size 1m;
              upstream responder {
                server \(overTCP ? "127.0.0.1:\(backendPort)" : "unix:" + socketPath);
                keepalive 16;
              }
              server {
                listen 127.0.0.1:\(port);
                location / {
                  include /etc/nginx/fastcgi_params;
                  fastcgi_param DOCUMENT_URI $document_uri;
                  \(keepConnections ? "fastcgi_keep_conn on;" : "")
                  fastcgi_pass responder;
                }
              }
            }
            """
        try config.write(toFile: directory + "/nginx.conf", atomically: true, encoding: .utf8)

        server = FastCGIServer(
            configuration: FastCGIServerConfiguration(
                listen: overTCP ? .tcp(host: "127.0.0.1", port: Int(backendPort)) : .unixSocket(path: socketPath),
                threads: threads,
                maxBodyBytes: maxBodyBytes,
                shutdownGraceSeconds: 10
            ),
            logger: Logger(label: "FastCGIServerTests")
        )
        let probe = self.probe
        let server = self.server
        Thread.detachNewThread {
            probe.runThread.withLock { $0 = pthread_self() }
            do {
                try server.run { EchoHandler(index: $0, probe: probe) }
                probe.runFinished.withLock { $0 = "returned" }
            } catch {
                probe.runFinished.withLock { $0 = "threw \(error)" }
            }
        }

        nginx = Process()
        nginx.executableURL = URL(fileURLWithPath: nginxPath)
        nginx.arguments = [
            "-c", directory + "/nginx.conf", "-p", directory + "/", "-e", directory + "/nginx-error.log",
        ]
        try nginx.run()
    }

    func tearDown() {
        if nginx.isRunning {
            nginx.terminate()
            nginx.waitUntilExit()
        }
        if probe.runFinished.withLock({ $0 }) == nil {
            try? sendStopSignal()
            try? waitFor("run() to return during teardown", timeout: .seconds(15)) {
                self.probe.runFinished.withLock { $0 } != nil
            }
        }
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// SIGTERM aimed at the thread inside run(): a process-wide signal could land on a test-runner thread.
    func sendStopSignal() throws {
        guard let thread = probe.runThread.withLock({ $0 }), probe.runFinished.withLock({ $0 }) == nil else {
            throw FixtureError(description: "server thread is not running")
        }
        pthread_kill(thread, SIGTERM)
    }

    func waitUntilServing() throws {
        try waitFor("the server to answer through nginx", timeout: .seconds(20)) {
            if let finished = self.probe.runFinished.withLock({ $0 }) {
                throw FixtureError(description: "run() ended early: \(finished)")
            }
            return (try? self.client.request("GET", "/ping"))?.status == 200
        }
    }

    func waitFor(
        _ what: String,
        timeout: Duration = .seconds(10),
        _ condition: () throws -> Bool
    ) throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try condition() {
                return
            }
            usleep(20_000)
        }
        throw FixtureError(description: "timed out waiting for \(what)")
    }

    private static func freeLoopbackPort() throws -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw FixtureError(description: "socket failed") }
        defer { close(fd) }
        var address = loopbackAddress(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard ok else { throw FixtureError(description: "could not find a free port") }
        return UInt16(bigEndian: address.sin_port)
    }
}

/// A tiny HTTP/1.0 client for 127.0.0.1 only.
private struct LoopbackHTTPClient: Sendable {
    let port: UInt16

    /// One HTTP/1.0 request over a fresh loopback connection; reads until the server closes.
    func request(
        _ method: String,
        _ target: String,
        headers: [String: String] = [:],
        body: [UInt8] = []
    ) throws -> HTTPResult {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw FixtureError(description: "socket failed") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 20, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = loopbackAddress(port: port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { throw FixtureError(description: "connect to nginx failed") }

        var head = "\(method) \(target) HTTP/1.0\r\nHost: 127.0.0.1\r\n"
        for (name, value) in headers {
            head += "\(name): \(value)\r\n"
        }
        if !body.isEmpty || method == "POST" {
            head += "Content-Length: \(body.count)\r\n"
        }
        head += "\r\n"
        let outgoing = Array(head.utf8) + body
        var sent = 0
        while sent < outgoing.count {
            let count = outgoing[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard count > 0 else { throw FixtureError(description: "send failed") }
            sent += count
        }

        var incoming: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16384)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count < 0 { throw FixtureError(description: "recv failed or timed out") }
            if count == 0 { break }
            incoming.append(contentsOf: buffer[..<count])
        }
        let text = String(decoding: incoming, as: UTF8.self)
        guard let split = text.range(of: "\r\n\r\n") else {
            throw FixtureError(description: "no HTTP head in response: \(text.prefix(200))")
        }
        let lines = text[..<split.lowerBound].components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else {
            throw FixtureError(description: "bad status line: \(lines[0])")
        }
        var fields: [String: String] = [:]
        for line in lines.dropFirst() {
            if let colon = line.firstIndex(of: ":") {
                fields[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(
                    in: .whitespaces)
            }
        }
        return HTTPResult(status: status, headers: fields, body: String(text[split.upperBound...]))
    }
}

private func loopbackAddress(port: UInt16) -> sockaddr_in {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = port.bigEndian
    address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
    return address
}
