import Crypto
import Testing

@testable import AlertRelayLogic

/// The e-mails' sign-in capability: an HMAC-SHA256 over organization, app, member and expiry.
@Suite struct SignInLinkTests {
    let key = "k3y-of-at-least-thirty-two-characters-000"
    let now: Int64 = 1_796_000_000

    func token(org: Int64 = 7, app: Int64 = 42, member: Int64 = 3, expires: Int64? = nil, key: String? = nil) -> String {
        SignInLink.sign(
            organizationID: org, appID: app, memberID: member, expiresAt: expires ?? now + SignInLink.lifetimeSeconds,
            key: key ?? self.key)
    }

    func verify(_ token: String, org: Int64 = 7, app: Int64 = 42, key: String? = nil, at time: Int64? = nil)
        -> Result<SignInLink.Claims, SignInLink.Refusal>
    {
        Result { () throws(SignInLink.Refusal) in
            try SignInLink.verify(token, organizationID: org, appID: app, key: key ?? self.key, now: time ?? now)
        }
    }

    @Test func signsAndVerifies() throws {
        let text = token()
        #expect(try verify(text).get() == SignInLink.Claims(memberID: 3, expiresAt: now + 7 * 86_400))
        // URL-safe as it is, and short.
        #expect(text.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A) || $0 == 0x2D || $0 == 0x5F || $0 == 0x2E })
        #expect(text.utf8.count < 80)
        #expect(text.hasPrefix("3.\(now + 7 * 86_400)."))
    }

    /// The MAC, recomputed independently over the documented message.
    @Test func macIsHMACSHA256OfTheDocumentedMessage() {
        let expires = now + 100
        let message = "alert-relay sign-in v1\n7\n42\n3\n\(expires)"
        let mac = HMAC<SHA256>.authenticationCode(for: Array(message.utf8), using: SymmetricKey(data: Array(key.utf8)))
        #expect(token(expires: expires) == "3.\(expires)." + Base64.encodeURLSafe(Array(mac)))
    }

    @Test func expiresAtItsExpiry() {
        let expires = now + 60
        let text = token(expires: expires)
        #expect((try? verify(text, at: expires - 1).get()) != nil)
        #expect(verify(text, at: expires) == .failure(.expired))
        #expect(verify(text, at: expires + 86_400) == .failure(.expired))
    }

    @Test func wrongKeyOrganizationOrAppIsInvalid() {
        let text = token()
        #expect(verify(text, key: key + "x") == .failure(.invalid))
        #expect(verify(text, key: String(key.dropLast())) == .failure(.invalid))
        #expect(verify(text, org: 8) == .failure(.invalid))
        #expect(verify(text, app: 43) == .failure(.invalid))
        // Organization and app cannot trade places either.
        #expect(verify(token(org: 42, app: 7), org: 7, app: 42) == .failure(.invalid))
    }

    /// Every change of the text is refused as invalid (an altered expiry too: never "expired").
    @Test func tamperedTokensAreInvalid() {
        let text = token()
        let parts = text.split(separator: ".").map(String.init)
        let mac = parts[2]
        let flipped = (mac.first == "A" ? "B" : "A") + mac.dropFirst()
        let tampered = [
            "4.\(parts[1]).\(mac)",                       // another member
            "3.\(now + 30 * 86_400).\(mac)",              // a later expiry
            "3.\(now - 1).\(mac)",                        // an earlier expiry
            "3.\(parts[1]).\(flipped)",                   // a changed MAC
            "3.\(parts[1]).\(mac.dropLast())",            // a cut MAC
            "3.\(parts[1]).\(mac)A",                      // a longer MAC
            "3.\(parts[1]).\(mac.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/"))=",
            "03.\(parts[1]).\(mac)",                      // the same number spelt otherwise
            "",
            "3",
            "3.\(parts[1])",
            "3.\(parts[1]).\(mac).x",
            "-3.\(parts[1]).\(mac)",
            "3.\(parts[1]).",
            ".\(parts[1]).\(mac)",
            String(repeating: "9", count: 300),
        ]
        for candidate in tampered {
            #expect(candidate != text)
            #expect(verify(candidate) == .failure(.invalid), "\(candidate)")
        }
    }

    @Test func constantTimeEqual() {
        #expect(ConstantTime.equal([1, 2, 3], [1, 2, 3]))
        #expect(!ConstantTime.equal([1, 2, 3], [1, 2, 4]))
        #expect(!ConstantTime.equal([1, 2, 3], [1, 2]))
        #expect(!ConstantTime.equal([1, 2], [1, 2, 3]))
        #expect(ConstantTime.equal([], []))
        #expect(ConstantTime.equal("art_abc", "art_abc"))
        #expect(!ConstantTime.equal("art_abc", "art_abd"))
        #expect(!ConstantTime.equal("", "x"))
    }
}

extension String {
    fileprivate func replacingOccurrences(of target: String, with replacement: String) -> String {
        split(separator: Character(target), omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
