import SystemSupport

/// Values by key for a fixed time, shared by the responder's threads: the token cache and the model cache.
///
/// Expired entries are dropped when read; past `capacity` entries the table is cleared (cheap, bounded memory).
/// A TTL of 0 turns the cache off. ``removeAll()`` starts a new generation: a value read from the database before
/// it, and stored after it, is dropped (``store(_:for:readIn:)``), so a thread that looked a token up just before
/// another thread deleted it cannot put it back.
final class TTLCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private struct Entry: Sendable {
        let value: Value
        let expires: Int64
    }

    private struct Table: Sendable {
        var entries: [Key: Entry] = [:]
        var generation = 0
    }

    private let ttlNanoseconds: Int64
    private let capacity: Int
    private let table = SleepingMutex(Table())

    init(ttlSeconds: Int, capacity: Int) {
        ttlNanoseconds = Int64(ttlSeconds) * 1_000_000_000
        self.capacity = capacity
    }

    /// The live value for `key`, or nil.
    func value(for key: Key) -> Value? {
        guard ttlNanoseconds > 0 else { return nil }
        let now = MonotonicClock.nanoseconds()
        return table.withLock { table in
            guard let entry = table.entries[key] else { return nil }
            guard entry.expires >= now else {
                table.entries[key] = nil
                return nil
            }
            return entry.value
        }
    }

    /// The current generation; pass it to ``store(_:for:readIn:)`` for a value about to be read elsewhere.
    var generation: Int { table.withLock { $0.generation } }

    /// Stores `value` under every key in `keys`, unless ``removeAll()`` ran since `generation` was taken.
    func store(_ value: Value, for keys: [Key], readIn generation: Int? = nil) {
        guard ttlNanoseconds > 0 else { return }
        let entry = Entry(value: value, expires: MonotonicClock.nanoseconds() + ttlNanoseconds)
        table.withLock { table in
            if let generation, generation != table.generation { return }
            if table.entries.count >= capacity { table.entries.removeAll(keepingCapacity: true) }
            for key in keys { table.entries[key] = entry }
        }
    }

    /// Forgets everything, and whatever is being read now.
    func removeAll() {
        table.withLock { table in
            table.entries.removeAll()
            table.generation += 1
        }
    }
}
