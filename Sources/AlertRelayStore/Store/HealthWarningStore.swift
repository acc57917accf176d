import AlertRelayLogic
import PostgresClient

/// SQL for the warning e-mail's state (sql/011_owner_page.sql `health_warnings`): at most one warning per app and
/// organization until the app recovers or its counters are cleared (disable, enable).
public enum HealthWarningStore {
    /// One warning the warning rule asks for.
    public struct Candidate: Sendable, Equatable {
        public var pair: AppOrganization
        public var reason: String

        public init(pair: AppOrganization, reason: String) {
            self.pair = pair
            self.reason = reason
        }
    }

    /// Records a warning on `today` for each candidate that has none in force, and returns those pairs: the ones whose
    /// owners are to be e-mailed. A warning is in force until a UTC day after its own has a success (the app
    /// recovered); successes later on the warning's day do not count, so a receiver that alternates successes and
    /// timeouts is warned once a day at most. One statement: a concurrent recorder waits on the row and then sees it.
    public static func claim(_ candidates: [Candidate], today: UTCDay, db: PostgresConnection) throws -> Set<AppOrganization> {
        guard !candidates.isEmpty else { return [] }
        let rows = try db.query(
            """
            INSERT INTO health_warnings AS w (app_id, organization_id, reason, day)
            SELECT c.app_id, c.organization_id, c.reason, $4::date
            FROM unnest($1::bigint[], $2::bigint[], $3::text[]) AS c(app_id, organization_id, reason)
            ON CONFLICT (app_id, organization_id) DO UPDATE
                SET reason = excluded.reason, day = excluded.day, date_created = now()
                WHERE EXISTS (SELECT 1 FROM health_counters h
                              WHERE h.app_id = w.app_id AND h.organization_id = w.organization_id
                                AND h.day > w.day AND h.success > 0)
            RETURNING w.app_id, w.organization_id
            """, candidates.map(\.pair.appID), candidates.map(\.pair.organizationID), candidates.map(\.reason),
            today.description)
        return Set(try rows.map {
            AppOrganization(appID: try $0.decode(0, as: Int64.self), organizationID: try $0.decode(1, as: Int64.self))
        })
    }
}
