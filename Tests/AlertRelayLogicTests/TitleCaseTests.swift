import Testing

@testable import AlertRelayLogic

@Suite struct TitleCaseTests {
    // Expected values from python3 3.11: print(repr(text.title())) for each input.
    static let vectors: [(String, String)] = [
        ("TestApp", "Testapp"),
        ("my app2go", "My App2Go"),
        ("hello-world's", "Hello-World'S"),
        ("\u{E9}lan vital", "\u{C9}lan Vital"),
        ("", ""),
        ("a", "A"),
        ("A", "A"),
        ("ALL CAPS NAME", "All Caps Name"),
        ("mIxEd CaSe", "Mixed Case"),
        ("snake_case_name", "Snake_Case_Name"),
        ("x1y2z3", "X1Y2Z3"),
        ("123abc", "123Abc"),
        ("abc123def", "Abc123Def"),
        ("they're bill's friends", "They'Re Bill'S Friends"),
        ("\u{1C6}emal", "\u{1C5}emal"),
        ("\u{1C5}", "\u{1C5}"),
        ("stra\u{DF}e", "Stra\u{DF}e"),
        ("\u{FB01}sh \u{FB02}ow", "Fish Flow"),
        ("\u{3A3}\u{399}\u{3A3}\u{3A5}\u{3A6}\u{39F}\u{3A3}", "\u{3A3}\u{3B9}\u{3C3}\u{3C5}\u{3C6}\u{3BF}\u{3C2}"),
        ("\u{1F48}\u{394}\u{3A5}\u{3A3}\u{3A3}\u{395}\u{38E}\u{3A3}", "\u{1F48}\u{3B4}\u{3C5}\u{3C3}\u{3C3}\u{3B5}\u{3CD}\u{3C2}"),
        ("\u{39F}\u{394}\u{39F}\u{3A3} \u{3A3}\u{391}", "\u{39F}\u{3B4}\u{3BF}\u{3C2} \u{3A3}\u{3B1}"),
        ("hello\u{9}world\u{A}new", "Hello\u{9}World\u{A}New"),
        ("\u{65E5}\u{672C}\u{8A9E} app", "\u{65E5}\u{672C}\u{8A9E} App"),
        ("\u{FC}ber-\u{C4}pp", "\u{DC}ber-\u{C4}pp"),
        ("\u{149}", "\u{2BC}N"),
        ("\u{130}stanbul", "\u{130}stanbul"),
        ("\u{FB00}", "Ff"),
        ("\u{1C8}udevit", "\u{1C8}udevit"),
        ("emoji \u{1F600}app", "Emoji \u{1F600}App"),
        ("\u{1F3} \u{1F2} \u{1F1}", "\u{1F2} \u{1F2} \u{1F2}"),
        ("Sentry App #1", "Sentry App #1"),
        ("o'neil mc donald", "O'Neil Mc Donald"),
        ("a.b.c", "A.B.C"),
        ("\u{2BC}n", "\u{2BC}N"),
        ("\u{1FB3} \u{1FBC}", "\u{1FBC} \u{1FBC}"),
    ]

    @Test func matchesPythonStrTitle() {
        for (input, expected) in Self.vectors {
            #expect(Array(TitleCase.python(input).unicodeScalars) == Array(expected.unicodeScalars), "\(input)")
        }
    }

    @Test(arguments: [("TestApp", "Testapp"), ("my app2go", "My App2Go"), ("hello-world's", "Hello-World'S"), ("élan vital", "Élan Vital")])
    func briefExamples(input: String, expected: String) {
        #expect(TitleCase.python(input) == expected)
    }
}
