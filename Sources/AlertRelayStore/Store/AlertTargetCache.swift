import SystemSupport

/// Which app and installation an (organization, app slug) pair resolved to last time, so the alert route can
/// validate and record a delivery in one statement (`DeliveryStore.insertForTarget`, `enqueueForTarget`). Entries are
/// only hints: the statement re-checks the app, the installation and the disabled state, and a stale entry falls back
/// to the full lookup, so correctness needs no TTL and no invalidation. The cache listener still empties it when apps
/// or installations change (rare), which costs the next alert of each pair the full lookup.
public final class AlertTargetCache: Sendable {
    struct Key: Hashable, Sendable {
        let organizationID: Int64
        let appSlug: String
    }

    package struct Target: Sendable {
        package let appID: Int64
        package let installationUUID: String

        package init(appID: Int64, installationUUID: String) {
            self.appID = appID
            self.installationUUID = installationUUID
        }
    }

    private let entries = SleepingMutex<[Key: Target]>([:])
    private let capacity = 100_000

    public init() {}

    package func target(organizationID: Int64, appSlug: String) -> Target? {
        entries.withLock { $0[Key(organizationID: organizationID, appSlug: appSlug)] }
    }

    package func store(_ target: Target, organizationID: Int64, appSlug: String) {
        entries.withLock { table in
            if table.count >= capacity { table.removeAll(keepingCapacity: true) }
            table[Key(organizationID: organizationID, appSlug: appSlug)] = target
        }
    }

    package func remove(organizationID: Int64, appSlug: String) {
        entries.withLock { $0[Key(organizationID: organizationID, appSlug: appSlug)] = nil }
    }

    /// Forgets every hint (an app or installation changed somewhere; the hints are checked anyway).
    package func removeAll() {
        entries.withLock { $0.removeAll() }
    }
}
