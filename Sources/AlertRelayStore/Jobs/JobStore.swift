import AlertRelayLogic
import PostgresClient
import SystemSupport

/// Writing jobs into the job table (the worker's side of it, claiming and finishing, is in `JobQueue`).
public enum JobStore {
    /// Job kinds.
    public enum Kind {
        public static let email = "email"
    }

    /// One e-mail job, fully rendered, with a `Message-ID` fixed now so a resend after a crash carries the same id.
    public static func enqueueEmail(
        to: String, from: String, email: RenderedEmail, maxAttempts: Int, db: PostgresConnection
    ) throws {
        let domain = from.split(separator: "@").last.map(String.init) ?? "localhost"
        let messageID = "<\(RandomToken.uuid4Hex())@\(domain)>"
        let payload = JSONValue.object(JSONObject([
            ("to", .string(to)), ("from", .string(from)), ("subject", .string(email.subject)),
            ("text", .string(email.text)), ("html", .string(email.html)), ("message_id", .string(messageID)),
            ("date", .integer(String(WallClock.unixSeconds()))),
        ]))
        try db.execute(
            "INSERT INTO jobs (kind, payload, max_attempts) VALUES ($1, $2::jsonb, $3)",
            Kind.email, String(decoding: payload.serialized(), as: UTF8.self), maxAttempts)
    }

    /// Counts by kind and state, for `/metrics`.
    public static func counts(db: PostgresConnection) throws -> [(kind: String, state: String, count: Int)] {
        try db.query("SELECT kind, state, count(*)::bigint FROM jobs GROUP BY kind, state ORDER BY kind, state").map {
            (try $0.decode(0, as: String.self), try $0.decode(1, as: String.self), try $0.decode(2, as: Int.self))
        }
    }
}
