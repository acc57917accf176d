import CurlClient
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// HTTPClient and SMTPClient against real loopback servers (scripts/receiver.py, canary.py,
/// smtp_sink.py), each test starting its own on free ports.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct CurlClientTests {
    init() {
        CurlRuntime.initialize()
    }

    // MARK: - HTTP

    @Test func postDeliversBodyAndHeadersExactly() throws {
        let env = try CurlTestSandbox()
        let receiver = try env.startReceiver()
        try receiver.setRule(
            path: "/hook",
            responses: [["status": 201, "headers": ["X-Reply": "yes", "Content-Type": "text/plain"], "body": "created"]]
        )
        // Over 1 MB, where libcurl 7.88 would add "Expect: 100-continue" by itself; every byte value.
        let body = (0..<1_200_000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
        let request = OutboundRequest(
            url: "http://127.0.0.1:\(receiver.port)/hook",
            headers: [
                (name: "Content-Type", value: "application/json"),
                (name: "X-Signature", value: "sha256=abc def"),
                (name: "X-Empty", value: ""),
            ],
            body: body,
            timeoutMilliseconds: 5000
        )
        var consulted: [ConnectAddress] = []
        let client = try HTTPClient()
        let response = client.post(request) { address in
            consulted.append(address)
            return true
        }

        let expectedAddress = try #require(ConnectAddress(ip: "127.0.0.1", port: receiver.port))
        #expect(response.failure == nil)
        #expect(response.status == 201)
        #expect(response.header("x-reply") == "yes")
        #expect(response.header("Content-Type") == "text/plain")
        #expect(response.body == Array("created".utf8))
        #expect(response.bodyTruncated == false)
        #expect(response.connectedAddress == expectedAddress)
        #expect(consulted == [expectedAddress])
        #expect(response.durationMilliseconds > 0)

        let recorded = try receiver.requests(path: "/hook")
        try #require(recorded.count == 1)
        let hit = recorded[0]
        #expect(hit.method == "POST")
        #expect(try hit.bodyBytes() == body)
        #expect(hit.values("X-Signature") == ["sha256=abc def"])
        #expect(hit.values("Content-Type") == ["application/json"])
        #expect(hit.values("X-Empty") == [""])
        #expect(hit.values("Content-Length") == ["\(body.count)"])
        #expect(hit.values("Expect").isEmpty)
        #expect(hit.values("Transfer-Encoding").isEmpty)
    }

    @Test func keepAliveReusesConnectionAndRechecksItsAddress() throws {
        let env = try CurlTestSandbox()
        let receiver = try env.startReceiver()
        let client = try HTTPClient()
        let request = OutboundRequest(url: "http://127.0.0.1:\(receiver.port)/again", body: Array("{}".utf8))

        let first = client.post(request) { _ in true }
        let second = client.post(request) { _ in true }
        #expect(first.status == 200 && second.status == 200)
        #expect(second.body == Array(#"{"ok":true}"#.utf8))
        let recorded = try receiver.requests(path: "/again")
        try #require(recorded.count == 2)
        #expect(recorded[0].peer == recorded[1].peer, "the second post should reuse the keep-alive connection")

        // The reused connection never goes through the open-socket callback: the prereq check must catch it.
        var consulted: [ConnectAddress] = []
        let third = client.post(request) { address in
            consulted.append(address)
            return false
        }
        let receiverAddress = try #require(ConnectAddress(ip: "127.0.0.1", port: receiver.port))
        #expect(third.failure == .blocked(receiverAddress))
        #expect(third.status == nil)
        #expect(consulted == [receiverAddress])
        #expect(try receiver.requests(path: "/again").count == 2)
    }

    @Test func responseBodyIsCappedButFullyRead() throws {
        let env = try CurlTestSandbox()
        let receiver = try env.startReceiver()
        let payload = String((0..<100_000).map { Character(UnicodeScalar(UInt8(97 + $0 % 26))) })
        try receiver.setRule(path: "/big", responses: [["status": 200, "body": payload]])
        let client = try HTTPClient()
        let url = "http://127.0.0.1:\(receiver.port)/big"

        let capped = client.post(OutboundRequest(url: url, maxResponseBodyBytes: 1000)) { _ in true }
        #expect(capped.failure == nil)
        #expect(capped.status == 200)
        #expect(capped.body == Array(payload.utf8.prefix(1000)))
        #expect(capped.bodyTruncated)

        let exact = client.post(OutboundRequest(url: url, maxResponseBodyBytes: 100_000)) { _ in true }
        #expect(exact.failure == nil)
        #expect(exact.body == Array(payload.utf8))
        #expect(exact.bodyTruncated == false)

        let defaultCap = client.post(OutboundRequest(url: url)) { _ in true }
        #expect(defaultCap.body.count == 64 * 1024)
        #expect(defaultCap.bodyTruncated)
        #expect(try receiver.requests(path: "/big").count == 3, "the capped responses were drained, not aborted")
    }

    @Test func hangingReceiverTimesOut() throws {
        let env = try CurlTestSandbox()
        let receiver = try env.startReceiver()
        try receiver.setRule(path: "/slow", responses: [["status": 200, "body": "late", "hang_seconds": 5]])
        let client = try HTTPClient()
        let clock = ContinuousClock()
        let start = clock.now
        let response = client.post(
            OutboundRequest(url: "http://127.0.0.1:\(receiver.port)/slow", body: [1], timeoutMilliseconds: 1000)
        ) { _ in true }
        let elapsed = clock.now - start

        #expect(response.failure == .timeout)
        #expect(response.status == nil)
        #expect(elapsed >= .milliseconds(900) && elapsed < .milliseconds(3000))
        #expect(response.durationMilliseconds >= 900 && response.durationMilliseconds < 3000)
        #expect(try receiver.requests(path: "/slow").count == 1)
    }

    @Test func redirectIsNotFollowed() throws {
        let env = try CurlTestSandbox()
        let receiver = try env.startReceiver()
        let landing = "http://127.0.0.1:\(receiver.port)/landed"
        try receiver.setRule(path: "/moved", responses: [["status": 302, "headers": ["Location": landing]]])
        let client = try HTTPClient()
        let response = client.post(OutboundRequest(url: "http://127.0.0.1:\(receiver.port)/moved")) { _ in true }

        #expect(response.failure == nil)
        #expect(response.status == 302)
        #expect(response.header("Location") == landing)
        #expect(try receiver.requests(path: "/moved").count == 1)
        #expect(try receiver.requests(path: "/landed").isEmpty)
    }

    @Test(arguments: [
        (url: "http://127.0.0.1:PORT/x", allowed: ["127.0.0.1"]),
        (url: "http://[::1]:PORT/x", allowed: ["::1"]),
        (url: "http://[::ffff:127.0.0.1]:PORT/x", allowed: ["::ffff:127.0.0.1"]),
        (url: "http://localhost:PORT/x", allowed: ["127.0.0.1", "::1"]),
    ])
    func refusedAddressIsBlockedAndNothingConnects(url: String, allowed: [String]) throws {
        let env = try CurlTestSandbox()
        let canary = try env.startCanary()
        let client = try HTTPClient()
        let expected = allowed.compactMap { ConnectAddress(ip: $0, port: canary.port) }
        try #require(expected.count == allowed.count)

        var consulted: [ConnectAddress] = []
        let response = client.post(
            OutboundRequest(url: url.replacingOccurrences(of: "PORT", with: "\(canary.port)"), body: Array("secret".utf8))
        ) { address in
            consulted.append(address)
            return false
        }

        let last = try #require(consulted.last)
        #expect(response.failure == .blocked(last))
        #expect(response.status == nil)
        #expect(response.connectedAddress == nil)
        #expect(consulted.allSatisfy { expected.contains($0) }, "consulted \(consulted)")
        if url.contains("::ffff:") {
            #expect(last.family == .ipv6)
            #expect(last.mappedIPv4 == ConnectAddress(ip: "127.0.0.1", port: canary.port))
        }
        // Give a stray connection time to show up in the log before asserting there was none.
        usleep(300_000)
        #expect(try canary.acceptedLines().isEmpty)
    }

    /// Proves the canary would notice a connection, so the empty logs above mean something.
    @Test func canaryRecordsAnAllowedConnection() throws {
        let env = try CurlTestSandbox()
        let canary = try env.startCanary()
        let client = try HTTPClient()
        _ = client.post(OutboundRequest(url: "http://127.0.0.1:\(canary.port)/x")) { _ in true }
        let deadline = ContinuousClock.now + .seconds(5)
        var lines = try canary.acceptedLines()
        while lines.isEmpty && ContinuousClock.now < deadline {
            usleep(50_000)
            lines = try canary.acceptedLines()
        }
        #expect(lines.count == 1)
    }

    @Test func refusedConnectionIsConnectFailure() throws {
        let port = try CurlTestSandbox.unusedPort()
        let client = try HTTPClient()
        let response = client.post(OutboundRequest(url: "http://127.0.0.1:\(port)/x")) { _ in true }
        #expect(response.failure == .connect)
        #expect(response.status == nil)
    }

    /// glibc refuses to build a DNS query for a label over 63 bytes, so this name fails inside the
    /// process without a packet (checked with strace in an empty network namespace). The test only
    /// runs when the resolver is plain glibc files+dns, and blocks every address besides.
    @Test(.enabled(if: CurlTestSandbox.resolverIsPlainGlibc, "hosts lookup is not plain files/dns"))
    func unresolvableHostIsDNSFailure() throws {
        let host = String(repeating: "a", count: 70) + ".invalid"
        let client = try HTTPClient()
        var consulted: [ConnectAddress] = []
        let response = client.post(OutboundRequest(url: "http://\(host)/x")) { address in
            consulted.append(address)
            return false
        }
        #expect(response.failure == .dns)
        #expect(consulted.isEmpty)
    }

    @Test func unsupportedSchemeAndMalformedURLAreInvalid() throws {
        let env = try CurlTestSandbox()
        let canary = try env.startCanary()
        let client = try HTTPClient()
        for url in ["ftp://127.0.0.1:\(canary.port)/x", "file:///etc/hostname", "http://[::1:\(canary.port)/", "http://a b/"] {
            let response = client.post(OutboundRequest(url: url)) { _ in true }
            #expect(response.failure == .invalidURL, "\(url)")
        }
        usleep(200_000)
        #expect(try canary.acceptedLines().isEmpty)
    }

    @Test func httpsAgainstPlainHTTPIsTLSFailure() throws {
        let env = try CurlTestSandbox()
        let receiver = try env.startReceiver()
        let client = try HTTPClient()
        let response = client.post(OutboundRequest(url: "https://127.0.0.1:\(receiver.port)/tls")) { _ in true }
        #expect(response.failure == .tls)
        #expect(response.status == nil)
    }

    @Test func connectAddressParsesAndFormats() throws {
        let v4 = try #require(ConnectAddress(ip: "127.0.0.2", port: 8080))
        #expect(v4.family == .ipv4 && v4.bytes == [127, 0, 0, 2])
        #expect(v4.description == "127.0.0.2:8080")
        let v6 = try #require(ConnectAddress(ip: "::1", port: 443))
        #expect(v6.bytes == Array(repeating: 0, count: 15) + [1])
        #expect(v6.description == "[::1]:443")
        #expect(v6.mappedIPv4 == nil)
        let mapped = try #require(ConnectAddress(ip: "::ffff:10.1.2.3", port: 80))
        #expect(mapped.family == .ipv6)
        #expect(mapped.mappedIPv4 == ConnectAddress(family: .ipv4, bytes: [10, 1, 2, 3], port: 80))
        #expect(ConnectAddress(ip: "localhost", port: 80) == nil)
        #expect(ConnectAddress(family: .ipv4, bytes: [1, 2, 3], port: 80) == nil)
        #expect(ConnectAddress(ip: "127.0.0.1", port: 70000) == nil)
    }

    @Test func headerInjectionIsRefusedBeforeSending() throws {
        let env = try CurlTestSandbox()
        let receiver = try env.startReceiver()
        let client = try HTTPClient()
        for header in [(name: "X-A", value: "ok\r\nX-Injected: 1"), (name: "X-B:", value: "v"), (name: "", value: "v")] {
            let response = client.post(
                OutboundRequest(url: "http://127.0.0.1:\(receiver.port)/h", headers: [header])
            ) { _ in true }
            guard case .other = response.failure else {
                Issue.record("expected .other for \(header), got \(String(describing: response.failure))")
                continue
            }
        }
        #expect(try receiver.requests(path: "/h").isEmpty)
    }

    // MARK: - SMTP

    @Test(.enabled(if: CurlTestSandbox.smtpSinkRunnable, "aiosmtpd is not installed (set ALERT_RELAY_TEST_PYTHON)"))
    func smtpDeliversMessageIntact() throws {
        let env = try CurlTestSandbox()
        let sink = try env.startSMTPSink()
        let message = Array(
            (
                "From: Alert Relay <relay@example.test>\r\n"
                + "To: owner@example.test\r\n"
                + "Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\r\n"
                + "Content-Type: text/plain; charset=utf-8\r\n"
                + "Content-Transfer-Encoding: 8bit\r\n"
                + "\r\n"
                + ".starts with a dot\r\n"
                + "..two dots\r\n"
                + ".\r\n"
                + "Grüße — ✓ ünïcödé 日本\r\n"
                + "last line\r\n"
            ).utf8
        )
        let client = try SMTPClient()
        let result = client.send(
            settings: SMTPSettings(url: "smtp://127.0.0.1:\(sink.port)", tls: .opportunistic, timeoutMilliseconds: 5000),
            from: "relay@example.test",
            recipients: ["owner@example.test", "second@example.test"],
            message: message
        )
        #expect(result.succeeded, "\(result.message)")
        #expect(result.responseCode == 250)
        #expect(result.permanent == false)
        #expect(result.failure == nil)

        let mails = try sink.waitForMessages(count: 1)
        try #require(mails.count == 1)
        #expect(mails[0].raw == message)
        #expect(mails[0].envelope.mail_from == "relay@example.test")
        #expect(mails[0].envelope.rcpt_tos == ["owner@example.test", "second@example.test"])
    }

    @Test(.enabled(if: CurlTestSandbox.smtpSinkRunnable, "aiosmtpd is not installed (set ALERT_RELAY_TEST_PYTHON)"))
    func smtpBareLineFeedsAreSentAsCRLFAndStillDotStuffed() throws {
        let env = try CurlTestSandbox()
        let sink = try env.startSMTPSink()
        let client = try SMTPClient()
        let result = client.send(
            settings: SMTPSettings(url: "smtp://127.0.0.1:\(sink.port)", tls: .none, timeoutMilliseconds: 5000),
            from: "relay@example.test",
            recipients: ["owner@example.test"],
            message: Array("Subject: lf\n\nbefore\n.\nMAIL FROM:<evil@example.test>\nafter\n".utf8)
        )
        #expect(result.succeeded, "\(result.message)")
        let mails = try sink.waitForMessages(count: 1)
        try #require(mails.count == 1)
        #expect(mails[0].raw == Array("Subject: lf\r\n\r\nbefore\r\n.\r\nMAIL FROM:<evil@example.test>\r\nafter\r\n".utf8))
    }

    @Test(.enabled(if: CurlTestSandbox.smtpSinkRunnable, "aiosmtpd is not installed (set ALERT_RELAY_TEST_PYTHON)"))
    func smtpRejectedRecipientIsPermanent() throws {
        let env = try CurlTestSandbox()
        try Data("Bad@Example.test\n".utf8).write(to: env.directory.appendingPathComponent("reject.txt"))
        let sink = try env.startSMTPSink(rejectFile: env.directory.appendingPathComponent("reject.txt"))
        let client = try SMTPClient()
        let settings = SMTPSettings(url: "smtp://127.0.0.1:\(sink.port)", tls: .none, timeoutMilliseconds: 5000)
        for recipients in [["bad@example.test"], ["good@example.test", "bad@example.test"]] {
            let result = client.send(
                settings: settings, from: "relay@example.test", recipients: recipients,
                message: Array("Subject: x\r\n\r\nbody\r\n".utf8)
            )
            #expect(result.succeeded == false)
            #expect(result.responseCode == 550)
            #expect(result.permanent)
        }
        usleep(200_000)
        #expect(try sink.messages().isEmpty)

        let ok = client.send(
            settings: settings, from: "relay@example.test", recipients: ["good@example.test"],
            message: Array("Subject: x\r\n\r\nbody\r\n".utf8)
        )
        #expect(ok.succeeded, "the same client still works after a rejection: \(ok.message)")
    }

    @Test func smtpServerDownIsTransientConnectFailure() throws {
        let port = try CurlTestSandbox.unusedPort()
        let client = try SMTPClient()
        let result = client.send(
            settings: SMTPSettings(
                url: "smtp://127.0.0.1:\(port)", tls: .opportunistic, username: "relay", password: "hunter2-secret",
                timeoutMilliseconds: 2000
            ),
            from: "relay@example.test", recipients: ["owner@example.test"], message: Array("x\r\n".utf8)
        )
        #expect(result.succeeded == false)
        #expect(result.permanent == false)
        #expect(result.responseCode == nil)
        #expect(result.failure == .connect)
        #expect(!result.message.contains("hunter2-secret"))
    }

    @Test(.enabled(if: CurlTestSandbox.smtpSinkRunnable, "aiosmtpd is not installed (set ALERT_RELAY_TEST_PYTHON)"))
    func smtpRequiredTLSFailsWithoutStartTLSAndHidesPassword() throws {
        let env = try CurlTestSandbox()
        let sink = try env.startSMTPSink()
        let client = try SMTPClient()
        let settings = SMTPSettings(
            url: "smtp://127.0.0.1:\(sink.port)", tls: .required, username: "relay", password: "hunter2-secret",
            timeoutMilliseconds: 5000
        )
        let result = client.send(
            settings: settings, from: "relay@example.test", recipients: ["owner@example.test"],
            message: Array("Subject: x\r\n\r\nbody\r\n".utf8)
        )
        #expect(result.succeeded == false)
        #expect(result.failure == .tls)
        #expect(!result.message.contains("hunter2-secret"))
        #expect(!"\(settings)".contains("hunter2-secret"))
        #expect(try sink.messages().isEmpty)
    }
}

