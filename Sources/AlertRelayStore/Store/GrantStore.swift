import AlertRelayLogic
import PostgresClient

/// SQL for an installation's credentials (sql/010): its single-use grant code and the installation token the code is
/// exchanged for (Sentry's token exchange). Codes and tokens are random hex, stored only as their SHA-256.
public enum GrantStore {
    /// How long a grant code may be exchanged (Sentry's `ApiGrant`: ten minutes).
    public static let codeLifetimeSeconds = 600
    /// How long an installation token is valid (Sentry's `TOKEN_LIFE_IN_HOURS`: eight hours).
    public static let tokenLifetimeSeconds = 8 * 3600

    /// Gives a new installation its grant code and returns it (the only time it is known in clear).
    public static func createGrant(installationID: Int64, db: PostgresConnection) throws -> String {
        let code = RandomToken.hex(bytes: 16)
        try db.execute(
            """
            INSERT INTO installation_grants (installation_id, code_hash, expires_at)
            VALUES ($1, $2, now() + make_interval(secs => $3))
            """, installationID, TokenHash.sha256Hex(code), codeLifetimeSeconds)
        return code
    }

    /// A token just issued: the only time its text and refresh token are known in clear.
    public struct IssuedToken: Sendable, Equatable {
        public var id: Int64
        public var token: String
        public var refreshToken: String
        public var expiresAt: String
        public var dateCreated: String
    }

    /// What exchanging a grant code did.
    public enum Exchange: Sendable, Equatable {
        case issued(IssuedToken)
        /// No grant of this installation has this code (never issued, already exchanged, or another installation's).
        case unknownCode
        /// The code was right but is past its ten minutes; it is gone now.
        case expiredCode
    }

    /// Exchanges the installation's grant code for its token in one statement: the grant is deleted whatever the
    /// outcome once the code matched (a code works once, and an expired one never again), and the installation's
    /// token is replaced by a new one. Two concurrent exchanges of one code: one gets the token, the other
    /// `unknownCode`.
    public static func exchange(installationID: Int64, code: String, db: PostgresConnection) throws -> Exchange {
        let token = RandomToken.hex(bytes: 32)
        let refresh = RandomToken.hex(bytes: 32)
        let rows = try db.query(
            """
            WITH g AS (
                DELETE FROM installation_grants WHERE installation_id = $1 AND code_hash = $2
                RETURNING expires_at > now() AS live
            ), t AS (
                INSERT INTO installation_tokens (installation_id, token_hash, refresh_token_hash, expires_at)
                SELECT $1, $3, $4, now() + make_interval(secs => $5) FROM g WHERE g.live
                ON CONFLICT (installation_id) DO UPDATE
                    SET id = nextval('installation_tokens_id_seq'), token_hash = excluded.token_hash,
                        refresh_token_hash = excluded.refresh_token_hash, expires_at = excluded.expires_at,
                        date_created = now()
                RETURNING id, rfc3339(expires_at) AS expires_at, rfc3339(date_created) AS date_created
            )
            SELECT g.live, t.id, t.expires_at, t.date_created FROM g LEFT JOIN t ON true
            """, installationID, TokenHash.sha256Hex(code), TokenHash.sha256Hex(token), TokenHash.sha256Hex(refresh),
            tokenLifetimeSeconds)
        guard let row = rows.first else { return .unknownCode }
        guard try row.decode(0, as: Bool.self), let id = try row.decode(1, as: Int64?.self) else { return .expiredCode }
        return .issued(IssuedToken(
            id: id, token: token, refreshToken: refresh, expiresAt: try row.decode(2, as: String.self),
            dateCreated: try row.decode(3, as: String.self)))
    }

    /// Replaces the installation's token and refresh token when `refreshToken` is its current refresh token (the old
    /// pair stops working at once); nil otherwise.
    public static func refresh(installationID: Int64, refreshToken: String, db: PostgresConnection) throws -> IssuedToken? {
        let token = RandomToken.hex(bytes: 32)
        let refresh = RandomToken.hex(bytes: 32)
        let rows = try db.query(
            """
            UPDATE installation_tokens
            SET id = nextval('installation_tokens_id_seq'), token_hash = $3, refresh_token_hash = $4,
                expires_at = now() + make_interval(secs => $5), date_created = now()
            WHERE installation_id = $1 AND refresh_token_hash = $2
            RETURNING id, rfc3339(expires_at), rfc3339(date_created)
            """, installationID, TokenHash.sha256Hex(refreshToken), TokenHash.sha256Hex(token),
            TokenHash.sha256Hex(refresh), tokenLifetimeSeconds)
        guard let row = rows.first else { return nil }
        return IssuedToken(
            id: try row.decode(0, as: Int64.self), token: token, refreshToken: refresh,
            expiresAt: try row.decode(1, as: String.self), dateCreated: try row.decode(2, as: String.self))
    }

    /// Whether a bearer token has the form of an installation token (64 lowercase hex digits; organization tokens start
    /// with `art_`), so that only those are looked up among installation tokens.
    public static func isTokenShaped(_ token: String) -> Bool {
        token.utf8.count == 64 && token.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    /// Whose an unexpired installation token is.
    public struct TokenOwner: Sendable, Equatable {
        public var tokenID: Int64
        public var installationID: Int64
        public var organizationID: Int64
    }

    /// The owner of the unexpired installation token with this SHA-256, if any.
    public static func tokenOwner(hash: String, db: PostgresConnection) throws -> TokenOwner? {
        let rows = try db.query(
            """
            SELECT t.id, t.installation_id, i.organization_id FROM installation_tokens t
            JOIN installations i ON i.id = t.installation_id
            WHERE t.token_hash = $1 AND t.expires_at > now()
            """, hash)
        guard let row = rows.first else { return nil }
        return TokenOwner(
            tokenID: try row.decode(0, as: Int64.self), installationID: try row.decode(1, as: Int64.self),
            organizationID: try row.decode(2, as: Int64.self))
    }
}
