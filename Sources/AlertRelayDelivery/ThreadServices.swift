import CurlClient
import PostgresClient
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

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
        let made = try HTTPClient()
        client = made
        return made
    }
}
