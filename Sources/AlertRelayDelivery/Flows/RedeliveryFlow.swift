import AlertRelayLogic
import AlertRelayStore
import PostgresClient

/// Redelivery of one logged request (BEHAVIOUR B4: the same message again, same body and `webhook-id`), for the REST
/// route and the owner page's Redeliver button.
public enum RedeliveryFlow {
    /// The delivery behind request-log entry `logID` of `app`, with the body it sends, when it may be redelivered:
    /// 404 when the app has no such entry, 410 when the delivery is past its retention, 409 when the app is disabled
    /// has no webhook URL, or is no longer installed in the delivery's organization
    /// (except for `installation.deleted`, which is about an installation that is gone).
    public static func original(app: App, logID: String, db: PostgresConnection) throws -> (delivery: Delivery, payload: String) {
        let notFound = Refusal(.notFound, code: "not_found", "Request '\(logID)' does not exist in the log of app '\(app.slug)'.")
        guard let id = InputRules.id(logID), let deliveryID = try RequestLogStore.deliveryID(logID: id, appID: app.id, db: db)
        else { throw notFound }
        guard let deliveryID, let (original, payload) = try DeliveryStore.findWithPayload(id: deliveryID, db: db) else {
            throw Refusal(.gone, code: "delivery_expired", "The delivery of this request is past its retention and cannot be redelivered.")
        }
        guard !app.isDisabled else {
            throw Refusal(.conflict, code: "app_disabled", "App '\(app.slug)' is disabled; enable it before redelivering.")
        }
        guard app.webhookURL != nil else {
            throw Refusal(.conflict, code: "no_webhook_url", "App '\(app.slug)' has no webhook URL to send to.")
        }
        // installation.deleted is about an installation that is gone by definition.
        let stillInstalled = try original.eventType == InstallationFlow.deletedEventType
            || AppStore.isInstalled(appID: app.id, organizationID: original.organizationID, db: db)
        guard stillInstalled else {
            throw Refusal(.conflict, code: "not_installed", "App '\(app.slug)' is no longer installed in that organization.")
        }
        return (original, payload)
    }

    /// Records the redelivery of `original` (a new delivery of the same message, with a new `Request-ID`).
    public static func record(
        _ original: Delivery, payload: String, app: App, start: DeliveryStore.Start, db: PostgresConnection
    ) throws -> Delivery {
        try DeliveryStore.insert(
            DeliveryStore.NewDelivery(
                organizationID: original.organizationID, appID: app.id, projectID: original.projectID,
                eventType: original.eventType, resource: original.resource, requestID: RandomToken.uuid4Hex(),
                webhookID: original.webhookID, payload: payload, redeliveryOf: original.id),
            start: start, db: db)
    }
}
