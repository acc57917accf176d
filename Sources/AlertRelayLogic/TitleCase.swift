/// Python's `str.title()`.
public enum TitleCase {
    /// The first cased character after an uncased one gets its titlecase mapping, every other cased
    /// character its lowercase mapping ("TestApp" → "Testapp", "my app2go" → "My App2Go",
    /// "hello-world's" → "Hello-World'S"). Full (multi-character) mappings and Greek final sigma, like CPython.
    public static func python(_ s: String) -> String {
        let scalars = Array(s.unicodeScalars)
        var out = String.UnicodeScalarView()
        var previousIsCased = false
        for (i, c) in scalars.enumerated() {
            if previousIsCased {
                if c.value == 0x3A3 {
                    out.append(finalSigma(scalars, at: i) ? "\u{3C2}" : "\u{3C3}")
                } else {
                    out.append(contentsOf: c.properties.lowercaseMapping.unicodeScalars)
                }
            } else {
                out.append(contentsOf: c.properties.titlecaseMapping.unicodeScalars)
            }
            previousIsCased = c.properties.isCased
        }
        return String(out)
    }

    /// CPython's handle_capital_sigma: final form when a cased letter precedes (skipping case-ignorables)
    /// and none follows.
    private static func finalSigma(_ scalars: [Unicode.Scalar], at i: Int) -> Bool {
        var j = i - 1
        while j >= 0 && scalars[j].properties.isCaseIgnorable { j -= 1 }
        let precededByCased = j >= 0 && scalars[j].properties.isCased
        var k = i + 1
        while k < scalars.count && scalars[k].properties.isCaseIgnorable { k += 1 }
        let followedByCased = k < scalars.count && scalars[k].properties.isCased
        return precededByCased && !followedByCased
    }
}
