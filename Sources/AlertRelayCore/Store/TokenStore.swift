import AlertRelayLogic
import PostgresClient

/// SQL for organization API tokens; only the SHA-256 of a token is stored.
public enum TokenStore {
    struct Row {
        let id: Int64
        let organizationID: Int64
        let scopes: Set<Scope>
    }

    static func find(hash: String, db: PostgresConnection) throws -> Row? {
        let rows = try db.query("SELECT id, organization_id, scopes FROM api_tokens WHERE token_hash = $1", hash)
        guard let row = rows.first else { return nil }
        let scopes = try row.decode(2, as: [String].self).compactMap(Scope.init(rawValue:))
        return Row(id: try row.decode(0, as: Int64.self), organizationID: try row.decode(1, as: Int64.self), scopes: Set(scopes))
    }

    /// Creates a token and returns its JSON, the only time the token text is shown.
    public static func create(organizationID: Int64, name: String, scopes: [Scope], db: PostgresConnection) throws -> JSONValue {
        let token = RandomToken.make(prefix: "art_", bytes: 32)
        let names = scopes.map(\.rawValue)
        let rows = try db.query(
            """
            INSERT INTO api_tokens (organization_id, name, token_hash, scopes) VALUES ($1, $2, $3, $4)
            RETURNING id, rfc3339(date_created)
            """, organizationID, name, TokenHash.sha256Hex(token), names)
        return .object(JSONObject([
            ("id", .int64(try rows[0].decode(0, as: Int64.self))), ("name", .string(name)), ("token", .string(token)),
            ("scopes", .array(names.map(JSONValue.string))), ("date_created", .string(try rows[0].decode(1, as: String.self))),
        ]))
    }

    public static func delete(organizationID: Int64, id: Int64, db: PostgresConnection) throws -> Bool {
        try db.execute("DELETE FROM api_tokens WHERE organization_id = $1 AND id = $2", organizationID, id) > 0
    }
}
