import FoundationEssentials

/// Base64 as the signatures, e-mail headers and tokens need it, from Foundation's encoder.
enum Base64 {
    /// Standard alphabet, with padding (RFC 4648 §4).
    static func encode(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
    }

    /// URL-safe alphabet, no padding (RFC 4648 §5).
    static func encodeURLSafe(_ bytes: [UInt8]) -> String {
        var text = encode(bytes)
        text = text.replacing("+", with: "-").replacing("/", with: "_")
        while text.hasSuffix("=") { text.removeLast() }
        return text
    }

    /// URL-safe alphabet without padding only (what `encodeURLSafe` writes); nil for anything else.
    static func decodeURLSafe(_ text: String) -> [UInt8]? {
        guard text.utf8.allSatisfy({ $0 != UInt8(ascii: "+") && $0 != UInt8(ascii: "/") && $0 != UInt8(ascii: "=") })
        else { return nil }
        var standard = text.replacing("-", with: "+").replacing("_", with: "/")
        while standard.utf8.count % 4 != 0 { standard += "=" }
        return Data(base64Encoded: standard).map { Array($0) }
    }
}
