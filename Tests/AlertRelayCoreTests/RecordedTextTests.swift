import Testing

@testable import AlertRelayCore

/// What an attempt's record keeps of a response: text PostgreSQL can store, capped on character boundaries.
struct RecordedTextTests {
    @Test func responseBodiesBecomeStorableText() {
        #expect(DeliveryAttempt.storableText(Array("plain {\"ok\":true}".utf8)) == "plain {\"ok\":true}")
        #expect(DeliveryAttempt.storableText([0x61, 0x00, 0x62]) == "a\u{FFFD}b")
        // Invalid UTF-8 is repaired byte by byte; NUL next to it is replaced too.
        #expect(DeliveryAttempt.storableText([0x00, 0xFF, 0xC3, 0x28, 0x00]) == "\u{FFFD}\u{FFFD}\u{FFFD}(\u{FFFD}")
        #expect(DeliveryAttempt.storableText(Array("é😀".utf8)) == "é😀")
        #expect(DeliveryAttempt.storableText([]) == "")
        #expect(!DeliveryAttempt.withoutNUL("x\u{0}\u{0}y").utf8.contains(0))
        #expect(DeliveryAttempt.withoutNUL("x\u{0}\u{0}y") == "x\u{FFFD}\u{FFFD}y")
    }

    @Test func cappingCutsOnCharacterBoundaries() {
        #expect(DeliveryAttempt.capped("abcdef", 3) == "abc")
        #expect(DeliveryAttempt.capped("abc", 3) == "abc")
        #expect(DeliveryAttempt.capped("é😀x", 2) == "é😀")
        #expect(DeliveryAttempt.capped("", 0) == "")
    }
}
