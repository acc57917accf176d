import Foundation
import Testing

/// Issue 2 end to end: organizations, members, projects, tokens, auth, errors, lists and operations routes through
/// the real nginx + responder started by scripts/test.sh.
@Suite(.enabled(if: Fixtures.servicesAvailable), .usesDatabase)
struct OrganizationEndToEndTests {
    static var rfc3339: Regex<(Substring, Substring?)> { #/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/# }

    /// An RFC 3339 UTC timestamp within `seconds` of now.
    static func isRecent(_ value: Any?, within seconds: Double = 120) -> Bool {
        guard let text = value as? String, text.wholeMatch(of: rfc3339) != nil else { return false }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = text.contains(".") ? [.withInternetDateTime, .withFractionalSeconds] : [.withInternetDateTime]
        // ISO8601DateFormatter takes at most millisecond fractions; cut longer ones.
        var trimmed = text
        if let dot = text.firstIndex(of: "."), let zed = text.lastIndex(of: "Z") {
            let fraction = text[text.index(after: dot)..<zed]
            trimmed = String(text[..<dot]) + "." + String(fraction.prefix(3)).padding(toLength: 3, withPad: "0", startingAt: 0) + "Z"
        }
        guard let date = formatter.date(from: trimmed) else { return false }
        return abs(date.timeIntervalSinceNow) <= seconds
    }

    // MARK: Creation flow

    @Test func createOrganizationMemberProjectAndToken() throws {
        try Fixtures.requireServices()
        let slug = "e2e-" + Fixtures.random(12)
        let created = try TestHTTP.api(
            "POST", "/api/0/organizations", token: Fixtures.admin, json: #"{"slug":"\#(slug)","name":"Acme Ünïcode"}"#)
        #expect(created.status == 201, "\(created.summary)")
        let org = try created.object()
        #expect(Set(org.keys) == ["id", "slug", "name", "date_created"])
        let orgID = try #require(org["id"] as? Int)
        #expect(orgID > 0)
        #expect(org["slug"] as? String == slug)
        #expect(org["name"] as? String == "Acme Ünïcode")
        #expect(Self.isRecent(org["date_created"]), "date_created \(org["date_created"] ?? "nil")")

        let member = try TestHTTP.api(
            "POST", "/api/0/organizations/\(slug)/members", token: Fixtures.admin,
            json: #"{"email":"owner-\#(slug)@example.com","name":"Olga Owner","role":"owner"}"#)
        #expect(member.status == 201, "\(member.summary)")
        let memberObject = try member.object()
        #expect((memberObject["id"] as? Int ?? 0) > 0)
        #expect(memberObject["email"] as? String == "owner-\(slug)@example.com")
        #expect(memberObject["name"] as? String == "Olga Owner")
        #expect(memberObject["role"] as? String == "owner")

        let project = try TestHTTP.api(
            "POST", "/api/0/organizations/\(slug)/projects", token: Fixtures.admin, json: #"{"slug":"backend","name":"Backend"}"#)
        #expect(project.status == 201, "\(project.summary)")
        let projectObject = try project.object()
        #expect(Set(projectObject.keys).isSuperset(of: ["id", "slug", "name"]))
        #expect((projectObject["id"] as? Int ?? 0) > 0)
        #expect(projectObject["slug"] as? String == "backend")
        #expect(projectObject["name"] as? String == "Backend")

        let token = try TestHTTP.api(
            "POST", "/api/0/organizations/\(slug)/api-tokens", token: Fixtures.admin,
            json: #"{"name":"ci","scopes":["org:read","alerts:write"]}"#)
        #expect(token.status == 201, "\(token.summary)")
        let tokenObject = try token.object()
        #expect(Set(tokenObject.keys).isSuperset(of: ["id", "token", "scopes"]))
        #expect((tokenObject["id"] as? Int ?? 0) > 0)
        #expect(tokenObject["scopes"] as? [String] == ["org:read", "alerts:write"])
        let tokenText = try #require(tokenObject["token"] as? String)
        #expect(tokenText.count >= 20)
        #expect(tokenText != Fixtures.admin)

        // The new token reads its organization: the same object as on creation.
        let read = try TestHTTP.api("GET", "/api/0/organizations/\(slug)", token: tokenText)
        #expect(read.status == 200, "\(read.summary)")
        #expect(try read.object() as NSDictionary == org as NSDictionary)

        let members = try TestHTTP.api("GET", "/api/0/organizations/\(slug)/members", token: tokenText)
        #expect(members.status == 200, "\(members.summary)")
        #expect(try members.array().map { $0["email"] as? String } == ["owner-\(slug)@example.com"])
        let projects = try TestHTTP.api("GET", "/api/0/organizations/\(slug)/projects", token: tokenText)
        #expect(projects.status == 200, "\(projects.summary)")
        #expect(try projects.array().map { $0["slug"] as? String } == ["backend"])

        // The token is stored only as a hash: the raw text appears nowhere in the database.
        let db = try Fixtures.database()
        let leaked = try db.query("SELECT count(*)::int FROM api_tokens WHERE token_hash = $1 OR name = $1", tokenText)
        #expect(try leaked[0].decode(0, as: Int.self) == 0)
    }

    // MARK: Authorization

    @Test func missingOrUnknownTokenIs401() throws {
        try Fixtures.requireServices()
        let org = try Fixtures.makeOrganization()
        let path = "/api/0/organizations/\(org.slug)"
        _ = try Fixtures.expectError(try TestHTTP.api("GET", path, token: nil), 401)
        _ = try Fixtures.expectError(try TestHTTP.api("GET", path, token: "art_" + Fixtures.random(40)), 401)
        _ = try Fixtures.expectError(
            try TestHTTP.request(method: "GET", url: Fixtures.baseURL + path, headers: [("Authorization", "Basic \(Fixtures.admin)")]),
            401)
        _ = try Fixtures.expectError(
            try TestHTTP.api("POST", "/api/0/organizations", token: nil, json: #"{"slug":"nope","name":"x"}"#), 401)
    }

    @Test func tokenWithoutScopeIs403MissingScope() throws {
        try Fixtures.requireServices()
        let org = try Fixtures.makeOrganization()
        let alertsOnly = try Fixtures.makeToken(org: org, scopes: ["alerts:write"])
        let readOnly = try Fixtures.makeToken(org: org, scopes: ["org:read"])
        let writer = try Fixtures.makeToken(org: org, scopes: ["org:write"])
        _ = try Fixtures.expectError(try TestHTTP.api("GET", "/api/0/organizations/\(org.slug)", token: alertsOnly), 403, code: "missing_scope")
        _ = try Fixtures.expectError(
            try TestHTTP.api("POST", "/api/0/organizations/\(org.slug)/projects", token: readOnly, json: #"{"slug":"p","name":"p"}"#),
            403, code: "missing_scope")
        _ = try Fixtures.expectError(
            try TestHTTP.api(
                "POST", "/api/0/organizations/\(org.slug)/api-tokens", token: writer, json: #"{"name":"x","scopes":["org:admin"]}"#),
            403, code: "missing_scope")
        // Write implies read; an organization token may not create organizations.
        #expect(try TestHTTP.api("GET", "/api/0/organizations/\(org.slug)", token: writer).status == 200)
        _ = try Fixtures.expectError(
            try TestHTTP.api("POST", "/api/0/organizations", token: writer, json: #"{"slug":"e2e-\#(Fixtures.random(8))","name":"x"}"#),
            403)
    }

    @Test func unknownOrganizationIs404ForAdmin() throws {
        try Fixtures.requireServices()
        _ = try Fixtures.expectError(
            try TestHTTP.api("GET", "/api/0/organizations/e2e-missing-\(Fixtures.random(10))", token: Fixtures.admin), 404)
        _ = try Fixtures.expectError(try TestHTTP.api("GET", "/api/0/no-such-route-\(Fixtures.random(6))", token: Fixtures.admin), 404)
    }

    // MARK: Request errors

    @Test func wrongMethodIs405WithAllow() throws {
        try Fixtures.requireServices()
        let org = try Fixtures.makeOrganization()
        let response = try TestHTTP.api("DELETE", "/api/0/organizations/\(org.slug)", token: Fixtures.admin)
        _ = try Fixtures.expectError(response, 405)
        let allow = try #require(response.header("Allow"))
        let methods = Set(allow.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        #expect(methods.contains("GET"))
        #expect(!methods.contains("DELETE"))

        let collection = try TestHTTP.api("PUT", "/api/0/organizations", token: Fixtures.admin, json: "{}")
        _ = try Fixtures.expectError(collection, 405)
        #expect(collection.header("Allow")?.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } == ["POST"])
    }

    @Test func malformedJSONIs400NamingTheProblem() throws {
        try Fixtures.requireServices()
        let response = try TestHTTP.api("POST", "/api/0/organizations", token: Fixtures.admin, json: #"{"slug": "abc", "name": }"#)
        let object = try Fixtures.expectError(response, 400)
        let detail = try #require(object["detail"] as? String)
        #expect(detail.lowercased().contains("json"), "detail: \(detail)")
        // A JSON value that is not an object is a 400 too.
        _ = try Fixtures.expectError(try TestHTTP.api("POST", "/api/0/organizations", token: Fixtures.admin, json: "[1,2]"), 400)
    }

    @Test func wrongTypeOrMissingFieldIs400NamingTheField() throws {
        try Fixtures.requireServices()
        let wrongType = try TestHTTP.api("POST", "/api/0/organizations", token: Fixtures.admin, json: #"{"slug":5,"name":"x"}"#)
        let detail = try #require(try Fixtures.expectError(wrongType, 400)["detail"] as? String)
        #expect(detail.contains("slug"), "detail: \(detail)")

        let missing = try TestHTTP.api("POST", "/api/0/organizations", token: Fixtures.admin, json: #"{"slug":"e2e-\#(Fixtures.random(8))"}"#)
        let missingDetail = try #require(try Fixtures.expectError(missing, 400)["detail"] as? String)
        #expect(missingDetail.contains("name"), "detail: \(missingDetail)")

        let org = try Fixtures.makeOrganization()
        let scopes = try TestHTTP.api(
            "POST", "/api/0/organizations/\(org.slug)/api-tokens", token: Fixtures.admin, json: #"{"name":"t","scopes":"org:read"}"#)
        let scopesDetail = try #require(try Fixtures.expectError(scopes, 400)["detail"] as? String)
        #expect(scopesDetail.contains("scopes"), "detail: \(scopesDetail)")
        // A well-formed but invalid value is 422, not 400.
        _ = try Fixtures.expectError(
            try TestHTTP.api("POST", "/api/0/organizations", token: Fixtures.admin, json: #"{"slug":"Not A Slug!","name":"x"}"#), 422)
    }

    @Test func bodyOverTheLimitIs413WithJSON() throws {
        try Fixtures.requireServices()
        let limit = Int(TestEnvironment.variable("ALERT_RELAY_MAX_BODY_BYTES") ?? "") ?? 1_048_576
        let filler = String(repeating: "a", count: 2 * limit)
        let response = try TestHTTP.api(
            "POST", "/api/0/organizations", token: Fixtures.admin, json: #"{"slug":"e2e-big","name":"\#(filler)"}"#)
        #expect(response.status == 413, "\(response.summary)")
        #expect(response.header("Content-Type")?.lowercased().hasPrefix("application/json") == true)
        let object = try response.object()
        #expect((object["code"] as? String)?.isEmpty == false)
        #expect((object["detail"] as? String)?.isEmpty == false)
        // Just under the limit passes the size check (and fails later on the name's length rule: 422).
        let fits = String(repeating: "b", count: limit - 200)
        let under = try TestHTTP.api(
            "POST", "/api/0/organizations", token: Fixtures.admin, json: #"{"slug":"e2e-\#(Fixtures.random(8))","name":"\#(fits)"}"#)
        #expect(under.status == 422, "\(under.summary)")
    }

    @Test func nonJSONBodyIs415() throws {
        try Fixtures.requireServices()
        let response = try TestHTTP.request(
            method: "POST", url: Fixtures.baseURL + "/api/0/organizations",
            headers: [("Authorization", "Bearer \(Fixtures.admin)"), ("Content-Type", "text/plain")],
            body: Array(#"{"slug":"e2e-x","name":"x"}"#.utf8))
        _ = try Fixtures.expectError(response, 415)
        let form = try TestHTTP.request(
            method: "POST", url: Fixtures.baseURL + "/api/0/organizations",
            headers: [("Authorization", "Bearer \(Fixtures.admin)"), ("Content-Type", "application/x-www-form-urlencoded")],
            body: Array("slug=e2e-x&name=x".utf8))
        _ = try Fixtures.expectError(form, 415)
    }

    @Test func duplicateSlugIs409AlreadyExists() throws {
        try Fixtures.requireServices()
        let org = try Fixtures.makeOrganization()
        let again = try TestHTTP.api(
            "POST", "/api/0/organizations", token: Fixtures.admin, json: #"{"slug":"\#(org.slug)","name":"Other"}"#)
        _ = try Fixtures.expectError(again, 409, code: "already_exists")
        _ = try Fixtures.makeProject(org: org)
        let project = try TestHTTP.api(
            "POST", "/api/0/organizations/\(org.slug)/projects", token: Fixtures.admin, json: #"{"slug":"dup","name":"A"}"#)
        #expect(project.status == 201)
        let duplicate = try TestHTTP.api(
            "POST", "/api/0/organizations/\(org.slug)/projects", token: Fixtures.admin, json: #"{"slug":"dup","name":"B"}"#)
        _ = try Fixtures.expectError(duplicate, 409, code: "already_exists")
    }

    // MARK: Audit log and pagination

    @Test func auditLogListsEventsAndFiltersByEvent() throws {
        try Fixtures.requireServices()
        let org = try Fixtures.makeOrganization()
        let email = try Fixtures.makeMember(org: org, role: "manager")
        _ = try Fixtures.makeToken(org: org, scopes: ["org:read"])
        let reader = try Fixtures.makeToken(org: org, scopes: ["org:read"])

        let all = try TestHTTP.api("GET", "/api/0/organizations/\(org.slug)/audit-logs", token: reader)
        #expect(all.status == 200, "\(all.summary)")
        // Newest first: two token creations, then the member (other events the service may add are ignored).
        let entries = try all.array().filter {
            ["api-token.create", "member.add"].contains($0["event"] as? String ?? "")
        }
        #expect(entries.map { $0["event"] as? String } == ["api-token.create", "api-token.create", "member.add"])
        for entry in entries {
            #expect(Set(entry.keys).isSuperset(of: ["id", "event", "data", "actor", "date_created"]))
            #expect(entry["actor"] as? String == "admin")
            #expect(Self.isRecent(entry["date_created"]))
        }
        let ids = entries.compactMap { $0["id"] as? Int }
        #expect(ids == ids.sorted(by: >) && ids.count == 3)

        let filtered = try TestHTTP.api("GET", "/api/0/organizations/\(org.slug)/audit-logs?event=member.add", token: reader)
        #expect(filtered.status == 200)
        let members = try filtered.array()
        #expect(members.count == 1)
        let data = try #require(members.first?["data"] as? [String: Any])
        #expect(data["email"] as? String == email)
        #expect(data["role"] as? String == "manager")

        let none = try TestHTTP.api("GET", "/api/0/organizations/\(org.slug)/audit-logs?event=no.such.event", token: reader)
        #expect(none.status == 200)
        #expect(try none.array().isEmpty)
    }

    /// The `next` URL of a `Link` header, as a path relative to the base URL.
    static func nextLink(_ response: TestHTTP.Response) -> String? {
        guard let link = response.header("Link"), link.contains(#"rel="next""#),
            let open = link.firstIndex(of: "<"), let close = link.firstIndex(of: ">")
        else { return nil }
        var target = String(link[link.index(after: open)..<close])
        if target.hasPrefix("http://") || target.hasPrefix("https://"),
            let pathStart = target.dropFirst("https://".count).firstIndex(of: "/")
        {
            target = String(target[pathStart...])
        }
        return target
    }

    @Test func paginationFollowsCursorWithoutOverlap() throws {
        try Fixtures.requireServices()
        let org = try Fixtures.makeOrganization()
        var created: [Int64] = []
        for _ in 0..<3 { created.append(try Fixtures.makeProject(org: org).id) }

        var seen: [Int] = []
        var path: String? = "/api/0/organizations/\(org.slug)/projects?limit=1"
        var pages = 0
        while let next = path, pages < 10 {
            let page = try TestHTTP.api("GET", next, token: Fixtures.admin)
            #expect(page.status == 200, "\(page.summary)")
            let items = try page.array()
            #expect(items.count == 1, "page \(pages): \(page.text)")
            seen += items.compactMap { $0["id"] as? Int }
            pages += 1
            path = Self.nextLink(page)
            if pages < 3 {
                let cursor = page.header("X-Next-Cursor")
                #expect(cursor != nil, "page \(pages) has X-Next-Cursor")
                #expect(path != nil, "page \(pages) has a Link rel=next")
                if let cursor { #expect(path?.contains("cursor=\(cursor)") == true, "Link carries the cursor") }
            } else {
                #expect(page.header("X-Next-Cursor") == nil)
            }
        }
        #expect(pages == 3)
        #expect(seen == created.map { Int($0) }.sorted(by: >), "newest first, each exactly once")

        // The cursor works without the Link too, and limit=2 gives two.
        let two = try TestHTTP.api("GET", "/api/0/organizations/\(org.slug)/projects?limit=2", token: Fixtures.admin)
        let twoIDs = try two.array().compactMap { $0["id"] as? Int }
        #expect(twoIDs == Array(seen.prefix(2)))
        let cursor = try #require(two.header("X-Next-Cursor"))
        let rest = try TestHTTP.api("GET", "/api/0/organizations/\(org.slug)/projects?limit=2&cursor=\(cursor)", token: Fixtures.admin)
        #expect(try rest.array().compactMap { $0["id"] as? Int } == [seen[2]])
        #expect(rest.header("Link") == nil)
        _ = try Fixtures.expectError(try TestHTTP.api("GET", "/api/0/organizations/\(org.slug)/projects?limit=0", token: Fixtures.admin), 400)
        _ = try Fixtures.expectError(
            try TestHTTP.api("GET", "/api/0/organizations/\(org.slug)/projects?limit=1001", token: Fixtures.admin), 400)
    }

    // MARK: Cross-cutting

    @Test func everyResponseCarriesARequestID() throws {
        try Fixtures.requireServices()
        let org = try Fixtures.makeOrganization()
        let responses = [
            try TestHTTP.api("GET", "/api/0/organizations/\(org.slug)", token: Fixtures.admin),
            try TestHTTP.api("GET", "/api/0/organizations/\(org.slug)", token: nil),
            try TestHTTP.api("GET", "/api/0/organizations/e2e-none-\(Fixtures.random(6))", token: Fixtures.admin),
            try TestHTTP.api("DELETE", "/api/0/organizations", token: Fixtures.admin),
            try TestHTTP.api("POST", "/api/0/organizations", token: Fixtures.admin, json: "{"),
            try TestHTTP.api("POST", "/api/0/organizations", token: Fixtures.admin, json: #"{"slug":"e2e-\#(Fixtures.random(10))","name":"n"}"#),
            try TestHTTP.request(method: "GET", url: Fixtures.baseURL + "/healthz"),
        ]
        #expect(responses.map(\.status) == [200, 401, 404, 405, 400, 201, 200])
        var ids: [String] = []
        for response in responses {
            let values = response.headers(named: "X-Request-ID")
            #expect(values.count == 1, "status \(response.status): \(values)")
            if let id = values.first {
                #expect((8...128).contains(id.count))
                ids.append(id)
            }
        }
        #expect(Set(ids).count == ids.count, "request ids are unique")
    }

    @Test func nginxOwnErrorResponsesCarryARequestID() throws {
        try Fixtures.requireServices()
        let limit = Int(TestEnvironment.variable("ALERT_RELAY_MAX_BODY_BYTES") ?? "") ?? 1_048_576
        let response = try TestHTTP.api(
            "POST", "/api/0/organizations", token: Fixtures.admin, json: String(repeating: " ", count: limit + 4096) + "{}")
        #expect(response.status == 413)
        #expect(response.headers(named: "X-Request-ID").count == 1, "headers: \(response.headers)")
    }

    @Test func healthzAnswersOK() throws {
        try Fixtures.requireServices()
        let response = try TestHTTP.request(method: "GET", url: Fixtures.baseURL + "/healthz")
        #expect(response.status == 200)
        #expect(response.header("Content-Type")?.lowercased().hasPrefix("application/json") == true)
        #expect(try response.object() as NSDictionary == ["status": "ok"] as NSDictionary)
    }

    @Test func metricsAreServedToLocalClients() throws {
        try Fixtures.requireServices()
        // One alert-free request first so that the counters exist.
        _ = try TestHTTP.request(method: "GET", url: Fixtures.baseURL + "/healthz")
        let response = try TestHTTP.request(method: "GET", url: Fixtures.baseURL + "/metrics")
        #expect(response.status == 200, "\(response.summary)")
        #expect(response.header("Content-Type")?.hasPrefix("text/plain") == true)
        let lines = response.text.split(separator: "\n")
        #expect(lines.contains { $0.hasPrefix("# TYPE ") })
        #expect(lines.contains { $0.hasPrefix("# HELP ") })
        // Every sample line is `name{labels} value`.
        for line in lines where !line.hasPrefix("#") {
            let value = line.split(separator: " ").last.map(String.init) ?? ""
            #expect(Double(value) != nil || ["+Inf", "-Inf", "NaN"].contains(value), "sample line: \(line)")
        }
    }
}
