import AlertRelayLogic
import AlertRelayStore
import Logging
import PostgresClient

/// The disable transition (BEHAVIOUR A6, B1, B2): one transaction that only the first caller wins. It marks the app
/// disabled, clears its health counters, fails its deliveries waiting for an attempt, writes the audit entry and one
/// e-mail job per owner of the app's organization, so no e-mail can be lost or doubled.
public enum DisableFlow {
    public static let auditEvent = "internal-integration.disable"
    public static let enableAuditEvent = "internal-integration.enable"

    /// Returns true when this call disabled the app, false when it already was disabled. `by`: who disabled it by
    /// hand (the audit entry's actor; no e-mail to the owners); nil for the broken rule (actor "Sentry", an e-mail
    /// to each owner).
    @discardableResult
    public static func disable(
        app: App, reason: String, config: Config, logger: Logger, db: PostgresConnection, by actor: String? = nil
    ) throws -> Bool {
        let disabled = try db.transactionRetryingConflicts { db -> Bool in
            // The conditional UPDATE takes the row lock; concurrent callers wait, re-check and find it disabled.
            let rows = try db.query(
                """
                UPDATE apps SET disabled_at = now(), disabled_reason = $2, date_updated = now()
                WHERE id = $1 AND disabled_at IS NULL
                RETURNING name, slug, webhook_url, organization_id
                """, app.id, reason)
            guard let row = rows.first else { return false }
            let name = try row.decode(0, as: String.self)
            let slug = try row.decode(1, as: String.self)
            let webhookURL = try row.decode(2, as: String?.self) ?? "(none)"
            let organizationID = try row.decode(3, as: Int64.self)

            try db.execute("DELETE FROM health_counters WHERE app_id = $1", app.id)
            try DeliveryStore.failWaiting(appID: app.id, errorClass: "app_disabled", db: db)
            try AuditStore.write(
                organizationID: organizationID, event: auditEvent, data: .object(JSONObject([("name", .string(name))])),
                actor: actor ?? AuditStore.systemActor, db: db)
            guard actor == nil else { return true }

            try OwnerNotices.enqueue(
                .disabled,
                about: .init(appID: app.id, appName: name, appSlug: slug, webhookURL: webhookURL, organizationID: organizationID),
                config: config, db: db)
            return true
        }
        if disabled {
            logger.warning(
                actor == nil ? "app disabled by the broken rule" : "app disabled by hand",
                metadata: ["app": "\(app.slug)", "reason": "\(reason)"])
        }
        return disabled
    }

    /// Re-enables an app: clears its counters so it is not disabled again at once, and writes the audit entry.
    public static func enable(app: App, actor: String, db: PostgresConnection) throws {
        try db.transactionRetryingConflicts { db in
            try db.execute(
                "UPDATE apps SET disabled_at = NULL, disabled_reason = NULL, date_updated = now() WHERE id = $1", app.id)
            try db.execute("DELETE FROM health_counters WHERE app_id = $1", app.id)
            try AuditStore.write(
                organizationID: app.organizationID, event: enableAuditEvent,
                data: .object(JSONObject([("name", .string(app.name))])), actor: actor, db: db)
        }
    }
}
