/// Recently verified organization tokens, by token hash, for a short TTL: an API token is checked on every
/// request, and this saves that query. Deleting a token clears the cache at once in this process (and drops a
/// lookup that was in flight meanwhile) and, through `CacheListener`, in every other one; the TTL
/// (`ALERT_RELAY_TOKEN_CACHE_SECONDS`, 0 turns the cache off) is the safety net. Unknown tokens are never cached.
public final class TokenCache: Sendable {
    private let principals: TTLCache<String, Principal>

    public init(ttlSeconds: Int) {
        principals = TTLCache(ttlSeconds: ttlSeconds, capacity: 10_000)
    }

    package func principal(forHash hash: String) -> Principal? {
        principals.value(for: hash)
    }

    /// Taken before a token is read from the database, and handed back to ``store(_:forHash:readIn:)``.
    package var generation: Int { principals.generation }

    package func store(_ principal: Principal, forHash hash: String, readIn generation: Int) {
        principals.store(principal, for: [hash], readIn: generation)
    }

    /// After a token is deleted: forget everything (a deleted token must stop working here at once).
    public func removeAll() {
        principals.removeAll()
    }
}
