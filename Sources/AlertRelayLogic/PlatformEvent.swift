/// The envelope every integration-platform webhook shares (Sentry's `AppPlatformEvent.body`).
public enum PlatformEvent {
    /// The actor of webhooks Sentry sends on its own behalf (alerts; here also installation webhooks, see README).
    public static let sentryActor: JSONValue = ["type": "application", "id": "sentry", "name": "Sentry"]

    /// `{"action":..,"installation":{"uuid":..},"data":..,"actor":..}`, in Sentry's key order.
    public static func body(action: String, installationUUID: String, data: JSONObject, actor: JSONValue = sentryActor)
        -> JSONValue
    {
        var body = JSONObject()
        body["action"] = .string(action)
        body["installation"] = ["uuid": .string(installationUUID)]
        body["data"] = .object(data)
        body["actor"] = actor
        return .object(body)
    }
}
