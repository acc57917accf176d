import AlertRelayLogic
import PostgresClient

extension DeliveryStore {
    /// What a bulk replay queued.
    public struct Replayed: Sendable, Equatable {
        /// Deliveries queued again: failed ones as new deliveries of the same message, retrying ones due now.
        public var queued: Int
        /// True when more deliveries matched than the limit: the next replay takes them (those queued now no longer
        /// match, see below).
        public var more: Bool
    }

    /// Queues again, oldest first and at most `limit`, every delivery of app `appID` to organization `organizationID`
    /// created at or after `since` that ended `failed` or is `retrying`. A failed one gets a new delivery, `queued`
    /// and due now, with the same body and `webhook-id` (receivers deduplicate on it) and `redelivery_of` naming it; a
    /// retrying one is made due now (it is still the pending attempt of its message, so no copy). A failed delivery
    /// that already has a redelivery is left out (its newest redelivery stands for the message), so replaying twice
    /// never sends a message twice at once. One statement; idle dispatchers are woken when anything was queued.
    public static func replayFailed(
        appID: Int64, organizationID: Int64, since: String, limit: Int, db: PostgresConnection
    ) throws -> Replayed {
        let rows = try db.query(
            """
            WITH matching AS (
                SELECT d.id, d.status FROM deliveries d
                WHERE d.app_id = $1 AND d.organization_id = $2 AND d.status IN ('failed', 'retrying')
                  AND d.date_created >= $3::timestamptz
                  AND NOT EXISTS (SELECT 1 FROM deliveries n WHERE n.redelivery_of = d.id)
                ORDER BY d.id
                LIMIT $4 + 1
            ), chosen AS (
                SELECT * FROM matching ORDER BY id LIMIT $4
            ), due AS (
                UPDATE deliveries d SET due_at = now(), date_updated = now()
                FROM chosen c WHERE d.id = c.id AND c.status = 'retrying' AND d.status = 'retrying'
                RETURNING d.id
            ), copied AS (
                INSERT INTO deliveries (organization_id, app_id, project_id, event_type, resource, request_id, webhook_id,
                                        payload, status, due_at, redelivery_of)
                SELECT d.organization_id, d.app_id, d.project_id, d.event_type, d.resource,
                       replace(gen_random_uuid()::text, '-', ''), d.webhook_id, d.payload, 'queued', now(), d.id
                FROM deliveries d JOIN chosen c ON c.id = d.id
                WHERE c.status = 'failed'
                ORDER BY d.id
                RETURNING id
            ), counts AS (
                SELECT (SELECT count(*) FROM due) + (SELECT count(*) FROM copied) AS queued,
                       (SELECT count(*) FROM matching) > $4 AS more
            )
            SELECT queued::int, more,
                   (SELECT count(*) FROM (SELECT pg_notify('alert_relay_deliveries', '') WHERE queued > 0) n) AS woken
            FROM counts
            """, appID, organizationID, since, limit)
        return Replayed(queued: try rows[0].decode(0, as: Int.self), more: try rows[0].decode(1, as: Bool.self))
    }
}