// MARK: - Support processes

/// A temp folder plus the helper processes started in it; everything is stopped and removed on deinit.
private final class CurlTestSandbox {
    let directory: URL
    private var processes: [Process] = []

    init() throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("curlclient-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    deinit {
        for process in processes where process.isRunning {
            process.terminate()
            // Children inherit the test thread's signal mask; the scripts unblock SIGTERM, but never hang here.
            let deadline = ContinuousClock.now + .seconds(3)
            while process.isRunning && ContinuousClock.now < deadline { usleep(20_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }

    static let scriptsDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("scripts", isDirectory: true)

    static var python: String { TestEnvironment.variable("ALERT_RELAY_TEST_PYTHON") ?? "python3" }

    /// Under CI the SMTP tests always run (and fail if aiosmtpd is missing).
    static var smtpSinkRunnable: Bool {
        if TestEnvironment.isCI { return true }
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        probe.arguments = [python, "-c", "import aiosmtpd"]
        probe.standardOutput = FileHandle.nullDevice
        probe.standardError = FileHandle.nullDevice
        do {
            try probe.run()
        } catch {
            return false
        }
        probe.waitUntilExit()
        return probe.terminationStatus == 0
    }

    /// True when host lookups are only /etc/hosts and glibc DNS (see unresolvableHostIsDNSFailure).
    static var resolverIsPlainGlibc: Bool {
        guard let text = try? String(contentsOfFile: "/etc/nsswitch.conf", encoding: .utf8) else { return false }
        for line in text.split(separator: "\n") where line.hasPrefix("hosts:") {
            let sources = line.dropFirst("hosts:".count).split(whereSeparator: { $0 == " " || $0 == "\t" })
            return !sources.isEmpty && sources.allSatisfy { $0 == "files" || $0 == "dns" }
        }
        return false
    }

    /// A loopback port nobody listens on (bound, read back and released).
    static func unusedPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw SandboxError("socket failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw SandboxError("bind failed") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    func startReceiver() throws -> ReceiverHandle {
        ReceiverHandle(port: try start(script: "receiver.py", name: "receiver", arguments: ["--host", "127.0.0.1"]))
    }

    func startCanary() throws -> CanaryHandle {
        let log = directory.appendingPathComponent("canary.log")
        return CanaryHandle(port: try start(script: "canary.py", name: "canary", arguments: ["--log", log.path]), log: log)
    }

    func startSMTPSink(rejectFile: URL? = nil) throws -> SMTPSinkHandle {
        let mailbox = directory.appendingPathComponent("mailbox", isDirectory: true)
        var arguments = ["--host", "127.0.0.1", "--mailbox", mailbox.path]
        if let rejectFile { arguments += ["--reject-recipients-file", rejectFile.path] }
        return SMTPSinkHandle(port: try start(script: "smtp_sink.py", name: "smtp", arguments: arguments), mailbox: mailbox)
    }

    /// Runs `python script --port 0 --port-file F args…` and waits for the port it picked.
    private func start(script: String, name: String, arguments: [String]) throws -> Int {
        let portFile = directory.appendingPathComponent("\(name).port")
        let logFile = directory.appendingPathComponent("\(name).stderr")
        guard FileManager.default.createFile(atPath: logFile.path, contents: nil) else {
            throw SandboxError("cannot create \(logFile.path)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments =
            [Self.python, Self.scriptsDirectory.appendingPathComponent(script).path, "--port", "0", "--port-file", portFile.path]
            + arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: logFile)
        try process.run()
        processes.append(process)

        let deadline = ContinuousClock.now + .seconds(15)
        while ContinuousClock.now < deadline {
            if let text = try? String(contentsOf: portFile, encoding: .utf8),
                let port = Int(text.trimmingCharacters(in: .whitespacesAndNewlines))
            {
                return port
            }
            guard process.isRunning else { break }
            usleep(20_000)
        }
        let stderr = (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
        throw SandboxError("\(script) did not start: \(stderr)")
    }
}

private struct SandboxError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

private struct RecordedRequest: Decodable {
    let method: String
    let path: String
    let headers: [[String]]
    let body_b64: String
    let received_at: Double
    let peer: String

    func bodyBytes() throws -> [UInt8] {
        guard let data = Data(base64Encoded: body_b64) else { throw SandboxError("bad base64") }
        return Array(data)
    }

    /// Values of every header with this name (case-insensitive), in order.
    func values(_ name: String) -> [String] {
        headers.compactMap { pair in
            pair.count == 2 && pair[0].lowercased() == name.lowercased() ? pair[1] : nil
        }
    }
}

private struct ReceiverHandle {
    let port: Int

    func setRule(path: String, responses: [[String: Any]]) throws {
        let body = try JSONSerialization.data(withJSONObject: ["path": path, "responses": responses])
        let reply = try RawHTTP.exchange(port: port, method: "POST", target: "/_control/rules", body: Array(body))
        guard reply.status == 200 else { throw SandboxError("rules rejected: \(reply.status)") }
    }

    func requests(path: String) throws -> [RecordedRequest] {
        let query = path.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? path
        let reply = try RawHTTP.exchange(port: port, method: "GET", target: "/_control/requests?path=\(query)", body: [])
        guard reply.status == 200 else { throw SandboxError("requests failed: \(reply.status)") }
        return try JSONDecoder().decode([RecordedRequest].self, from: Data(reply.body))
    }
}

private struct CanaryHandle {
    let port: Int
    let log: URL

    func acceptedLines() throws -> [Substring] {
        try String(contentsOf: log, encoding: .utf8).split(separator: "\n")
    }
}

private struct SMTPEnvelope: Decodable {
    let mail_from: String
    let rcpt_tos: [String]
}

private struct SMTPSinkHandle {
    let port: Int
    let mailbox: URL

    func messages() throws -> [(raw: [UInt8], envelope: SMTPEnvelope)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: mailbox.path)) ?? []
        return try names.filter { $0.hasSuffix(".eml") && !$0.hasPrefix(".") }.sorted().map { name in
            let eml = mailbox.appendingPathComponent(name)
            let json = mailbox.appendingPathComponent(String(name.dropLast(4)) + ".json")
            let envelope = try JSONDecoder().decode(SMTPEnvelope.self, from: Data(contentsOf: json))
            return (raw: Array(try Data(contentsOf: eml)), envelope: envelope)
        }
    }

    func waitForMessages(count: Int) throws -> [(raw: [UInt8], envelope: SMTPEnvelope)] {
        let deadline = ContinuousClock.now + .seconds(5)
        var found = try messages()
        while found.count < count && ContinuousClock.now < deadline {
            usleep(50_000)
            found = try messages()
        }
        return found
    }
}

/// A minimal HTTP/1.1 exchange over a plain socket, so the control calls don't depend on the client under test.
private enum RawHTTP {
    static func exchange(port: Int, method: String, target: String, body: [UInt8]) throws -> (status: Int, body: [UInt8]) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw SandboxError("socket failed") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
        guard connected else { throw SandboxError("connect to control port \(port) failed") }
        let head = "\(method) \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
            + "Content-Type: application/json\r\nContent-Length: \(body.count)\r\n\r\n"
        var outgoing = Array(head.utf8) + body
        while !outgoing.isEmpty {
            let sent = outgoing.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
            guard sent > 0 else { throw SandboxError("send failed") }
            outgoing.removeFirst(sent)
        }
        var incoming: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count == 0 { break }
            guard count > 0 else { throw SandboxError("recv failed") }
            incoming.append(contentsOf: buffer[0..<count])
        }
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let split = (0...(max(0, incoming.count - 4))).first(where: { incoming[$0..<$0 + 4].elementsEqual(separator) }),
            incoming.count >= 4
        else { throw SandboxError("malformed control reply") }
        let statusLine = String(decoding: incoming[..<split], as: UTF8.self).split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { throw SandboxError("bad status line") }
        return (status, Array(incoming[(split + 4)...]))
    }
}
