import Crypto

/// The reference signature header `Sentry-Hook-Signature` (BEHAVIOUR A2).
public enum SentryHookSignature {
    /// Lowercase hex HMAC-SHA256 of the exact body bytes, keyed with the client secret's UTF-8 bytes.
    public static func sign(body: [UInt8], secret: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Array(secret.utf8)))
        return Hex.encode(mac)
    }
}

/// Standard Webhooks signatures (`webhook-signature`, BEHAVIOUR B5), https://www.standardwebhooks.com
public enum StandardWebhookSignature {
    /// `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, keyed with the secret's UTF-8 bytes (not base64-decoded).
    public static func sign(messageID: String, timestamp: Int64, body: [UInt8], secret: String) -> String {
        var message = Array(messageID.utf8)
        message.append(UInt8(ascii: "."))
        message.append(contentsOf: String(timestamp).utf8)
        message.append(UInt8(ascii: "."))
        message.append(contentsOf: body)
        let mac = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: Array(secret.utf8)))
        return "v1," + Base64.encode(Array(mac))
    }

    /// The header value: one `v1,...` per secret, space-separated (several during a secret-rotation grace period).
    public static func header(messageID: String, timestamp: Int64, body: [UInt8], secrets: [String]) -> String {
        secrets.map { sign(messageID: messageID, timestamp: timestamp, body: body, secret: $0) }
            .joined(separator: " ")
    }

    /// What a receiver hands to an off-the-shelf verifier: `whsec_` + base64 of the secret's UTF-8 bytes.
    public static func verifierSecret(for secret: String) -> String {
        "whsec_" + Base64.encode(Array(secret.utf8))
    }
}

/// Hashes for storing API tokens.
public enum TokenHash {
    /// Lowercase hex SHA-256 of the text's UTF-8 bytes.
    public static func sha256Hex(_ text: String) -> String {
        Hex.encode(SHA256.hash(data: Array(text.utf8)))
    }
}

/// Random identifiers and secrets from the system's cryptographically secure generator.
public enum RandomToken {
    /// `prefix` + URL-safe base64 (no padding) of `bytes` random bytes.
    public static func make(prefix: String, bytes: Int = 32) -> String {
        prefix + Base64.encodeURLSafe(randomBytes(max(bytes, 0)))
    }

    /// `bytes` random bytes as lowercase hex (Sentry's grant codes, tokens and client ids look like this).
    public static func hex(bytes: Int) -> String {
        Hex.encode(randomBytes(max(bytes, 0)))
    }

    /// A random (version 4) UUID as 32 lowercase hex digits, no dashes (the `Request-ID` header).
    public static func uuid4Hex() -> String {
        Hex.encode(uuid4Bytes())
    }

    /// A random (version 4) UUID, hyphenated lowercase (`xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx`).
    public static func uuid4() -> String {
        let hex = Array(uuid4Hex())
        return String(hex[0..<8]) + "-" + String(hex[8..<12]) + "-" + String(hex[12..<16]) + "-"
            + String(hex[16..<20]) + "-" + String(hex[20..<32])
    }

    static func uuid4Bytes() -> [UInt8] {
        var b = randomBytes(16)
        b[6] = (b[6] & 0x0F) | 0x40
        b[8] = (b[8] & 0x3F) | 0x80
        return b
    }

    /// `count` bytes from swift-crypto's generator (BoringSSL's `RAND_bytes`: seeded from the kernel, then no
    /// system call per draw, unlike `SystemRandomNumberGenerator`'s one per 8 bytes).
    static func randomBytes(_ count: Int) -> [UInt8] {
        guard count > 0 else { return [] }
        return SymmetricKey(size: SymmetricKeySize(bitCount: count * 8)).withUnsafeBytes { Array($0) }
    }
}
