import Logging
import Testing

@testable import AlertRelayDelivery
@testable import AlertRelayStore

struct LineLogHandlerTests {
    static func line(_ metadata: Logger.Metadata, _ message: String, level: Logger.Level = .info) -> String {
        String(decoding: LineLogHandler.format(
            unixMicroseconds: 1_764_201_600_250_000, level: level, label: "alert-relay-fcgi", metadata: metadata,
            message: message), as: UTF8.self)
    }

    @Test func writesTheUTCTimeLevelLabelSortedMetadataAndMessage() {
        #expect(Self.line(["b": "2", "a": "1"], "webhook attempt")
            == "2025-11-27T00:00:00.250000Z info alert-relay-fcgi: a=1 b=2 webhook attempt\n")
        #expect(Self.line([:], "started", level: .warning) == "2025-11-27T00:00:00.250000Z warning alert-relay-fcgi: started\n")
    }

    @Test func oneEventIsAlwaysOneLine() {
        // A value or message with a newline cannot forge a second log line.
        let forged = Self.line(["app": "x\n2025-01-01T00:00:00Z critical fake: owned"], "hello\nworld\r\u{1b}[31m")
        #expect(forged.filter { $0 == "\n" }.count == 1)
        #expect(forged.hasSuffix(" hello\\nworld\\r\\u{1b}[31m\n"))
        #expect(forged.contains(#"app="x\n2025-01-01T00:00:00Z critical fake: owned""#))
    }

    @Test func escapesBackslashesC1ControlsAndLineSeparators() {
        // A literal backslash-n stays distinguishable from an escaped newline.
        #expect(Self.line(["k": #"a\nb"#], #"m\n"#).hasSuffix(#" k=a\\nb m\\n"#.appending("\n")))
        #expect(Self.line(["k": "csi\u{9B}31m"], "x\u{2028}y\u{2029}z\u{85}").contains(#"k=csi\u{9b}31m x\u{2028}y\u{2029}z\u{85}"#))
        // Keys are escaped too.
        #expect(Self.line(["bad\nkey": "v"], "m").contains(#" bad\nkey=v m"#))
        // Other non-ASCII text passes unchanged.
        #expect(Self.line(["k": "é😀"], "ü").contains(" k=é😀 ü\n"))
    }

    @Test func quotesValuesThatWouldBeAmbiguous() {
        #expect(Self.line(["k": "a b"], "m").contains(#" k="a b" m"#))
        #expect(Self.line(["k": "a=b"], "m").contains(#" k="a=b" m"#))
        #expect(Self.line(["k": #"say "hi" \o/"#], "m").contains(#" k="say \"hi\" \\o/" m"#))
        #expect(Self.line(["k": ""], "m").contains(#" k="" m"#))
        #expect(Self.line(["k": "plain-value_1.2:3"], "m").contains(" k=plain-value_1.2:3 m"))
    }
}
