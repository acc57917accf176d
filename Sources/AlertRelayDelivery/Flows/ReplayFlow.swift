import AlertRelayLogic
import AlertRelayStore
import PostgresClient

/// Bulk replay (issue 11): every delivery of an app to one organization that ended `failed` or is `retrying` since a
/// time is queued again (``DeliveryStore/replayFailed(appID:organizationID:since:limit:db:)``), at most ``limit`` per
/// call, with one audit entry per call, for the REST route and the owner page's button.
public enum ReplayFlow {
    public static let auditEvent = "sentry-app.replay"
    /// Deliveries one replay queues at most; the answer says when more matched.
    public static let limit = 1000

    /// `since`: RFC 3339 UTC text the database takes. 409 when the app is disabled (enable it first: a disabled app's
    /// deliveries would only fail again) or has no webhook URL.
    public static func replay(
        app: App, organization: Organization, since: String, actor: String, db: PostgresConnection
    ) throws -> DeliveryStore.Replayed {
        guard !app.isDisabled else {
            throw Refusal(.conflict, code: "app_disabled", "App '\(app.slug)' is disabled; enable it before replaying.")
        }
        guard app.webhookURL != nil else {
            throw Refusal(.conflict, code: "no_webhook_url", "App '\(app.slug)' has no webhook URL to send to.")
        }
        return try db.transaction { db in
            let replayed = try DeliveryStore.replayFailed(
                appID: app.id, organizationID: organization.id, since: since, limit: limit, db: db)
            try AuditStore.write(
                organizationID: app.organizationID, event: auditEvent,
                data: .object(JSONObject([
                    ("name", .string(app.name)), ("slug", .string(app.slug)), ("organization", .string(organization.slug)),
                    ("since", .string(since)), ("queued", .int(replayed.queued)), ("more", .bool(replayed.more)),
                ])),
                actor: actor, db: db)
            return replayed
        }
    }
}
