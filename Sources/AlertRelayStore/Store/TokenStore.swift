import AlertRelayLogic
import PostgresClient

/// SQL for organization API tokens; only the SHA-256 of a token is stored.
public enum TokenStore {
    package struct Row {
        package let id: Int64
        package let organizationID: Int64
        package let scopes: Set<Scope>
    }

    /// A token just made: the only time its text is known.
    public struct Created: Sendable {
        public var id: Int64
        public var name: String
        public var token: String
        public var scopes: [Scope]
        public var dateCreated: String
    }

    package static func find(hash: String, db: PostgresConnection) throws -> Row? {
        let rows = try db.query("SELECT id, organization_id, scopes FROM api_tokens WHERE token_hash = $1", hash)
        guard let row = rows.first else { return nil }
        let scopes = try row.decode(2, as: [String].self).compactMap(Scope.init(rawValue:))
        return Row(id: try row.decode(0, as: Int64.self), organizationID: try row.decode(1, as: Int64.self), scopes: Set(scopes))
    }

    /// Creates a token; the result holds its text, which is stored only as a hash.
    public static func create(organizationID: Int64, name: String, scopes: [Scope], db: PostgresConnection) throws -> Created {
        let token = RandomToken.make(prefix: "art_", bytes: 32)
        let names = scopes.map(\.rawValue)
        let rows = try db.query(
            """
            INSERT INTO api_tokens (organization_id, name, token_hash, scopes) VALUES ($1, $2, $3, $4)
            RETURNING id, rfc3339(date_created)
            """, organizationID, name, TokenHash.sha256Hex(token), names)
        return Created(
            id: try rows[0].decode(0, as: Int64.self), name: name, token: token, scopes: scopes,
            dateCreated: try rows[0].decode(1, as: String.self))
    }

    public static func delete(organizationID: Int64, id: Int64, db: PostgresConnection) throws -> Bool {
        try db.execute("DELETE FROM api_tokens WHERE organization_id = $1 AND id = $2", organizationID, id) > 0
    }
}
