import AlertRelayDelivery
import AlertRelayLogic
import AlertRelayStore
import HTTPCore
import HTTPTypes
import PostgresClient

/// Resolves the bearer token of a request and checks access to organizations.
public enum Authenticator {
    public static func authenticate(
        request: Request, config: Config, cache: TokenCache, db: PostgresConnection
    ) throws -> Principal {
        guard let header = request.headers[.authorization] else { throw APIError.unauthorized }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { throw APIError.unauthorized }
        return try principal(forToken: parts[1].trimmingWhitespace(), config: config, cache: cache, db: db)
    }

    /// The caller behind a token's text (the admin token or an organization token); 401 when it is none.
    public static func principal(
        forToken token: String, config: Config, cache: TokenCache, db: PostgresConnection
    ) throws -> Principal {
        guard !token.isEmpty, token.utf8.count <= 512 else { throw APIError.unauthorized }
        if let admin = config.adminToken, ConstantTime.equal(token, admin) {
            return .admin
        }
        let hash = TokenHash.sha256Hex(token)
        if GrantStore.isTokenShaped(token) {
            // Not cached: an installation token must stop working at once when it is refreshed, expires or its
            // installation is removed, in every process (and integrations use it rarely).
            guard let owner = try GrantStore.tokenOwner(hash: hash, db: db) else { throw APIError.unauthorized }
            return .installation(
                tokenID: owner.tokenID, installationID: owner.installationID, organizationID: owner.organizationID)
        }
        if let cached = cache.principal(forHash: hash) { return cached }
        let generation = cache.generation
        guard let row = try TokenStore.find(hash: hash, db: db) else {
            throw APIError.unauthorized
        }
        let principal = Principal.token(id: row.id, organizationID: row.organizationID, scopes: row.scopes)
        cache.store(principal, forHash: hash, readIn: generation)
        return principal
    }

    /// Authenticates and checks `scope` before anything the request addresses is looked up: 401 without a valid
    /// token, 403 `missing_scope` for an organization token lacking the scope. The answer depends on the token alone,
    /// so it tells nothing about what exists.
    public static func authorize(_ request: Request, _ context: RequestContext, scope: Scope) throws -> Principal {
        let principal = try context.principal(for: request)
        if case .installation = principal { throw installationTokenRefused }
        guard principal.has(scope) else {
            throw APIError.forbidden("This token lacks the '\(scope.rawValue)' scope.", code: "missing_scope")
        }
        return principal
    }

    /// Authenticates and checks that the caller may act on organization `slug` with `scope`:
    /// 403 for a token of another organization or without the scope; 404 when the organization does not exist.
    public static func authorize(
        _ request: Request, _ context: RequestContext, organization slug: String, scope: Scope
    ) throws -> Organization {
        let principal = try context.principal(for: request)
        switch principal {
        case .admin:
            guard Slug.isValid(slug), let organization = try OrganizationStore.find(slug: slug, db: context.db, cache: context.app.cache) else {
                throw APIError.notFound("Organization '\(slug)' does not exist.")
            }
            return organization
        case .installation:
            throw installationTokenRefused
        case .token(_, let organizationID, _):
            guard let organization = try OrganizationStore.find(id: organizationID, db: context.db, cache: context.app.cache),
                organization.slug == slug
            else {
                throw APIError.forbidden("This token does not belong to organization '\(slug)'.")
            }
            guard principal.has(scope) else {
                throw APIError.forbidden("This token lacks the '\(scope.rawValue)' scope.", code: "missing_scope")
            }
            return organization
        }
    }

    /// Checks `scope` for a resource owned by organization `ownerID`; a token of another organization gets 404 so
    /// that existence does not leak (`notFound` is the sentence to use).
    public static func authorize(
        _ request: Request, _ context: RequestContext, ownerID: Int64, scope: Scope, notFound: APIError
    ) throws -> Principal {
        let principal = try context.principal(for: request)
        switch principal {
        case .admin:
            break
        case .installation:
            throw installationTokenRefused
        case .token(_, let organizationID, _):
            guard organizationID == ownerID else { throw notFound }
            guard principal.has(scope) else {
                throw APIError.forbidden("This token lacks the '\(scope.rawValue)' scope.", code: "missing_scope")
            }
        }
        return principal
    }

    /// An installation token on any route but its installation's own (`InstallationRoutes`).
    static let installationTokenRefused = APIError.forbidden(
        "An installation token may only read and verify its own installation (/api/0/sentry-app-installations/{uuid}/).")
}
