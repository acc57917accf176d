import Synchronization

/// Recently verified organization tokens, by token hash, for a short TTL: an API token is checked on every
/// request, and this saves that query. Deleting a token in this process clears the cache at once; another
/// responder process stops accepting a deleted token within the TTL (`ALERT_RELAY_TOKEN_CACHE_SECONDS`,
/// 0 turns the cache off). Unknown tokens are never cached.
public final class TokenCache: Sendable {
    private struct Entry: Sendable {
        let principal: Principal
        let expires: Int64
    }

    private let ttlNanoseconds: Int64
    private let entries = SleepingMutex<[String: Entry]>([:])
    private let capacity = 10_000

    public init(ttlSeconds: Int) {
        ttlNanoseconds = Int64(ttlSeconds) * 1_000_000_000
    }

    func principal(forHash hash: String) -> Principal? {
        guard ttlNanoseconds > 0 else { return nil }
        let now = MonotonicClock.nanoseconds()
        return entries.withLock { table in
            guard let entry = table[hash] else { return nil }
            guard entry.expires >= now else {
                table[hash] = nil
                return nil
            }
            return entry.principal
        }
    }

    func store(_ principal: Principal, forHash hash: String) {
        guard ttlNanoseconds > 0 else { return }
        let entry = Entry(principal: principal, expires: MonotonicClock.nanoseconds() + ttlNanoseconds)
        entries.withLock { table in
            if table.count >= capacity { table.removeAll(keepingCapacity: true) }
            table[hash] = entry
        }
    }

    /// After a token is deleted: forget everything (a deleted token must stop working here at once).
    func removeAll() {
        entries.withLock { $0.removeAll() }
    }
}
