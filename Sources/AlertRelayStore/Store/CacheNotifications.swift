/// The notifications that keep processes' caches in step (sql/012): a change to a cached row notifies `channel` with
/// `<table>:<id>` (for an installation, its app's id).
public enum CacheNotifications {
    public static let channel = "alert_relay_cache"

    /// What a notification says changed.
    public enum Change: Sendable, Equatable {
        case apiToken, organization, project
        /// The app, or one of its installations.
        case app(id: Int64)
        /// Unreadable: assume anything changed.
        case unknown

        public init(_ payload: String) {
            let parts = payload.split(separator: ":", maxSplits: 1)
            let table = parts.first.map(String.init) ?? ""
            let id = parts.count == 2 ? Int64(parts[1]) : nil
            switch (table, id) {
            case ("api_tokens", _): self = .apiToken
            case ("organizations", _): self = .organization
            case ("projects", _): self = .project
            case ("apps", let id?), ("installations", let id?): self = .app(id: id)
            default: self = .unknown
            }
        }
    }
}
