import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The variables scripts/test.sh exports (see TEST_ENV.md), read in one place.
enum TestEnvironment {
    /// The same server and credentials as `base` (a URI or key=value conninfo), another database.
    static func conninfo(_ base: String, database: String) -> String {
        if base.hasPrefix("postgres://") || base.hasPrefix("postgresql://"), let scheme = base.range(of: "://") {
            let schemeEnd = scheme.upperBound
            let rest = base[schemeEnd...]
            let query = rest.firstIndex(of: "?").map { String(rest[$0...]) } ?? ""
            let authority = rest.prefix { $0 != "/" && $0 != "?" }
            return String(base[..<schemeEnd]) + authority + "/" + database + query
        }
        return base + " dbname=" + database
    }

    /// libpq conninfo of the test database (`DATABASE_URL`).
    static var databaseURL: String? { variable("DATABASE_URL") }

    /// True when `CI == "true"`: then missing services fail tests instead of skipping them.
    static var isCI: Bool { variable("CI") == "true" }

    /// The variable's value, or nil when it is unset or empty.
    static func variable(_ name: String) -> String? {
        guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else { return nil }
        return value
    }

    /// For `.enabled(if:)`: true when all `names` are set, and always under CI, so that a missing
    /// variable there reaches `require...` and fails instead of showing as skipped.
    static func isAvailable(_ names: String...) -> Bool {
        isCI || names.allSatisfy { variable($0) != nil }
    }

    /// For `.enabled(if:)` on database tests.
    static var databaseTestsEnabled: Bool { isAvailable("DATABASE_URL") }

    /// The test database's conninfo; throws (failing the test) when `DATABASE_URL` is unset. Suites that need it
    /// are gated with ``databaseTestsEnabled``, so outside CI they show as skipped instead of reaching this.
    static func requireDatabase() throws -> String {
        try requireVariable("DATABASE_URL")
    }

    /// The variable's value; throws (failing the test) when it is unset or empty.
    static func requireVariable(_ name: String) throws -> String {
        guard let value = variable(name) else { throw MissingVariable(name: name) }
        return value
    }

    struct MissingVariable: Error, CustomStringConvertible {
        let name: String
        var description: String { "\(name) is not set (scripts/test.sh sets it; CI=true requires it)" }
    }

    /// Runs an executable (e.g. the PostgreSQL restart script), waits for it and returns its exit status
    /// (the negated signal number if a signal killed it). stdin/stdout/stderr go to /dev/null.
    ///
    /// Not `Foundation.Process`: on Linux it detects the child's exit through a socket inherited by the
    /// child, and a daemon the script starts (`pg_ctl start/restart` → postmaster) keeps that socket
    /// open, so `waitUntilExit()` hangs forever (swift-corelibs-foundation issue #4795). Here every
    /// descriptor above 2 is closed in the child, so no daemon can hold a pipe of the test process.
    static func runScript(_ path: String, arguments: [String] = []) throws -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        // posix_spawn_file_actions_addclosefrom_np is not visible to Swift; close what /proc lists.
        // glibc ignores close actions on descriptors that are no longer open.
        let openDescriptors = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        for descriptor in openDescriptors.compactMap({ Int32($0) }) where descriptor > 2 {
            posix_spawn_file_actions_addclose(&actions, descriptor)
        }

        let argv = ([path] + arguments).map { strdup($0) }
        let envp = ProcessInfo.processInfo.environment.map { strdup("\($0.key)=\($0.value)") }
        defer {
            for pointer in argv + envp { free(pointer) }
        }
        var pid = pid_t()
        let spawned = posix_spawn(&pid, path, &actions, nil, argv + [nil], envp + [nil])
        guard spawned == 0 else { throw ScriptError(path: path, reason: String(cString: strerror(spawned))) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw ScriptError(path: path, reason: String(cString: strerror(errno))) }
        }
        // WIFEXITED/WEXITSTATUS are macros Swift cannot import.
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : -signal
    }

    struct ScriptError: Error, CustomStringConvertible {
        let path: String
        let reason: String
        var description: String { "could not run \(path): \(reason)" }
    }
}

/// Keeps tests that take the shared test database down (restart, stop) from running while other
/// database tests run. Mark suites or tests that use the database `.usesDatabase`, and those that
/// restart or stop it `.interruptsDatabase`. Never nest an `.interruptsDatabase` test inside a
/// `.usesDatabase` suite: it would wait for itself.
struct DatabaseAccessTrait: SuiteTrait, TestTrait, TestScoping {
    let isExclusive: Bool

    func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        await DatabaseGate.shared.enter(exclusive: isExclusive)
        do {
            try await function()
        } catch {
            await DatabaseGate.shared.leave(exclusive: isExclusive)
            throw error
        }
        await DatabaseGate.shared.leave(exclusive: isExclusive)
    }
}

extension Trait where Self == DatabaseAccessTrait {
    /// The test or suite uses the shared test database and must not overlap a restart or stop.
    static var usesDatabase: Self { DatabaseAccessTrait(isExclusive: false) }
    /// The test or suite restarts or stops the shared test database; it runs alone among database tests.
    static var interruptsDatabase: Self { DatabaseAccessTrait(isExclusive: true) }
}

/// A readers-writer gate with reader preference (so nested shared scopes cannot deadlock).
actor DatabaseGate {
    static let shared = DatabaseGate()

    private var readers = 0
    private var hasWriter = false
    private var waiting: [(exclusive: Bool, continuation: CheckedContinuation<Void, Never>)] = []

    func enter(exclusive: Bool) async {
        if canEnter(exclusive: exclusive) {
            admit(exclusive: exclusive)
            return
        }
        await withCheckedContinuation { continuation in
            waiting.append((exclusive, continuation))
        }
    }

    func leave(exclusive: Bool) {
        if exclusive { hasWriter = false } else { readers -= 1 }
        var stillWaiting: [(exclusive: Bool, continuation: CheckedContinuation<Void, Never>)] = []
        for entry in waiting {
            if canEnter(exclusive: entry.exclusive) {
                admit(exclusive: entry.exclusive)
                entry.continuation.resume()
            } else {
                stillWaiting.append(entry)
            }
        }
        waiting = stillWaiting
    }

    private func canEnter(exclusive: Bool) -> Bool {
        exclusive ? (!hasWriter && readers == 0) : !hasWriter
    }

    private func admit(exclusive: Bool) {
        if exclusive { hasWriter = true } else { readers += 1 }
    }
}
