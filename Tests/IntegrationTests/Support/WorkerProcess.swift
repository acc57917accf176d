import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Why a test's child process misbehaved.
struct WorkerTestError: Error, CustomStringConvertible {
    let description: String
}

/// An `alert-relay-worker` child process with its stderr in a log file.
final class WorkerProcess {
    let process = Process()
    let logURL: URL

    init(executable: String, arguments: [String], environment: [String: String], log: URL) throws {
        logURL = log
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = environment
        process.standardOutput = try FileHandle(forWritingTo: log)
        process.standardError = try FileHandle(forWritingTo: log)
        try process.run()
    }

    func log() -> String {
        (try? String(contentsOf: logURL, encoding: .utf8)) ?? ""
    }

    /// The exit status, or a failure when the process is still running after `seconds`.
    func waitForExit(seconds: Double) async throws -> Int32 {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { try await Task.sleep(for: .milliseconds(50)) }
        guard !process.isRunning else {
            kill()
            throw WorkerTestError(description: "worker still running after \(seconds) s; log:\n\(log())")
        }
        return process.terminationStatus
    }

    /// SIGTERM, then the exit status (a failure when it takes longer than `seconds`).
    func stop(seconds: Double) throws -> Int32 {
        guard process.isRunning else { return process.terminationStatus }
        Glibc.kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(50_000) }
        guard !process.isRunning else {
            kill()
            throw WorkerTestError(description: "worker did not exit within \(seconds) s of SIGTERM; log:\n\(log())")
        }
        return process.terminationStatus
    }

    /// SIGKILL (no-op when it has exited).
    func kill() {
        guard process.isRunning else { return }
        Glibc.kill(process.processIdentifier, SIGKILL)
        while process.isRunning { usleep(20_000) }
    }
}
