import AlertRelayLogic
import PostgresClient

/// A person signed in to the owner pages of one organization (sql/011_owner_page.sql).
public struct OwnerSession: Sendable, Equatable {
    public var id: Int64
    public var organizationID: Int64
    /// The member who opened a sign-in link; nil for a session made with an API token.
    public var memberID: Int64?
    /// How the audit log names this person: `member:<e-mail>` or `token:<id>`.
    public var actor: String
    /// The value every POST form of this session must carry.
    public var csrfToken: String
}

/// SQL for owner-page sessions. The cookie holds a random token; only its SHA-256 is stored, so the table cannot be
/// used to sign in. A session ends when it expires, when its member is removed or its API token deleted (the foreign
/// keys cascade), and when the person signs out.
public enum SessionStore {
    /// How long a session lasts (the cookie's Max-Age too).
    public static let lifetimeSeconds = 12 * 3600

    /// How a session was made.
    public enum Principal: Sendable, Equatable {
        case member(id: Int64, email: String)
        case apiToken(id: Int64)

        var actor: String {
            switch self {
            case .member(_, let email): "member:\(email)"
            case .apiToken(let id): "token:\(id)"
            }
        }
    }

    /// A new session for `principal` in organization `organizationID`, and the token for its cookie. Expired sessions
    /// are deleted by the same statement (sign-ins are rare; this keeps the table to live sessions without a sweep).
    public static func create(organizationID: Int64, principal: Principal, db: PostgresConnection) throws
        -> (token: String, session: OwnerSession)
    {
        let token = RandomToken.make(prefix: "", bytes: 32)
        let csrf = RandomToken.make(prefix: "", bytes: 32)
        var memberID: Int64?
        var apiTokenID: Int64?
        switch principal {
        case .member(let id, _): memberID = id
        case .apiToken(let id): apiTokenID = id
        }
        let rows = try db.query(
            """
            WITH expired AS (
                DELETE FROM owner_sessions WHERE expires_at < now()
            )
            INSERT INTO owner_sessions (token_hash, organization_id, member_id, api_token_id, actor, csrf_token, expires_at)
            VALUES ($1, $2, $3, $4, $5, $6, now() + make_interval(secs => $7))
            RETURNING id
            """, TokenHash.sha256Hex(token), organizationID, memberID, apiTokenID, principal.actor, csrf,
            lifetimeSeconds)
        let session = OwnerSession(
            id: try rows[0].decode(0, as: Int64.self), organizationID: organizationID, memberID: memberID,
            actor: principal.actor, csrfToken: csrf)
        return (token, session)
    }

    /// The live session of the cookie token `token` for organization `organizationID`, if any.
    public static func find(token: String, organizationID: Int64, db: PostgresConnection) throws -> OwnerSession? {
        guard !token.isEmpty, token.utf8.count <= 128 else { return nil }
        let rows = try db.query(
            """
            SELECT id, member_id, actor, csrf_token FROM owner_sessions
            WHERE token_hash = $1 AND organization_id = $2 AND expires_at > now()
            """, TokenHash.sha256Hex(token), organizationID)
        guard let row = rows.first else { return nil }
        return OwnerSession(
            id: try row.decode(0, as: Int64.self), organizationID: organizationID,
            memberID: try row.decode(1, as: Int64?.self), actor: try row.decode(2, as: String.self),
            csrfToken: try row.decode(3, as: String.self))
    }

    /// Ends a session (signing out).
    public static func delete(id: Int64, db: PostgresConnection) throws {
        try db.execute("DELETE FROM owner_sessions WHERE id = $1", id)
    }
}
