import Testing

@testable import AlertRelayStore

/// The token cache's generations: a deletion must win over a lookup that was in flight when it happened.
@Suite struct TokenCacheTests {
    static let principal = Principal.token(id: 3, organizationID: 7, scopes: [.orgRead])

    @Test func aLookupStoredInItsGenerationIsServed() {
        let cache = TokenCache(ttlSeconds: 60)
        let generation = cache.generation
        cache.store(Self.principal, forHash: "h", readIn: generation)
        #expect(cache.principal(forHash: "h") == Self.principal)
        #expect(cache.principal(forHash: "other") == nil)
    }

    @Test func aLookupThatStartedBeforeRemoveAllIsDropped() {
        let cache = TokenCache(ttlSeconds: 60)
        let generation = cache.generation
        // The token is deleted (everywhere) while this thread was reading it from the database.
        cache.removeAll()
        cache.store(Self.principal, forHash: "h", readIn: generation)
        #expect(cache.principal(forHash: "h") == nil)
        // A lookup that starts afterwards is cached again.
        cache.store(Self.principal, forHash: "h", readIn: cache.generation)
        #expect(cache.principal(forHash: "h") == Self.principal)
    }

    @Test func removeAllForgetsWhatWasCached() {
        let cache = TokenCache(ttlSeconds: 60)
        cache.store(Self.principal, forHash: "h", readIn: cache.generation)
        cache.removeAll()
        #expect(cache.principal(forHash: "h") == nil)
    }

    @Test func aZeroTTLCachesNothing() {
        let cache = TokenCache(ttlSeconds: 0)
        cache.store(Self.principal, forHash: "h", readIn: cache.generation)
        #expect(cache.principal(forHash: "h") == nil)
    }
}
