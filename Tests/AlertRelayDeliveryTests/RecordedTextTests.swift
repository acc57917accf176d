import Testing

@testable import AlertRelayDelivery
@testable import AlertRelayStore

/// What an attempt's record keeps of a response: text PostgreSQL can store, capped on character boundaries.
struct RecordedTextTests {
    @Test func responseBodiesBecomeStorableText() {
        #expect(RecordedText.storable(Array("plain {\"ok\":true}".utf8)) == "plain {\"ok\":true}")
        #expect(RecordedText.storable([0x61, 0x00, 0x62]) == "a\u{FFFD}b")
        // Invalid UTF-8 is repaired byte by byte; NUL next to it is replaced too.
        #expect(RecordedText.storable([0x00, 0xFF, 0xC3, 0x28, 0x00]) == "\u{FFFD}\u{FFFD}\u{FFFD}(\u{FFFD}")
        #expect(RecordedText.storable(Array("é😀".utf8)) == "é😀")
        #expect(RecordedText.storable([]) == "")
        #expect(!RecordedText.withoutNUL("x\u{0}\u{0}y").utf8.contains(0))
        #expect(RecordedText.withoutNUL("x\u{0}\u{0}y") == "x\u{FFFD}\u{FFFD}y")
    }

    @Test func cappingCutsOnCharacterBoundaries() {
        #expect(RecordedText.capped("abcdef", 3) == "abc")
        #expect(RecordedText.capped("abc", 3) == "abc")
        #expect(RecordedText.capped("é😀x", 2) == "é😀")
        #expect(RecordedText.capped("", 0) == "")
    }
}
