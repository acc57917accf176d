import HTTPCore
import HTTPTypes
import Testing

@testable import AlertRelayAPI
@testable import AlertRelayDelivery
@testable import AlertRelayStore

@Suite struct RouterTests {
    static func router() -> Router {
        var router = Router()
        router.add(.get, "/api/0/organizations/{org}") { _, _ in Response(status: .ok, body: Array("get".utf8)) }
        router.add(.post, "/api/0/organizations/{org}/members") { _, _ in Response(status: .created) }
        router.add(.delete, "/api/0/organizations/{org}/members/{id}") { _, _ in Response(status: .noContent) }
        router.add(.get, "/api/0/organizations/{org}/members") { _, _ in Response(status: .ok) }
        return router
    }

    @Test func bindsParameters() throws {
        guard case .found(_, let parameters) = Self.router().match(method: .delete, path: "/api/0/organizations/acme/members/42")
        else {
            Issue.record("expected a match")
            return
        }
        #expect(parameters == ["org": "acme", "id": "42"])
    }

    @Test func trailingSlashMatchesToo() {
        guard case .found(_, let parameters) = Self.router().match(method: .get, path: "/api/0/organizations/acme/") else {
            Issue.record("expected a match")
            return
        }
        #expect(parameters == ["org": "acme"])
    }

    @Test func unknownPathIsNotFound() {
        guard case .notFound = Self.router().match(method: .get, path: "/api/0/nothing") else {
            Issue.record("expected notFound")
            return
        }
    }

    @Test func wrongMethodListsAllowedMethods() {
        guard case .methodNotAllowed(let allowed) = Self.router().match(method: .patch, path: "/api/0/organizations/acme/members")
        else {
            Issue.record("expected methodNotAllowed")
            return
        }
        #expect(Set(allowed.map(\.rawValue)) == ["POST", "GET"])
    }

    @Test func literalSegmentsMustMatchExactly() {
        guard case .notFound = Self.router().match(method: .get, path: "/api/0/organization/acme") else {
            Issue.record("expected notFound")
            return
        }
    }

    @Test func productionRouterHasEveryContractRoute() {
        let router = Routes.makeRouter()
        let routes: [(HTTPRequest.Method, String)] = [
            (.get, "/healthz"), (.get, "/metrics"), (.post, "/api/0/organizations"), (.get, "/api/0/organizations/o"),
            (.post, "/api/0/organizations/o/members"), (.get, "/api/0/organizations/o/members"),
            (.delete, "/api/0/organizations/o/members/1"), (.post, "/api/0/organizations/o/projects"),
            (.get, "/api/0/organizations/o/projects"), (.post, "/api/0/organizations/o/api-tokens"),
            (.delete, "/api/0/organizations/o/api-tokens/1"), (.get, "/api/0/organizations/o/audit-logs"),
            (.post, "/api/0/organizations/o/sentry-apps"), (.get, "/api/0/sentry-apps/a"), (.put, "/api/0/sentry-apps/a"),
            (.delete, "/api/0/sentry-apps/a"), (.post, "/api/0/sentry-apps/a/rotate-secret"),
            (.post, "/api/0/sentry-apps/a/installations"), (.delete, "/api/0/sentry-apps/a/installations/u"),
            (.get, "/api/0/sentry-apps/a/requests"), (.post, "/api/0/sentry-apps/a/requests/1/redeliver"),
            (.get, "/api/0/sentry-apps/a/health"), (.post, "/api/0/sentry-apps/a/enable"),
            (.post, "/api/0/organizations/o/alerts"), (.get, "/api/0/organizations/o/alerts/1"),
        ]
        for (method, path) in routes {
            guard case .found = router.match(method: method, path: path) else {
                Issue.record("no route for \(method.rawValue) \(path)")
                continue
            }
        }
    }
}
