import AlertRelayLogic
import AlertRelayStore

// The JSON shapes of API.md for the store's values: the store returns domain values, the API renders them here.

extension Organization {
    public var json: JSONValue {
        .object(JSONObject([
            ("id", .int64(id)), ("slug", .string(slug)), ("name", .string(name)), ("date_created", .string(dateCreated)),
        ]))
    }
}

extension Project {
    public var json: JSONValue {
        .object(JSONObject([
            ("id", .int64(id)), ("slug", .string(slug)), ("name", .string(name)), ("date_created", .string(dateCreated)),
        ]))
    }
}

extension JSONValue {
    static func optionalString(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
    static func optionalInt(_ value: Int?) -> JSONValue { value.map { .integer(String($0)) } ?? .null }
}

extension App {
    /// The app as its owners see it; the secret only when `includeSecret`.
    public func json(organizationSlug: String, includeSecret: Bool = false) -> JSONValue {
        var object = JSONObject([
            ("id", .int64(id)), ("uuid", .string(uuid)), ("slug", .string(slug)), ("name", .string(name)),
            ("status", .string(status.rawValue)), ("organization", .string(organizationSlug)),
            ("webhook_url", .optionalString(webhookURL)), ("events", .array(events.map(JSONValue.string))),
            ("timeout_ms", .int(timeoutMilliseconds)), ("is_disabled", .bool(isDisabled)),
            ("disabled_at", .optionalString(disabledAt)), ("disabled_reason", .optionalString(disabledReason)),
            ("date_created", .string(dateCreated)), ("client_id", .string(clientID)),
            ("verify_install", .bool(verifyInstall)),
        ])
        if includeSecret { object["client_secret"] = .string(clientSecret) }
        return .object(object)
    }
}

extension Delivery {
    /// The delivery record of API.md.
    public var json: JSONValue {
        .object(JSONObject([
            ("id", .int64(id)), ("request_id", .string(requestID)), ("webhook_id", .string(webhookID)),
            ("event_type", .string(eventType)), ("status", .string(status.rawValue)), ("attempts", .int(attempts)),
            ("response_code", .optionalInt(responseCode)), ("error_class", .optionalString(errorClass)),
            ("next_attempt_at", .optionalString(nextAttemptAt)), ("date_created", .string(dateCreated)),
        ]))
    }
}

extension DeliveryStore.AttemptLogEntry {
    public var json: JSONValue {
        .object(JSONObject([
            ("attempt", .int(attempt)), ("date", .string(date)), ("response_code", .int(responseCode)),
            ("error_class", .optionalString(errorClass)), ("duration_ms", .float(durationMilliseconds)),
        ]))
    }
}

extension RequestLogEntry {
    /// The entry as `GET .../requests` answers it.
    public var json: JSONValue {
        var object = JSONObject([
            ("id", .int64(id)), ("date", .string(date)), ("response_code", .int(responseCode)),
            ("webhook_url", .string(webhookURL)), ("organization_id", .int64(organizationID)),
            ("event_type", .string(eventType)), ("duration_ms", .float(durationMilliseconds)),
            ("error_class", .optionalString(errorClass)),
        ])
        if let errorID { object["error_id"] = .string(errorID) }
        if let projectID { object["project_id"] = .string(projectID) }
        object["request_headers"] = Self.headerObject(requestHeaders)
        object["request_body"] = .string(requestBody)
        object["response_body"] = .string(responseBody)
        object["response_headers"] = Self.headerObject(responseHeaders)
        object["delivery_id"] = deliveryID.map(JSONValue.int64) ?? .null
        object["attempt"] = .int(attempt)
        return .object(object)
    }

    /// Stored `[[name, value], ...]` as a JSON object (Sentry's shape); a repeated name keeps its last value.
    public static func headerObject(_ stored: String) -> JSONValue {
        guard case .array(let pairs)? = try? JSONValue.parse(Array(stored.utf8)) else { return .object(JSONObject()) }
        var object = JSONObject()
        for pair in pairs {
            if case .array(let items) = pair, items.count == 2, case .string(let name) = items[0] {
                object[name] = items[1]
            }
        }
        return .object(object)
    }
}

extension Member {
    public var json: JSONValue {
        .object(JSONObject([
            ("id", .int64(id)), ("email", .string(email)), ("name", .optionalString(name)), ("role", .string(role)),
            ("date_created", .string(dateCreated)),
        ]))
    }
}

extension TokenStore.Created {
    /// The token's text is shown here, once.
    public var json: JSONValue {
        .object(JSONObject([
            ("id", .int64(id)), ("name", .string(name)), ("token", .string(token)),
            ("scopes", .array(scopes.map { .string($0.rawValue) })), ("date_created", .string(dateCreated)),
        ]))
    }
}

extension AuditEntry {
    public var json: JSONValue {
        .object(JSONObject([
            ("id", .int64(id)), ("event", .string(event)), ("data", data), ("actor", .string(actor)),
            ("date_created", .string(dateCreated)),
        ]))
    }
}
