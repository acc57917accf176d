import AlertRelayDelivery
import AlertRelayLogic
import AlertRelayStore
import HTTPCore

/// `POST /api/0/organizations/{org}/metric-alerts`: a metric alert (an incident of an alert rule changed status) for
/// an app, delivered like an event alert (`AlertRoutes.deliver`) as Sentry's `metric_alert` webhook.
enum MetricAlertRoutes {
    static let resource = "metric_alert"

    static func register(_ router: inout Router) {
        router.add(.post, "/api/0/organizations/{org}/metric-alerts", sendMetricAlert)
    }

    /// The validated body: `{"sentry_app", "action", "data": {"metric_alert", "description_text",
    /// "description_title", "web_url"}}`, `data` as the webhook carries it.
    struct MetricAlertInput {
        var appSlug: String
        var action: String
        var metricAlert: JSONObject
        var descriptionText: String
        var descriptionTitle: String
        var webURL: String

        init(_ body: JSONBody) throws(APIError) {
            let root = Fields(object: body.object, path: "")
            appSlug = try root.string("sentry_app")
            guard !appSlug.isEmpty else { throw APIError.unprocessable("Field 'sentry_app' must not be empty.") }
            action = try root.string("action")
            guard MetricAlertPayload.actions.contains(action) else {
                throw APIError.unprocessable(
                    "Field 'action' must be one of \(MetricAlertPayload.actions.joined(separator: ", ")).")
            }
            let data = try root.object("data")
            let incident = try data.object("metric_alert")
            for field in ["id", "identifier", "title"] { _ = try incident.string(field, nonEmpty: true) }
            let rule = try incident.object("alert_rule")
            for field in ["id", "name"] { _ = try rule.string(field, nonEmpty: true) }
            for trigger in try rule.objects("triggers") { _ = try trigger.optionalObjects("actions") }
            metricAlert = incident.object
            descriptionText = try data.string("description_text")
            descriptionTitle = try data.string("description_title")
            webURL = try data.string("web_url")
        }
    }

    static func sendMetricAlert(_ request: Request, _ context: RequestContext) throws -> Response {
        let organization = try Authenticator.authorize(request, context, organization: context.parameter("org"), scope: .alertsWrite)
        let input = try MetricAlertInput(JSONBody.parse(request))
        let webhook = AlertRoutes.AlertWebhook(
            appSlug: input.appSlug, eventType: "\(resource).\(input.action)", resource: resource, projectID: nil
        ) { installationUUID in
            let payload = MetricAlertPayload.build(
                action: input.action, installationUUID: installationUUID, metricAlert: input.metricAlert,
                descriptionText: input.descriptionText, descriptionTitle: input.descriptionTitle, webURL: input.webURL)
            return String(decoding: payload.serialized(), as: UTF8.self)
        }
        return try AlertRoutes.deliver(webhook, organization: organization, request: request, context: context)
    }

    /// Reads fields of a (nested) object, naming each by its full path in errors: `data.metric_alert.alert_rule`,
    /// `data.metric_alert.alert_rule.triggers[0].actions`.
    struct Fields {
        let object: JSONObject
        let path: String

        func name(_ field: String) -> String { path.isEmpty ? field : "\(path).\(field)" }

        func value(_ field: String) throws(APIError) -> JSONValue {
            guard let value = object[field], value != .null else { throw JSONBody.missing(name(field)) }
            return value
        }

        /// A string without NUL (400 `invalid_character`), with `nonEmpty` not empty (422).
        func string(_ field: String, nonEmpty: Bool = false) throws(APIError) -> String {
            let value = try value(field)
            guard case .string(let text) = value else { throw JSONBody.wrongType(name(field), "a string", value) }
            guard !text.unicodeScalars.contains("\u{0}") else {
                throw APIError.badRequest("Field '\(name(field))' must not contain NUL characters.", code: "invalid_character")
            }
            if nonEmpty, text.isEmpty { throw APIError.unprocessable("Field '\(name(field))' must not be empty.") }
            return text
        }

        func object(_ field: String) throws(APIError) -> Fields {
            let value = try value(field)
            guard case .object(let inner) = value else { throw JSONBody.wrongType(name(field), "an object", value) }
            return Fields(object: inner, path: name(field))
        }

        /// An array whose items are all objects.
        func objects(_ field: String) throws(APIError) -> [Fields] {
            let value = try value(field)
            guard case .array(let items) = value else { throw JSONBody.wrongType(name(field), "an array of objects", value) }
            var result: [Fields] = []
            for (index, item) in items.enumerated() {
                guard case .object(let inner) = item else {
                    throw JSONBody.wrongType("\(name(field))[\(index)]", "an object", item)
                }
                result.append(Fields(object: inner, path: "\(name(field))[\(index)]"))
            }
            return result
        }

        /// Like `objects`, or nil when absent or null.
        func optionalObjects(_ field: String) throws(APIError) -> [Fields]? {
            guard let value = object[field], value != .null else { return nil }
            return try objects(field)
        }
    }
}
