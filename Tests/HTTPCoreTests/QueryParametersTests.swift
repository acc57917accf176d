import HTTPCore
import Testing

@Suite struct QueryParametersTests {
    @Test(arguments: [
        ("", [(String, String)]()), ("a=1", [("a", "1")]), ("a=1&b=2", [("a", "1"), ("b", "2")]),
        ("a=x%20y", [("a", "x y")]), ("a=x+y", [("a", "x y")]), ("a%2Bb=c%2b", [("a+b", "c+")]),
        ("flag", [("flag", "")]), ("a=", [("a", "")]), ("=v", [("", "v")]), ("a=1=2", [("a", "1=2")]),
        ("&&a=1&", [("a", "1")]), ("a=%zz", [("a", "%zz")]), ("a=%4", [("a", "%4")]), ("a=%", [("a", "%")]),
        ("a=%C3%A9", [("a", "é")]), ("a=%FF", [("a", "\u{FFFD}")]), ("a=1&a=2", [("a", "1"), ("a", "2")]),
    ])
    func parsesPairsInOrder(raw: String, expected: [(String, String)]) {
        let pairs = QueryParameters(raw).pairs
        #expect(pairs.map(\.name) == expected.map(\.0))
        #expect(pairs.map(\.value) == expected.map(\.1))
    }

    @Test func subscriptIsTheFirstValue() {
        let query = QueryParameters("a=1&b=2&a=3")
        #expect(query["a"] == "1")
        #expect(query["b"] == "2")
        #expect(query["c"] == nil)
    }

    /// Paths keep `+` (only form-encoded queries turn it into a space).
    @Test(arguments: [
        ("/a%20b", false, "/a b"), ("/a+b", false, "/a+b"), ("/a+b", true, "/a b"), ("/plain", false, "/plain"),
        ("/%2F", false, "//"), ("/bad%G1", false, "/bad%G1"), ("/end%", false, "/end%"),
    ])
    func percentDecoding(text: String, plusAsSpace: Bool, decoded: String) {
        #expect(PercentDecoding.decode(text, plusAsSpace: plusAsSpace) == decoded)
    }
}
