import AlertRelayLogic
import PostgresClient

/// A `webhook` job: one attempt of a queued or retrying delivery, through the same send → record path as the
/// responder. Payload: `{"delivery_id": N, "app_id": N, "attempt": N}`. The job is finished after its attempt whatever
/// the outcome: the attempt itself schedules the next one as a new job. A job whose attempt was already made (it ran
/// before its worker crashed, for instance) is skipped, so a retry chain never forks.
public enum WebhookJob {
    public enum Result: Sendable, Equatable {
        case attempted(status: String)
        /// Nothing to do: the delivery is gone, already finished, or its app is disabled or deleted.
        case skipped(reason: String)
    }

    public static func run(payload: JSONObject, context: FlowContext) throws -> Result {
        guard case .integer(let digits)? = payload["delivery_id"], let deliveryID = Int64(digits) else {
            return .skipped(reason: "payload has no delivery_id")
        }
        guard let delivery = try DeliveryStore.find(id: deliveryID, db: context.db) else {
            return .skipped(reason: "delivery no longer exists")
        }
        guard ["queued", "retrying", "sending"].contains(delivery.status) else {
            return .skipped(reason: "delivery is already \(delivery.status)")
        }
        if case .integer(let text)? = payload["attempt"], let attempt = Int(text), attempt != delivery.attempts + 1 {
            return .skipped(reason: "attempt \(attempt) is stale; the delivery has \(delivery.attempts) attempts")
        }
        guard let (app, installed) = try AppStore.findForDelivery(
            appID: delivery.appID, organizationID: delivery.organizationID, db: context.db), !app.isDisabled
        else {
            try DeliveryStore.markFailed(id: delivery.id, errorClass: "app_disabled", db: context.db)
            return .skipped(reason: "app disabled or deleted")
        }
        guard installed else {
            try DeliveryStore.markFailed(id: delivery.id, errorClass: "not_installed", db: context.db)
            return .skipped(reason: "app no longer installed in the organization")
        }
        let attempted = try DeliveryAttempt.perform(delivery: delivery, app: app, context: context)
        return .attempted(status: attempted.status)
    }

    /// Hands inline attempts whose responder died mid-attempt (lease expired while `sending`) to the worker:
    /// marks them `retrying` and writes a webhook job for each. Returns how many were taken over.
    public static func recoverStaleDeliveries(limit: Int, db: PostgresConnection) throws -> Int {
        try db.query(
            """
            WITH stale AS (
                SELECT id, app_id, attempts FROM deliveries
                WHERE status = 'sending' AND lease_until < now()
                ORDER BY lease_until LIMIT $1 FOR UPDATE SKIP LOCKED
            ), upd AS (
                UPDATE deliveries d SET status = 'retrying', lease_until = NULL, next_attempt_at = now(), date_updated = now()
                FROM stale WHERE d.id = stale.id
            )
            INSERT INTO jobs (kind, payload, max_attempts)
            SELECT 'webhook', jsonb_build_object('delivery_id', id, 'app_id', app_id, 'attempt', attempts + 1), 5 FROM stale
            RETURNING id
            """, limit
        ).count
    }
}
