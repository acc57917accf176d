/// A permission an organization token may hold; `org:admin` implies `org:write` implies `org:read`.
public enum Scope: String, Sendable, CaseIterable {
    case orgRead = "org:read"
    case orgWrite = "org:write"
    case orgAdmin = "org:admin"
    case alertsWrite = "alerts:write"

    /// Whether holding `self` grants `needed`.
    func grants(_ needed: Scope) -> Bool {
        switch (self, needed) {
        case (.orgAdmin, .orgAdmin), (.orgAdmin, .orgWrite), (.orgAdmin, .orgRead): true
        case (.orgWrite, .orgWrite), (.orgWrite, .orgRead): true
        case (.orgRead, .orgRead): true
        case (.alertsWrite, .alertsWrite): true
        default: false
        }
    }
}

/// Who is calling.
public enum Principal: Sendable, Equatable {
    /// The operator's token from `ALERT_RELAY_ADMIN_TOKEN`: any organization, any scope.
    case admin
    /// An organization token.
    case token(id: Int64, organizationID: Int64, scopes: Set<Scope>)
    /// An installation token from the token exchange: it may read and verify its own installation and holds no scope.
    case installation(tokenID: Int64, installationID: Int64, organizationID: Int64)

    public func has(_ scope: Scope) -> Bool {
        switch self {
        case .admin: true
        case .token(_, _, let scopes): scopes.contains { $0.grants(scope) }
        case .installation: false
        }
    }

    /// How the audit log names this caller.
    public var actorName: String {
        switch self {
        case .admin: "admin"
        case .token(let id, _, _): "token:\(id)"
        case .installation(let id, _, _): "installation-token:\(id)"
        }
    }
}
