import AlertRelayDelivery
import AlertRelayLogic
import AlertRelayStore
import HTTPCore

extension AlertRoutes {
    /// What an alert route hands to `deliver`: the webhook's kind and how to build its body for an installation.
    struct AlertWebhook {
        var appSlug: String
        /// E.g. `event_alert.triggered`, `metric_alert.critical`.
        var eventType: String
        /// `Sentry-Hook-Resource`.
        var resource: String
        var projectID: Int64?
        /// The exact body for the app's installation with this uuid.
        var payload: (_ installationUUID: String) -> String
    }

    /// Delivers an alert webhook to the app `webhook.appSlug` installed in `organization`, the same way for every kind of
    /// alert (API.md "Alerts"): inline within the inline limits (201 after the attempt), else or with
    /// `Prefer: respond-async` queued (202 with `Location`). 404 `unknown_app`; 409 `not_installed` (also while the
    /// installation is pending), `app_disabled` or `no_webhook_url`, with nothing recorded.
    static func deliver(_ webhook: AlertWebhook, organization: Organization, request: Request, context: RequestContext)
        throws -> Response
    {
        let wantsAsync = Self.prefersAsync(request)
        let requestID = RandomToken.uuid4Hex()
        let webhookID = "msg_" + RandomToken.uuid4Hex()
        func newDelivery(appID: Int64, installationUUID: String) -> DeliveryStore.NewDelivery {
            DeliveryStore.NewDelivery(
                organizationID: organization.id, appID: appID, projectID: webhook.projectID,
                eventType: webhook.eventType, resource: webhook.resource, requestID: requestID, webhookID: webhookID,
                payload: webhook.payload(installationUUID), redeliveryOf: nil)
        }
        let appSlug = webhook.appSlug

        // Fast path: the app and installation seen last time, re-validated by the insert itself (one statement).
        // Only installed installations of apps with a webhook URL are remembered, and neither can go back.
        if let target = context.app.alertTargets.target(organizationID: organization.id, appSlug: appSlug) {
            let new = newDelivery(appID: target.appID, installationUUID: target.installationUUID)
            if let permit = wantsAsync ? nil : context.app.inlineLimiter.acquire(appID: target.appID) {
                defer { context.app.inlineLimiter.release(permit) }
                if let (app, delivery) = try DeliveryStore.insertForTarget(
                    new, installationUUID: target.installationUUID, start: start(inline: true, context), db: context.db)
                {
                    guard let delivery else { throw disabledError(app) }
                    return try respond(
                        delivery, payload: new.payload, app: app, inline: true, organization: organization, context)
                }
            } else if let enqueued = try DeliveryStore.enqueueForTarget(
                new, installationUUID: target.installationUUID, wake: context.app.dispatchWake.shouldWake(),
                db: context.db)
            {
                switch enqueued {
                case .queued(let delivery): return queued(delivery, organization: organization)
                case .appDisabled: throw disabledError(appSlug: appSlug)
                }
            }
            context.app.alertTargets.remove(organizationID: organization.id, appSlug: appSlug)
        }

        guard let (app, installationUUID, installed) = try AppStore.findForAlert(
            slug: appSlug, organizationID: organization.id, db: context.db),
            installationUUID != nil || app.organizationID == organization.id || app.status == .published
        else {
            throw APIError.notFound("App '\(appSlug)' does not exist.", code: "unknown_app")
        }
        guard let installationUUID else {
            throw APIError.conflict("App '\(app.slug)' is not installed in organization '\(organization.slug)'.",
                                    code: "not_installed")
        }
        guard installed else {
            throw APIError.conflict(
                "App '\(app.slug)' is not installed in organization '\(organization.slug)' yet: its installation is "
                    + "pending until the integration marks it installed.", code: "not_installed")
        }
        guard !app.isDisabled else { throw disabledError(app) }
        guard app.webhookURL != nil else {
            throw APIError.conflict("App '\(app.slug)' has no webhook URL to send alerts to.", code: "no_webhook_url")
        }
        context.app.alertTargets.store(
            .init(appID: app.id, installationUUID: installationUUID), organizationID: organization.id, appSlug: appSlug)

        let permit = wantsAsync ? nil : context.app.inlineLimiter.acquire(appID: app.id)
        defer { permit.map(context.app.inlineLimiter.release) }
        let new = newDelivery(appID: app.id, installationUUID: installationUUID)
        let delivery = try DeliveryStore.insert(new, start: start(inline: permit != nil, context), db: context.db)
        return try respond(
            delivery, payload: new.payload, app: app, inline: permit != nil, organization: organization, context)
    }
}
