import AlertRelayDelivery
import AlertRelayLogic
import AlertRelayStore
import HTTPCore
import HTTPTypes

/// `POST /api/0/organizations/{org}/alerts` and `GET .../alerts/{id}` (API.md "Alerts").
enum AlertRoutes {
    static let resource = "event_alert"
    static let eventType = "event_alert.triggered"

    static func register(_ router: inout Router) {
        router.add(.post, "/api/0/organizations/{org}/alerts", sendAlert)
        router.add(.get, "/api/0/organizations/{org}/alerts/{id}", getAlert)
    }

    /// The validated body of an alert request.
    struct AlertInput {
        var appSlug: String
        var rule: String
        var event: JSONObject
        var eventID: String
        var projectReference: String
        var groupID: String
        var additionalKey: String?
        var additionalPayload: JSONValue?

        init(_ body: JSONBody) throws(APIError) {
            appSlug = try body.string("sentry_app")
            rule = try body.string("rule")
            event = try body.object("event")
            let eventBody = JSONBody(object: event)
            guard let id = try Self.field(eventBody, "event_id", { (body: JSONBody) throws(APIError) in try body.optionalString("event_id") }) else {
                throw JSONBody.missing("event.event_id")
            }
            guard id.utf8.count == 32, id.utf8.allSatisfy({ $0.isHexDigit }) else {
                throw APIError.unprocessable("Field 'event.event_id' must be 32 hexadecimal characters.")
            }
            eventID = id.lowercased()
            switch event["project"] {
            case .string(let text)?:
                guard !text.unicodeScalars.contains("\u{0}") else {
                    throw APIError.badRequest("Field 'event.project' must not contain NUL characters.", code: "invalid_character")
                }
                projectReference = text
            case let number? where JSONBody.integerDigits(number) != nil: projectReference = JSONBody.integerDigits(number) ?? ""
            case .none, .null?: throw JSONBody.missing("event.project")
            case let other?: throw JSONBody.wrongType("event.project", "a project slug or id", other)
            }
            switch event["group_id"].map({ JSONBody.integerDigits($0).map(JSONValue.integer) ?? $0 }) {
            case .integer(let digits)? where !digits.hasPrefix("-"): groupID = digits
            case .string(let text)? where !text.isEmpty && text.utf8.allSatisfy({ (48...57).contains($0) }): groupID = text
            case .none, .null?: throw JSONBody.missing("event.group_id")
            case let other?:
                if case .integer = other { throw APIError.unprocessable("Field 'event.group_id' must not be negative.") }
                throw JSONBody.wrongType("event.group_id", "an integer", other)
            }
            additionalKey = try body.optionalString("additional_payload_key")
            additionalPayload = body.value("additional_payload").flatMap { $0 == .null ? nil : $0 }
            if additionalKey != nil, additionalPayload == nil { throw JSONBody.missing("additional_payload") }
            if additionalKey == nil, additionalPayload != nil { throw JSONBody.missing("additional_payload_key") }
            if let key = additionalKey, key.isEmpty || key == "event" || key == "triggered_rule" {
                throw APIError.unprocessable("Field 'additional_payload_key' must be a non-empty key other than 'event' and 'triggered_rule'.")
            }
            guard !appSlug.isEmpty else { throw APIError.unprocessable("Field 'sentry_app' must not be empty.") }
        }

        /// Reads a nested field, naming it `event.<name>` in errors.
        private static func field<T>(_ body: JSONBody, _ name: String, _ read: (JSONBody) throws(APIError) -> T) throws(APIError) -> T {
            do {
                return try read(body)
            } catch {
                throw APIError(error.status, code: error.code, error.detail.replacingFirst("'\(name)'", with: "'event.\(name)'"))
            }
        }
    }

