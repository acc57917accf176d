import AlertRelayDelivery
import AlertRelayStore
import Logging
import PostgresClient
import Synchronization
import SystemSupport

#if canImport(Glibc)
import Glibc
#endif

/// Keeps one responder's caches in step with changes made through any process on any host: it listens on
/// `CacheNotifications.channel` (sql/012 notifies `<table>:<id>` for every change to a cached row) on a connection of its own and
/// empties the cache a notification concerns. While the connection is down, notifications are lost: so a lost
/// connection (a PostgreSQL restart, a failover) empties every cache, and so does listening again. The caches' TTLs
/// stay as a safety net.
public final class CacheListener: Sendable {
    private let application: Application
    private let databaseURL: String
    private let logger: Logger
    private let stopping = Atomic<Bool>(false)

    public init(application: Application, databaseURL: String, logger: Logger) {
        self.application = application
        self.databaseURL = databaseURL
        var logger = logger
        logger[metadataKey: "component"] = "cache-listener"
        self.logger = logger
    }

    /// Starts the listening thread; false when it could not be created.
    public func start() -> Bool {
        Threads.startDetached { self.run() }
    }

    /// Ends the thread within a second.
    public func stop() {
        stopping.store(true, ordering: .relaxed)
    }

    private func run() {
        let db = PostgresConnection(conninfo: databaseURL)
        var listening = false
        var failures = 0
        while !stopping.load(ordering: .relaxed) {
            do {
                if !listening {
                    try db.listen(CacheNotifications.channel)
                    listening = true
                    // Whatever changed while nobody listened is unknown: start afresh.
                    application.invalidateAll()
                    if failures > 0 { logger.info("listening for cache changes again", metadata: ["failures": "\(failures)"]) }
                    failures = 0
                }
                for notification in try db.waitForNotifications(timeoutMilliseconds: 1000) {
                    application.invalidate(notification.payload)
                }
            } catch {
                listening = false
                failures += 1
                application.invalidateAll()
                if failures == 1 || failures % 20 == 0 {
                    logger.warning("cache listener lost its database connection", metadata: ["error": "\(error)", "failures": "\(failures)"])
                }
                usleep(UInt32(min(2000, 100 << min(failures, 5))) * 1000)
            }
        }
        db.close()
    }
}

extension Application {
    /// Empties what a change notification (`<table>:<id>`, sql/012) concerns. Every entry of the cache goes, not only
    /// the row's: changes are rare, and a re-read is one query.
    public func invalidate(_ notification: String) {
        switch CacheNotifications.Change(notification) {
        case .apiToken: tokenCache.removeAll()
        case .organization, .project: cache.removeAll()
        case .app: alertTargets.removeAll()
        case .unknown: invalidateAll()
        }
    }

    /// Empties every cache of this process.
    public func invalidateAll() {
        tokenCache.removeAll()
        cache.removeAll()
        alertTargets.removeAll()
    }
}
