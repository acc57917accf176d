import AlertRelayAPI
import AlertRelayDelivery
import AlertRelayStore
import AlertRelayLogic
import HTTPCore
import HTTPTypes
import PostgresClient

/// The owner pages (issue 11): server-rendered HTML under the URL prefix, behind the links of the disable and warning
/// e-mails. Their own route table, answered through ``PageSite`` before the JSON API's, authenticated by a session
/// cookie (``SessionStore``) instead of a bearer token:
///
/// | route | what |
/// |---|---|
/// | `GET /settings/{org}/developer-settings/` | the organization's apps |
/// | `GET /settings/{org}/developer-settings/{app}/` | status, webhook, timeout, installations; Re-enable |
/// | `POST …/{app}/enable` | re-enable (``DisableFlow/enable(app:actor:db:)``) |
/// | `GET …/{app}/dashboard/` | 30-day chart, request log with filters, Redeliver, Replay |
/// | `POST …/{app}/dashboard/redeliver`, `…/replay` | ``RedeliveryFlow``, ``ReplayFlow`` |
/// | `GET`, `POST /settings/{org}/sign-in`, `POST …/sign-out` | the API-token form, signing out |
/// | `GET /static/owner-page-<hash>.css` | the stylesheet |
///
/// `?token=` on the two app pages signs in with an e-mail's ``SignInLink``. Every page route authenticates before it
/// looks anything up, and another organization's app answers 404 like an unknown one.
public enum OwnerPages {
    /// The site for the responder; throws when a template does not parse (a defect: stop at start-up).
    public static func site(config: Config) throws -> PageSite {
        let site = Site(config: config, renderer: try PageRenderer())
        let router = site.makeRouter()
        return PageSite(pathPrefixes: [site.base + "/settings/", site.base + "/static/"]) { request, context in
            site.respond(request, context, router: router)
        }
    }

    /// The path part of the URL prefix (`https://example.com/relay` → `/relay`; none → empty): the pages live below it.
    static func basePath(urlPrefix: String) -> String {
        guard let scheme = urlPrefix.range(of: "://") else { return "" }
        let rest = urlPrefix[scheme.upperBound...]
        guard let slash = rest.firstIndex(of: "/") else { return "" }
        var path = String(rest[slash...])
        while path.hasSuffix("/") { path.removeLast() }
        return path
    }
}

/// Leaves a handler with a finished response (a redirect, a sign-in page, an error page).
struct PageExit: Error {
    let response: Response
}

/// Shared, immutable state of the pages and their responses.
final class Site: Sendable {
    static let sessionCookie = "ar_session"
    static let signInCookie = "ar_signin"
    static let contentSecurityPolicy =
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

    let config: Config
    let renderer: PageRenderer
    let base: String
    /// Cookies are `Secure` when the pages are served over https.
    let secureCookies: Bool

    init(config: Config, renderer: PageRenderer) {
        self.config = config
        self.renderer = renderer
        base = OwnerPages.basePath(urlPrefix: config.urlPrefix)
        secureCookies = config.urlPrefix.hasPrefix("https://")
    }

    func makeRouter() -> Router {
        var router = Router()
        router.add(.get, Stylesheet.path) { [self] _, _ in stylesheet() }
        router.add(.get, "/settings/{org}/developer-settings") { [self] in try AppPages.list(self, $0, $1) }
        router.add(.get, "/settings/{org}/developer-settings/{app}") { [self] in try AppPages.settings(self, $0, $1) }
        router.add(.post, "/settings/{org}/developer-settings/{app}/enable") { [self] in try AppPages.enable(self, $0, $1) }
        router.add(.get, "/settings/{org}/developer-settings/{app}/dashboard") { [self] in try AppPages.dashboard(self, $0, $1) }
        router.add(.post, "/settings/{org}/developer-settings/{app}/dashboard/redeliver") { [self] in
            try AppPages.redeliver(self, $0, $1)
        }
        router.add(.post, "/settings/{org}/developer-settings/{app}/dashboard/replay") { [self] in
            try AppPages.replay(self, $0, $1)
        }
        router.add(.get, "/settings/{org}/sign-in") { [self] in try SignInPages.form(self, $0, $1) }
        router.add(.post, "/settings/{org}/sign-in") { [self] in try SignInPages.signIn(self, $0, $1) }
        router.add(.post, "/settings/{org}/sign-out") { [self] in try SignInPages.signOut(self, $0, $1) }
        return router
    }

    /// Routes, runs and answers every outcome as a page.
    func respond(_ request: Request, _ context: RequestContext, router: Router) -> Response {
        let path = String(request.path.dropFirst(base.count))
        let orgSlug = path.split(separator: "/").dropFirst().first.map(String.init) ?? ""
        let paths = Paths(base: base, orgSlug: Slug.isValid(orgSlug) ? orgSlug : "")
        switch router.match(method: request.method, path: path) {
        case .found(let handler, let parameters):
            // `{org}` arrives percent-decoded and ends up in cookie paths and links: anything but a slug names no page.
            if let org = parameters["org"], !Slug.isValid(org) {
                return message(.notFound, paths: paths, heading: "Page not found", text: "There is no page at this address.")
            }
            // Checked here because the pages bypass the API's router, which answers this for the JSON routes.
            if request.bodyExceededLimit {
                return message(
                    .contentTooLarge, paths: paths, heading: "Too large",
                    text: "The form sent more than this address takes.")
            }
            context.parameters = parameters
            do {
                return try handler(request, context)
            } catch let exit as PageExit {
                return exit.response
            } catch {
                return errorPage(error, paths: paths, context: context)
            }
        case .methodNotAllowed(let allowed):
            var response = message(
                .methodNotAllowed, paths: paths, heading: "Not allowed",
                text: "This address does not take \(request.method.rawValue) requests.")
            response.headers[.allow] = allowed.map(\.rawValue).joined(separator: ", ")
            return response
        case .notFound:
            return message(.notFound, paths: paths, heading: "Page not found", text: "There is no page at this address.")
        }
    }

