import AlertRelayLogic
import PostgresClient

/// An organization an app is installed in.
public struct InstalledOrganization: Sendable, Equatable {
    public var organizationSlug: String
    public var organizationName: String
    public var dateCreated: String
}

/// SQL for what an app's owner page shows beyond the app itself: where it is installed and its longer health history.
public enum AppOverviewStore {
    /// The organizations the app is installed in, by slug, at most `limit` (and whether there are more).
    public static func installations(appID: Int64, limit: Int, db: PostgresConnection) throws
        -> (installations: [InstalledOrganization], more: Bool)
    {
        let rows = try db.query(
            """
            SELECT o.slug, o.name, rfc3339(i.date_created) FROM installations i
            JOIN organizations o ON o.id = i.organization_id
            WHERE i.app_id = $1 ORDER BY o.slug LIMIT $2
            """, appID, limit + 1)
        let installations = try rows.prefix(limit).map {
            InstalledOrganization(
                organizationSlug: try $0.decode(0, as: String.self), organizationName: try $0.decode(1, as: String.self),
                dateCreated: try $0.decode(2, as: String.self))
        }
        return (installations, rows.count > limit)
    }

    /// The app's counters for the `days` UTC days ending `today`, every organization and shard summed, with the
    /// counters that disable and enable cleared (sql/011 `health_history`) added back: what happened, not what the
    /// broken rule still counts. Days without deliveries are missing.
    public static func healthHistory(appID: Int64, days: Int, today: UTCDay, db: PostgresConnection) throws -> [HealthDay] {
        try db.query(
            """
            SELECT day::text, sum(success)::int, sum(error)::int, sum(timeout)::int, sum(fatal)::int FROM (
                SELECT day, success, error, timeout, fatal FROM health_counters
                WHERE app_id = $1 AND day > $2::date - $3::int AND day <= $2::date
                UNION ALL
                SELECT day, success, error, timeout, fatal FROM health_history
                WHERE app_id = $1 AND day > $2::date - $3::int AND day <= $2::date
            ) t
            GROUP BY day
            """, appID, today.description, days
        ).map { row in
            let text = try row.decode(0, as: String.self)
            guard let day = UTCDay(text) else { throw PostgresError(kind: .decoding, message: "unreadable day '\(text)'") }
            return HealthDay(
                day: day, success: try row.decode(1, as: Int.self), error: try row.decode(2, as: Int.self),
                timeout: try row.decode(3, as: Int.self), fatal: try row.decode(4, as: Int.self))
        }
    }
}

extension AppOverviewStore {
    /// The apps an organization owns, by name, at most `limit`.
    public static func apps(organizationID: Int64, limit: Int, db: PostgresConnection) throws -> [App] {
        try db.query(composed: AppStore.byOrganizationSQL, binds: [organizationID, limit]).map(AppStore.app)
    }
}
