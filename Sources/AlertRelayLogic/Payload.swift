/// Everything the alert webhook body is built from (BEHAVIOUR A2).
public struct AlertPayloadInput: Sendable {
    /// The caller's event object, sent back with our link fields added.
    public var event: JSONObject
    /// The alert rule's label (`data.triggered_rule`).
    public var rule: String
    public var installationUUID: String
    public var orgSlug: String
    public var projectSlug: String
    public var projectID: Int64
    /// The group (issue) id as given, digits.
    public var groupID: String
    public var eventID: String
    /// The public URL prefix; a trailing slash is ignored.
    public var urlPrefix: String
    /// The extra key under `data` (the reference uses `issue_alert`), with `additionalPayload`.
    public var additionalKey: String?
    public var additionalPayload: JSONValue?

    public init(
        event: JSONObject, rule: String, installationUUID: String, orgSlug: String, projectSlug: String,
        projectID: Int64, groupID: String, eventID: String, urlPrefix: String,
        additionalKey: String? = nil, additionalPayload: JSONValue? = nil
    ) {
        self.event = event
        self.rule = rule
        self.installationUUID = installationUUID
        self.orgSlug = orgSlug
        self.projectSlug = projectSlug
        self.projectID = projectID
        self.groupID = groupID
        self.eventID = eventID
        self.urlPrefix = urlPrefix
        self.additionalKey = additionalKey
        self.additionalPayload = additionalPayload
    }
}

/// The `event_alert` webhook body.
public enum AlertPayload {
    /// `{"action":"triggered","installation":{"uuid":..},"data":{"event":..,"triggered_rule":..[,key:payload]},"actor":{..}}`.
    ///
    /// The event gets `url`, `web_url`, `issue_url`, `issue_id` (string) and `project` (number); an existing key keeps
    /// its position, new ones are appended in that order. Like the reference, the extra payload is added only when
    /// the key is non-empty and the payload is truthy in Python terms (not null, `{}`, `[]`, `""`, `false` or 0).
    /// Serialize with `serialized()`: the bytes are a fixed point of Python's compact `json.dumps`.
    public static func build(_ input: AlertPayloadInput) -> JSONValue {
        let urls = eventURLs(
            prefix: input.urlPrefix, orgSlug: input.orgSlug, projectSlug: input.projectSlug,
            groupID: input.groupID, eventID: input.eventID)
        var event = input.event
        event["url"] = .string(urls.url)
        event["web_url"] = .string(urls.webURL)
        event["issue_url"] = .string(urls.issueURL)
        event["issue_id"] = .string(input.groupID)
        event["project"] = .integer(String(input.projectID))

        var data = JSONObject()
        data["event"] = .object(event)
        data["triggered_rule"] = .string(input.rule)
        if let key = input.additionalKey, !key.isEmpty, let payload = input.additionalPayload, isTruthy(payload) {
            data[key] = payload
        }

        return PlatformEvent.body(action: "triggered", installationUUID: input.installationUUID, data: data)
    }

    /// The three links added to the event; `prefix` may end with one slash.
    public static func eventURLs(
        prefix: String, orgSlug: String, projectSlug: String, groupID: String, eventID: String
    ) -> (url: String, webURL: String, issueURL: String) {
        let base = prefix.hasSuffix("/") ? String(prefix.dropLast()) : prefix
        return (
            url: "\(base)/api/0/projects/\(orgSlug)/\(projectSlug)/events/\(eventID)/",
            webURL: "\(base)/organizations/\(orgSlug)/issues/\(groupID)/events/\(eventID)/",
            issueURL: "\(base)/api/0/issues/\(groupID)/"
        )
    }

    static func isTruthy(_ v: JSONValue) -> Bool {
        switch v {
        case .null: return false
        case .bool(let b): return b
        case .integer(let digits): return digits.contains { $0 != "0" && $0 != "-" }
        case .float(let d): return d != 0
        case .string(let s): return !s.isEmpty
        case .array(let a): return !a.isEmpty
        case .object(let o): return !o.isEmpty
        }
    }
}
