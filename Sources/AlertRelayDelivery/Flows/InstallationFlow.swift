import AlertRelayLogic
import AlertRelayStore
import PostgresClient

/// Installing and uninstalling an app, as Sentry's integration platform does it: each is one transaction with its
/// audit entry and its `installation` webhook, which goes through the deliveries queue like every other webhook
/// (logged, retried, counted). An app without a webhook URL gets no webhook.
public enum InstallationFlow {
    public static let resource = "installation"
    public static let createdEventType = "installation.created"
    public static let deletedEventType = "installation.deleted"

    /// What installing made.
    public struct Installed: Sendable, Equatable {
        public var view: InstallationView
        /// The single-use grant code (ten minutes), also sent in `installation.created`.
        public var code: String
        public var dateCreated: String
    }

    /// Installs `app` in `organization`: `pending` when the app verifies installations, else `installed`, with a new
    /// grant code; writes audit event `sentry-app.install` and queues `installation.created` (with the code).
    public static func install(app: App, organization: Organization, actor: String, db: PostgresConnection) throws
        -> Installed
    {
        try db.transaction { db in
            let made = try AppStore.install(
                appID: app.id, organizationID: organization.id, pending: app.verifyInstall, db: db)
            let code = try GrantStore.createGrant(installationID: made.id, db: db)
            let view = InstallationView(
                uuid: made.uuid, status: app.verifyInstall ? "pending" : "installed", appUUID: app.uuid,
                appSlug: app.slug, organizationSlug: organization.slug, organizationID: organization.id)
            try AuditStore.write(
                organizationID: organization.id, event: "sentry-app.install",
                data: .object(JSONObject([
                    ("app", .string(app.slug)), ("uuid", .string(made.uuid)), ("status", .string(view.status)),
                ])),
                actor: actor, db: db)
            try queue(InstallationPayload.created(view, code: code), eventType: createdEventType, app: app, db: db,
                      organizationID: organization.id)
            return Installed(view: view, code: code, dateCreated: made.dateCreated)
        }
    }

    /// Uninstalls the installation `uuid` (validated) of `app` from `organization`: removes it with its grant and
    /// token, fails what still waits for it, writes audit event `sentry-app.uninstall` and queues
    /// `installation.deleted`, whose body is built here because the installation is gone when it is sent.
    /// False when there was no such installation.
    public static func uninstall(app: App, uuid: String, organization: Organization, actor: String, db: PostgresConnection)
        throws -> Bool
    {
        try db.transaction { db in
            guard let gone = try AppStore.uninstall(appID: app.id, uuid: uuid, db: db) else { return false }
            try AuditStore.write(
                organizationID: organization.id, event: "sentry-app.uninstall",
                data: .object(JSONObject([("app", .string(app.slug)), ("uuid", .string(uuid.lowercased()))])),
                actor: actor, db: db)
            let view = InstallationView(
                uuid: uuid.lowercased(), status: gone.status, appUUID: app.uuid, appSlug: app.slug,
                organizationSlug: organization.slug, organizationID: organization.id)
            try queue(InstallationPayload.deleted(view), eventType: deletedEventType, app: app, db: db,
                      organizationID: organization.id)
            return true
        }
    }

    /// Records the webhook for the dispatcher (queued, waking it: installations are rare), unless the app has no
    /// webhook URL.
    private static func queue(
        _ payload: JSONValue, eventType: String, app: App, db: PostgresConnection, organizationID: Int64
    ) throws {
        guard app.webhookURL != nil else { return }
        _ = try DeliveryStore.insert(
            DeliveryStore.NewDelivery(
                organizationID: organizationID, appID: app.id, projectID: nil, eventType: eventType, resource: resource,
                requestID: RandomToken.uuid4Hex(), webhookID: "msg_" + RandomToken.uuid4Hex(),
                payload: String(decoding: payload.serialized(), as: UTF8.self), redeliveryOf: nil),
            start: .queued(wake: true), db: db)
    }
}
