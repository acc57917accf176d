import HTTPCore
import HTTPTypes
import Testing

@testable import AlertRelayAPI
@testable import AlertRelayDelivery
@testable import AlertRelayStore
@testable import AlertRelayLogic

@Suite struct PageTests {
    @Test(arguments: [
        ("", 100, nil), ("limit=1", 1, nil), ("limit=1000", 1000, nil), ("cursor=42", 100, 42),
        ("limit=5&cursor=9223372036854775807", 5, Int64.max), ("other=x&limit=7", 7, nil),
    ] as [(String, Int, Int64?)])
    func parsesLimitAndCursor(query: String, limit: Int, cursor: Int64?) throws {
        let page = try Page(query: QueryParameters(query))
        #expect(page.limit == limit)
        #expect(page.cursor == cursor)
    }

    @Test(arguments: [
        ("limit=0", "'limit'"), ("limit=1001", "'limit'"), ("limit=-1", "'limit'"), ("limit=ten", "'limit'"),
        ("limit=", "'limit'"), ("cursor=0", "'cursor'"), ("cursor=-5", "'cursor'"), ("cursor=abc", "'cursor'"),
        ("cursor=9223372036854775808", "'cursor'"),
    ])
    func rejectsBadValuesNamingTheParameter(query: String, name: String) {
        #expect {
            try Page(query: QueryParameters(query))
        } throws: { error in
            guard let error = error as? APIError else { return false }
            return error.status == .badRequest && error.detail.contains(name)
        }
    }

    static func items(_ ids: [Int64]) -> [(id: Int64, json: JSONValue)] {
        ids.map { ($0, JSONValue.int64($0)) }
    }

    @Test func aFullPageLinksTheNextWithTheLastShownID() throws {
        let request = Request(method: .get, path: "/api/0/organizations/acme/members", query: "limit=2&q=a b&cursor=99")
        let response = Page(limit: 2, cursor: 99).response(Self.items([50, 40, 30]), request: request)
        #expect(String(decoding: response.body, as: UTF8.self) == "[50,40]")
        let link = try #require(response.headers[HTTPField.Name("Link")!])
        #expect(link == #"</api/0/organizations/acme/members?q=a%20b&limit=2&cursor=40>; rel="next"; cursor="40""#)
        #expect(response.headers[HTTPField.Name("X-Next-Cursor")!] == "40")
    }

    @Test(arguments: [[Int64](), [7], [9, 8]])
    func theLastPageHasNoLink(ids: [Int64]) {
        let response = Page(limit: 2).response(Self.items(ids), request: Request(method: .get, path: "/x"))
        #expect(response.headers[HTTPField.Name("Link")!] == nil)
        #expect(response.headers[HTTPField.Name("X-Next-Cursor")!] == nil)
        #expect(String(decoding: response.body, as: UTF8.self) == "[" + ids.map(String.init).joined(separator: ",") + "]")
    }
}
