/// An installation as Sentry serializes it for integrations (`SentryAppInstallationSerializer`): in the
/// `installation` webhooks and the answers of `/api/0/sentry-app-installations/{uuid}/`.
public struct InstallationView: Sendable, Equatable {
    public var uuid: String
    /// `pending` or `installed`.
    public var status: String
    public var appUUID: String
    public var appSlug: String
    public var organizationSlug: String
    public var organizationID: Int64

    public init(
        uuid: String, status: String, appUUID: String, appSlug: String, organizationSlug: String, organizationID: Int64
    ) {
        self.uuid = uuid
        self.status = status
        self.appUUID = appUUID
        self.appSlug = appSlug
        self.organizationSlug = organizationSlug
        self.organizationID = organizationID
    }

    /// `{"app":{"uuid","slug"},"organization":{"slug","id"},"uuid","status"[,"code"]}`: Sentry's keys in its order; the
    /// grant `code` only where Sentry shows it (the `installation.created` webhook).
    public func json(code: String? = nil) -> JSONValue {
        var object = JSONObject()
        object["app"] = ["uuid": .string(appUUID), "slug": .string(appSlug)]
        object["organization"] = ["slug": .string(organizationSlug), "id": .integer(String(organizationID))]
        object["uuid"] = .string(uuid)
        object["status"] = .string(status)
        if let code { object["code"] = .string(code) }
        return .object(object)
    }
}

/// The `installation` webhook bodies (Sentry: `SentryAppInstallationNotifier`; docs:
/// integration-platform/webhooks/installation).
public enum InstallationPayload {
    /// `installation.created`, with the single-use grant `code` the integration exchanges for a token.
    public static func created(_ installation: InstallationView, code: String) -> JSONValue {
        body(action: "created", installation, code: code)
    }

    /// `installation.deleted`, built before the installation is removed (the code is no longer known: only its hash
    /// is stored).
    public static func deleted(_ installation: InstallationView) -> JSONValue {
        body(action: "deleted", installation, code: nil)
    }

    static func body(action: String, _ installation: InstallationView, code: String?) -> JSONValue {
        var data = JSONObject()
        data["installation"] = installation.json(code: code)
        return PlatformEvent.body(action: action, installationUUID: installation.uuid, data: data)
    }
}
