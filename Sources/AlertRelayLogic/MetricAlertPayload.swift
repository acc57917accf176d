/// The `metric_alert` webhook body (Sentry: `send_incident_alert_notification` with `build_incident_attachment`;
/// docs: integration-platform/webhooks/metric-alerts).
public enum MetricAlertPayload {
    /// The actions a metric alert webhook carries: the incident's new status, lowercased as Sentry names it.
    public static let actions = ["critical", "warning", "resolved"]

    /// `{"action":..,"installation":{"uuid":..},"data":{"metric_alert":..,"description_text":..,
    /// "description_title":..,"web_url":..},"actor":{"type":"application","id":"sentry","name":"Sentry"}}`.
    ///
    /// `metricAlert` (the incident with its `alert_rule`) goes out as given, its key order kept. Serialize with
    /// `serialized()`: the bytes are a fixed point of Python's compact `json.dumps`.
    public static func build(
        action: String, installationUUID: String, metricAlert: JSONObject, descriptionText: String,
        descriptionTitle: String, webURL: String
    ) -> JSONValue {
        var data = JSONObject()
        data["metric_alert"] = .object(metricAlert)
        data["description_text"] = .string(descriptionText)
        data["description_title"] = .string(descriptionTitle)
        data["web_url"] = .string(webURL)
        return PlatformEvent.body(action: action, installationUUID: installationUUID, data: data)
    }
}