    // MARK: Responses

    /// An HTML page with the pages' security headers: the CSP, no caching (pages show receivers' bodies and CSRF
    /// tokens), no framing, no sniffing, no Referer.
    func html(_ body: String, status: HTTPResponse.Status = .ok, cookies: [String] = []) -> Response {
        var response = Response(status: status, headers: securityHeaders(cookies: cookies), body: Array(body.utf8))
        response.headers[.contentType] = "text/html; charset=utf-8"
        return response
    }

    func page(_ template: String, _ view: PageRenderer.View, status: HTTPResponse.Status = .ok, cookies: [String] = [])
        -> Response
    {
        html(renderer.render(template, view), status: status, cookies: cookies)
    }

    /// 303 See Other to `location` (a path of this site).
    func redirect(_ location: String, cookies: [String] = []) -> Response {
        var response = Response(status: .seeOther, headers: securityHeaders(cookies: cookies))
        response.headers[.location] = location
        return response
    }

    func securityHeaders(cookies: [String]) -> HTTPFields {
        var headers = HTTPFields()
        headers[.contentSecurityPolicy] = Self.contentSecurityPolicy
        headers[.xContentTypeOptions] = "nosniff"
        headers[.init("Referrer-Policy")!] = "no-referrer"
        headers[.init("X-Frame-Options")!] = "DENY"
        headers[.cacheControl] = "no-store"
        for cookie in cookies { headers.append(HTTPField(name: .setCookie, value: cookie)) }
        return headers
    }

    func message(
        _ status: HTTPResponse.Status, paths: Paths, heading: String, text: String, session: OwnerSession? = nil,
        back: (href: String, label: String)? = nil, requestID: String? = nil
    ) -> Response {
        let frame = Frame(title: heading, paths: paths, session: session)
        return page("message", Views.message(frame, heading: heading, message: text, back: back, requestID: requestID), status: status)
    }

    /// What went wrong, as a page: what ``APIError/client(for:logger:)`` lets a client see, with its status and
    /// sentence (written for clients), else 500 with the request id (the error itself goes to the log, never to the page).
    func errorPage(_ error: Error, paths: Paths, context: RequestContext) -> Response {
        if let clientError = APIError.client(for: error, logger: context.logger), clientError.status != .internalServerError {
            return message(
                clientError.status, paths: paths, heading: Self.heading(clientError.status), text: clientError.detail)
        }
        return message(
            .internalServerError, paths: paths, heading: "Something went wrong",
            text: "An internal error occurred; quote the request id when reporting it.", requestID: context.requestID)
    }

    static func heading(_ status: HTTPResponse.Status) -> String {
        switch status.code {
        case 404: "Not found"
        case 409: "Not possible right now"
        case 410: "No longer available"
        case 400, 422: "Please check the form"
        case 403: "Not allowed"
        case 503: "Unavailable for a moment"
        default: "Something went wrong"
        }
    }

    func stylesheet() -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/css; charset=utf-8"
        headers[.cacheControl] = "public, max-age=31536000, immutable"
        headers[.xContentTypeOptions] = "nosniff"
        return Response(status: .ok, headers: headers, body: Array(Stylesheet.text.utf8))
    }

    // MARK: Cookies and forms

    /// A cookie scoped to one organization's pages.
    func cookie(_ name: String, _ value: String, paths: Paths, maxAge: Int, sameSite: String = "Lax") -> String {
        "\(name)=\(value); Path=\(paths.settingsRoot); Max-Age=\(maxAge); HttpOnly; SameSite=\(sameSite)"
            + (secureCookies ? "; Secure" : "")
    }

    /// Every value of cookie `name` the request carries (a browser may send several, from different paths).
    static func cookies(named name: String, in request: Request) -> [String] {
        var values: [String] = []
        for header in request.headers[values: .cookie] {
            for part in header.split(separator: ";") {
                let pair = part.split(separator: "=", maxSplits: 1)
                guard pair.count == 2, pair[0].trimmingCharacters() == name else { continue }
                values.append(pair[1].trimmingCharacters())
            }
        }
        return values
    }

    /// The fields of an `application/x-www-form-urlencoded` body.
    static func form(_ request: Request) -> QueryParameters {
        QueryParameters(String(decoding: request.body, as: UTF8.self))
    }

    /// The organization named by `{org}`, if it exists (nil for a malformed slug too).
    static func organization(_ context: RequestContext) throws -> Organization? {
        let slug = context.parameter("org")
        guard Slug.isValid(slug) else { return nil }
        return try OrganizationStore.find(slug: slug, db: context.db, cache: context.app.cache)
    }
}

extension Substring {
    func trimmingCharacters() -> String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}

extension HTTPField.Name {
    static let xContentTypeOptions = HTTPField.Name("X-Content-Type-Options")!
}
