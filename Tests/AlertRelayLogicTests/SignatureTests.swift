import Foundation
import Testing

@testable import AlertRelayLogic

@Suite struct SignatureTests {
    // Vectors: python3 hmac/hashlib/base64 and the PyPI `standardwebhooks` package (Webhook(whsec).sign);
    // see SignatureVectors. Also checked once by hand: a two-secret header made by this code passed
    // standardwebhooks' Webhook.verify with either secret's verifierSecret and failed with another secret.

    @Test func sentryHookSignatureMatchesPython() {
        for v in SignatureVectors.vectors {
            #expect(SentryHookSignature.sign(body: Array(v.body.utf8), secret: v.secret) == v.hook)
        }
    }

    @Test func standardWebhookSignatureMatchesPackage() {
        for v in SignatureVectors.vectors {
            let sig = StandardWebhookSignature.sign(
                messageID: v.id, timestamp: v.timestamp, body: Array(v.body.utf8), secret: v.secret)
            #expect(sig == v.standard)
            #expect(StandardWebhookSignature.verifierSecret(for: v.secret) == v.verifier)
        }
    }

    @Test func headerCarriesOneSignaturePerSecret() {
        let body = Array(#"{"a":1}"#.utf8)
        let one = StandardWebhookSignature.sign(messageID: "m", timestamp: 5, body: body, secret: "old")
        let two = StandardWebhookSignature.sign(messageID: "m", timestamp: 5, body: body, secret: "new")
        #expect(one != two)
        #expect(StandardWebhookSignature.header(messageID: "m", timestamp: 5, body: body, secrets: ["old", "new"]) == one + " " + two)
        #expect(StandardWebhookSignature.header(messageID: "m", timestamp: 5, body: body, secrets: ["old"]) == one)
    }

    @Test func standardSignatureVerifiesWithTheWhsecSecret() throws {
        // What a receiver does: strip whsec_, base64-decode the key, HMAC "id.ts.body". Expected values from
        // the PyPI standardwebhooks package: Webhook("whsec_czNjcjN0LcOp").sign("msg_1", 1700000000, body).
        let secret = "s3cr3t-\u{E9}"
        let body = Array(#"{"x":"\u00e9"}"#.utf8)
        let verifier = StandardWebhookSignature.verifierSecret(for: secret)
        #expect(verifier == "whsec_czNjcjN0LcOp")
        let key = try #require(Data(base64Encoded: String(verifier.dropFirst("whsec_".count))))
        #expect(Array(key) == Array(secret.utf8))
        let sig = StandardWebhookSignature.sign(messageID: "msg_1", timestamp: 1_700_000_000, body: body, secret: secret)
        #expect(sig == "v1,F3Dyd20zeFBSLCwYdcRx/NvRr9cNWPfIdzfDE/YeZfI=")
    }

    @Test func tokenHash() {
        for (text, hex) in SignatureVectors.sha256 {
            #expect(TokenHash.sha256Hex(text) == hex)
        }
    }

    @Test func base64MatchesPython() throws {
        for (hex, standard, url) in SignatureVectors.base64 {
            let bytes = try #require(hexBytes(hex))
            #expect(Base64.encode(bytes) == standard)
            #expect(Base64.encodeURLSafe(bytes) == url)
            #expect(Base64.decodeURLSafe(url) == bytes)
        }
        // Only what encodeURLSafe writes: no padding, no standard-alphabet characters, nothing malformed.
        for bad in ["Zg==", "Zg=", "Z", "Zm9v!", "a+b/", "Zg==Zg==", "Zg==="] {
            #expect(Base64.decodeURLSafe(bad) == nil, "\(bad)")
        }
    }

    @Test func hexIsLowercase() {
        #expect(Hex.encode([0x00, 0xAB, 0xFF, 0x10]) == "00abff10")
    }

    @Test func randomTokens() throws {
        let a = RandomToken.make(prefix: "ar_")
        let b = RandomToken.make(prefix: "ar_")
        #expect(a != b)
        #expect(a.hasPrefix("ar_"))
        // 32 bytes → 43 URL-safe base64 characters.
        #expect(a.count == 3 + 43)
        #expect(a.dropFirst(3).allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") })
        // URL-safe base64 without padding: 32 bytes again.
        #expect(Base64.decodeURLSafe(String(a.dropFirst(3)))?.count == 32)
        #expect(RandomToken.make(prefix: "", bytes: 16).count == 22)
        #expect(RandomToken.make(prefix: "x", bytes: 0) == "x")
    }

    @Test func uuid4Formats() throws {
        var seen = Set<String>()
        for _ in 0..<200 {
            let hex = RandomToken.uuid4Hex()
            #expect(hex.count == 32)
            #expect(hex.allSatisfy { "0123456789abcdef".contains($0) })
            let chars = Array(hex)
            #expect(chars[12] == "4")
            #expect("89ab".contains(chars[16]))
            seen.insert(hex)

            let hyphenated = RandomToken.uuid4()
            let parsed = try #require(UUID(uuidString: hyphenated))
            #expect(parsed.uuidString.lowercased() == hyphenated)
            let parts = hyphenated.split(separator: "-").map(\.count)
            #expect(parts == [8, 4, 4, 4, 12])
            #expect(Array(hyphenated)[14] == "4")
            #expect("89ab".contains(Array(hyphenated)[19]))
        }
        #expect(seen.count == 200)
    }

    private func hexBytes(_ hex: String) -> [UInt8]? {
        var out: [UInt8] = []
        var chars = Array(hex)[...]
        while chars.count >= 2 {
            guard let b = UInt8(String(chars.prefix(2)), radix: 16) else { return nil }
            out.append(b)
            chars = chars.dropFirst(2)
        }
        return chars.isEmpty ? out : nil
    }
}

private enum SignatureVectors {
    static let vectors: [(secret: String, body: String, id: String, timestamp: Int64, hook: String, standard: String, verifier: String)] = [
        ("test-secret", "{\"action\":\"triggered\",\"data\":{\"x\":\"\\u00e9/\"}}", "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", 1700000000, "c5dd2163264a5b4e052b26b0353c3726036f175ed32545670373a4158d07d776", "v1,JTTYB8LNJWSTp1EpQ7tewHBKu58EaWpxISfE5t+ZkWk=", "whsec_dGVzdC1zZWNyZXQ="),
        ("", "", "id", 0, "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad", "v1,gz1sM8aA5qHXvLH+5eY0EQphy1f4G6DwEWnQt3iAVLw=", "whsec_"),
        ("\u{E9}\u{E8} unicode \u{1F600} secret", "{\"a\":1}", "0123456789abcdef0123456789abcdef", 1767225599, "1d756046b29bfbfcadd9cef2694485d5f06455794dc7be8973e221faa383bae5", "v1,pEl2LhcnhfTIqXzSyQRN0PGi1dekR9HzVcx/HLz0vm8=", "whsec_w6nDqCB1bmljb2RlIPCfmIAgc2VjcmV0"),
        (String(repeating: "k", count: 100), String(repeating: "x", count: 1000), "a.b", 4102444800, "3e7454caad47b54cbf21e89cd1bcf7e95f1f2c395cb2f8fa29b3a79fd46a998c", "v1,tZANRBfAtzRnyliRGPfH6t5aCydDxKrDGpcXlqaJlg8=", "whsec_a2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2traw=="),
        ("5a8b3c1e9f0d4e7a8b2c6d1e0f3a5b7c9d2e4f6a8b0c1d3e5f7a9b2c4d6e8f0a", "[1,2,3]\u{A}", "webhook-id-1", 1716000000, "cb16b1088de1745c03c759f76066b4186335eb205e8bd5dbbb83c033a0fd5fcd", "v1,J1xVqh/Z4QM1vUKrhYJLIWkw1poBzyQaGcUAO9mKRM4=", "whsec_NWE4YjNjMWU5ZjBkNGU3YThiMmM2ZDFlMGYzYTViN2M5ZDJlNGY2YThiMGMxZDNlNWY3YTliMmM0ZDZlOGYwYQ=="),
    ]
    static let sha256: [(String, String)] = [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("tok_abcdef", "2f7fc76b8548be52ec9ae7642e3270fa19df9f019f1bfef4eb8332bd12158b43"),
        ("\u{E9}\u{1F600}", "1184d1f608158eea09d297565575892231550c403aaa913008d867a97cfd5c76"),
    ]
    static let base64: [(String, String, String)] = [
        ("", "", ""),
        ("66", "Zg==", "Zg"),
        ("666f", "Zm8=", "Zm8"),
        ("666f6f", "Zm9v", "Zm9v"),
        ("666f6f62", "Zm9vYg==", "Zm9vYg"),
        ("666f6f6261", "Zm9vYmE=", "Zm9vYmE"),
        ("666f6f626172", "Zm9vYmFy", "Zm9vYmFy"),
        ("fafbfcfdfeff", "+vv8/f7/", "-vv8_f7_"),
        ("fbffbf", "+/+/", "-_-_"),
    ]
}
