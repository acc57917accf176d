import AlertRelayLogic
import CurlClient
import HTTPCore
import Logging
import PostgresClient
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// What one request may use: the shared application, this thread's connections, its id, logger and route parameters.
public final class RequestContext {
    public let app: Application
    public let services: ThreadServices
    public let requestID: String
    public var logger: Logger
    public var parameters: [String: String]
    private var cachedPrincipal: Principal?

    init(app: Application, services: ThreadServices, requestID: String, logger: Logger, parameters: [String: String]) {
        self.app = app
        self.services = services
        self.requestID = requestID
        self.logger = logger
        self.parameters = parameters
    }

    public var db: PostgresConnection { services.db }
    public var config: Config { app.config }

    /// The route parameter `name` (always present when the route matched).
    public func parameter(_ name: String) -> String {
        parameters[name] ?? ""
    }

    /// The caller behind the bearer token (401 when missing or unknown).
    public func principal(for request: Request) throws -> Principal {
        if let cachedPrincipal { return cachedPrincipal }
        let principal = try Authenticator.authenticate(
            request: request, config: app.config, cache: app.tokenCache, db: db)
        cachedPrincipal = principal
        logger[metadataKey: "actor"] = "\(principal.actorName)"
        return principal
    }
}

/// Per-thread resources, created on the thread that uses them and never shared (libpq and libcurl rules).
public final class ThreadServices {
    /// Hands each thread its own health-counter shard; starts at a per-process offset so that the first threads of
    /// several processes rarely share one.
    private static let shardSequence = Atomic<Int>(Int(getpid()) &* 7)
    /// Shards per (app, organization, day); more than the threads that usually write at once.
    static let shardCount = 64

    public let db: PostgresConnection
    /// This thread's shard of the health counters (see sql/002_apps.sql).
    public let counterShard: Int
    private var client: HTTPClient?

    public init(databaseURL: String) {
        db = PostgresConnection(conninfo: databaseURL)
        counterShard = Self.nextShard()
    }

    /// A shard for a connection that records attempts.
    static func nextShard() -> Int {
        (shardSequence.wrappingAdd(1, ordering: .relaxed).oldValue % shardCount + shardCount) % shardCount
    }

    /// This thread's HTTP client for inline webhook attempts, created on first use.
    public func webhookClient() throws -> HTTPClient {
        if let client { return client }
        do {
            let made = try HTTPClient()
            client = made
            return made
        } catch {
            throw APIError(.internalServerError, code: "internal_error", "The HTTP client could not be created.")
        }
    }
}