    static func sendAlert(_ request: Request, _ context: RequestContext) throws -> Response {
        let organization = try Authenticator.authorize(request, context, organization: context.parameter("org"), scope: .alertsWrite)
        let input = try AlertInput(JSONBody.parse(request))

        guard let project = try OrganizationStore.findProject(
            organizationID: organization.id, reference: input.projectReference, db: context.db, cache: context.app.cache)
        else {
            throw APIError.notFound("Project '\(input.projectReference)' does not exist in organization '\(organization.slug)'.",
                                    code: "unknown_project")
        }
        let webhook = AlertWebhook(
            appSlug: input.appSlug, eventType: eventType, resource: resource, projectID: project.id
        ) { installationUUID in
            let payload = AlertPayload.build(AlertPayloadInput(
                event: input.event, rule: input.rule, installationUUID: installationUUID, orgSlug: organization.slug,
                projectSlug: project.slug, projectID: project.id, groupID: input.groupID, eventID: input.eventID,
                urlPrefix: context.config.urlPrefix, additionalKey: input.additionalKey,
                additionalPayload: input.additionalPayload))
            return String(decoding: payload.serialized(), as: UTF8.self)
        }
        return try deliver(webhook, organization: organization, request: request, context: context)
    }

    /// Inline when the caller did not ask for async and the inline limits allow it; else queued, waking idle
    /// dispatchers now and then.
    static func start(inline: Bool, _ context: RequestContext) -> DeliveryStore.Start {
        inline ? .inline(asyncCommit: context.config.inlineAsyncCommit) : .queued(wake: context.app.dispatchWake.shouldWake())
    }

    /// 201 with the record after the inline attempt, or 202 `queued` with the record's `Location`.
    static func respond(
        _ delivery: Delivery, payload: String, app: App, inline: Bool, organization: Organization,
        _ context: RequestContext
    ) throws -> Response {
        guard inline else { return queued(delivery, organization: organization) }
        let attempted = try DeliveryAttempt.perform(delivery: delivery, payload: payload, app: app, context: context.flow)
        return .json(attempted.json, status: .created)
    }

    /// 202 with the delivery record and where to ask for it later.
    static func queued(_ delivery: Delivery, organization: Organization) -> Response {
        var response = Response.json(delivery.json, status: .accepted)
        response.headers[.location] = "/api/0/organizations/\(organization.slug)/alerts/\(delivery.id)"
        return response
    }

    static func disabledError(_ app: App) -> APIError {
        disabledError(appSlug: app.slug)
    }

    static func disabledError(appSlug: String) -> APIError {
        APIError.conflict(
            "App '\(appSlug)' is disabled after repeated delivery errors; fix its webhook and enable it again.",
            code: "app_disabled")
    }

    static func getAlert(_ request: Request, _ context: RequestContext) throws -> Response {
        let organization = try Authenticator.authorize(request, context, organization: context.parameter("org"), scope: .orgRead)
        let notFound = APIError.notFound("Alert delivery '\(context.parameter("id"))' does not exist.")
        guard let id = InputRules.id(context.parameter("id")),
            let delivery = try DeliveryStore.find(id: id, db: context.db), delivery.organizationID == organization.id
        else { throw notFound }
        guard case .object(var object) = delivery.json else { throw notFound }
        object["attempt_log"] = .array(try DeliveryStore.attemptLog(deliveryID: delivery.id, db: context.db).map(\.json))
        return .json(.object(object))
    }

    /// `Prefer: respond-async` (RFC 7240, may be among other preferences, any case, with parameters).
    static func prefersAsync(_ request: Request) -> Bool {
        request.headers[values: preferHeader].contains { value in
            value.utf8.split(separator: UInt8(ascii: ",")).contains { preference in
                let token = preference.prefix { $0 != UInt8(ascii: ";") }
                let isSpace: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 }
                guard let start = token.firstIndex(where: { !isSpace($0) }),
                    let end = token.lastIndex(where: { !isSpace($0) })
                else { return false }
                // ASCII letters fold to lower case with 0x20; '-' is unchanged by it.
                return token[start...end].elementsEqual(respondAsync) { $0 | 0x20 == $1 }
            }
        }
    }

    private static let preferHeader = HTTPField.Name("Prefer")!
    private static let respondAsync = Array("respond-async".utf8)
}

extension String {
    func replacingFirst(_ target: String, with replacement: String) -> String {
        guard let range = firstRange(of: target) else { return self }
        var copy = self
        copy.replaceSubrange(range, with: replacement)
        return copy
    }
}
