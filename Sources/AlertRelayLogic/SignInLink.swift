import Crypto

/// The signed, expiring capability each link of an owner e-mail carries (issue 11): who may sign in (a member of an
/// organization), to which app's page, until when. It is an HMAC-SHA256 over organization, app, member and expiry with
/// the server's link key (`ALERT_RELAY_LINK_KEY`), so a link stops working when the key changes, when it expires, and
/// (checked by the caller against the database) when its member is removed.
///
/// Token text: `<member id>.<expiry, Unix seconds>.<base64url MAC>` (URL-safe as it is, about 60 characters).
/// Organization and app are not in the text: they come from the page's path and are part of the MAC, so a token
/// opened on another organization's or app's address does not verify.
public enum SignInLink {
    /// How long a link from an e-mail is valid.
    public static let lifetimeSeconds: Int64 = 7 * 86_400

    /// What a verified token names.
    public struct Claims: Sendable, Equatable {
        public var memberID: Int64
        public var expiresAt: Int64

        public init(memberID: Int64, expiresAt: Int64) {
            self.memberID = memberID
            self.expiresAt = expiresAt
        }
    }

    /// Why a token was refused; each has its own sentence on the page.
    public enum Refusal: Error, Sendable, Equatable {
        /// Not a token this server makes (cut, altered, made with another key, or for another app or organization).
        case invalid
        /// A real token past its expiry.
        case expired
    }

    /// The token for `memberID` on app `appID` of organization `organizationID`, valid until `expiresAt`.
    public static func sign(organizationID: Int64, appID: Int64, memberID: Int64, expiresAt: Int64, key: String) -> String {
        "\(memberID).\(expiresAt)." + Base64.encodeURLSafe(mac(organizationID, appID, memberID, expiresAt, key: key))
    }

    /// The claims of `token` when its MAC is right for this organization, app and key and it has not expired at `now`.
    /// The MAC is checked before the expiry, so an altered expiry is `invalid`, never `expired`.
    public static func verify(_ token: String, organizationID: Int64, appID: Int64, key: String, now: Int64)
        throws(Refusal) -> Claims
    {
        let parts = token.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
            .map { String(decoding: $0, as: UTF8.self) }
        // Numbers only in the form `sign` writes them (no leading zeros): one capability has one spelling.
        guard parts.count == 3, token.utf8.count <= 200,
            let memberID = InputRules.id(parts[0]), String(memberID) == parts[0],
            let expiresAt = InputRules.id(parts[1]), String(expiresAt) == parts[1],
            let given = Base64.decodeURLSafe(parts[2]), Base64.encodeURLSafe(given) == parts[2]
        else { throw .invalid }
        let expected = mac(organizationID, appID, memberID, expiresAt, key: key)
        guard ConstantTime.equal(given, expected) else { throw .invalid }
        guard now < expiresAt else { throw .expired }
        return Claims(memberID: memberID, expiresAt: expiresAt)
    }

    /// The MAC of one message per field set; the version prefix and newlines keep fields from running together.
    static func mac(_ organizationID: Int64, _ appID: Int64, _ memberID: Int64, _ expiresAt: Int64, key: String) -> [UInt8] {
        let message = "alert-relay sign-in v1\n\(organizationID)\n\(appID)\n\(memberID)\n\(expiresAt)"
        return Array(HMAC<SHA256>.authenticationCode(for: Array(message.utf8), using: SymmetricKey(data: Array(key.utf8))))
    }
}
