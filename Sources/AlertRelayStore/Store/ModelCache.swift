import Synchronization

/// The model cache of BEHAVIOUR A7: organizations (by id and slug) and projects (by id and by organization + slug)
/// with a TTL. Saving an object in this process rewrites its entry; a change made anywhere (any process, any host)
/// empties it through the cache listener (`CacheListener`, sql/012), and the TTL stays as a safety net.
public final class ModelCache: Sendable {
    enum Key: Hashable, Sendable {
        case organizationID(Int64)
        case organizationSlug(String)
        case projectID(Int64)
        case projectSlug(organizationID: Int64, slug: String)
    }

    enum Value: Sendable {
        case organization(Organization)
        case project(Project)
    }

    private let entries: TTLCache<Key, Value>
    private let hits = Atomic<Int>(0)
    private let misses = Atomic<Int>(0)

    public init(ttlSeconds: Int) {
        // The most entries kept; beyond it the cache is cleared.
        entries = TTLCache(ttlSeconds: ttlSeconds, capacity: 100_000)
    }

    public var stats: (hits: Int, misses: Int) { (hits.load(ordering: .relaxed), misses.load(ordering: .relaxed)) }

    func organization(_ key: Key) -> Organization? {
        if case .organization(let organization)? = lookup(key) { return organization }
        return nil
    }

    func project(_ key: Key) -> Project? {
        if case .project(let project)? = lookup(key) { return project }
        return nil
    }

    /// Taken before a row is read from the database, and handed back to `store(_:readIn:)`: a row read before
    /// an invalidation is not stored after it.
    var generation: Int { entries.generation }

    func store(_ organization: Organization, readIn generation: Int? = nil) {
        insert(
            .organization(organization), keys: [.organizationID(organization.id), .organizationSlug(organization.slug)],
            readIn: generation)
    }

    func store(_ project: Project, readIn generation: Int? = nil) {
        insert(
            .project(project),
            keys: [.projectID(project.id), .projectSlug(organizationID: project.organizationID, slug: project.slug)],
            readIn: generation)
    }

    /// Forgets every entry (an organization or project changed somewhere).
    public func removeAll() {
        entries.removeAll()
    }

    private func lookup(_ key: Key) -> Value? {
        let value = entries.value(for: key)
        if value == nil {
            misses.wrappingAdd(1, ordering: .relaxed)
        } else {
            hits.wrappingAdd(1, ordering: .relaxed)
        }
        return value
    }

    private func insert(_ value: Value, keys: [Key], readIn generation: Int?) {
        entries.store(value, for: keys, readIn: generation)
    }
}
