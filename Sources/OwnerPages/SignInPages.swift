import AlertRelayAPI
import AlertRelayDelivery
import AlertRelayLogic
import AlertRelayStore
import HTTPCore
import HTTPTypes
import SystemSupport

/// Someone signed in to one organization's pages.
struct Visitor {
    var organization: Organization
    var session: OwnerSession
    var paths: Paths
}

/// Signing in (an e-mail's link, or an API token on the form) and out; every page's session check.
enum SignInPages {
    /// The visitor of an organization's page: the session of a cookie, else a redirect to the sign-in form (which
    /// tells nothing about whether the organization exists). With `linkApp`, a `?token=` in the query signs in first
    /// (``signInWithLink``).
    static func visitor(_ site: Site, _ request: Request, _ context: RequestContext, linkApp: String? = nil) throws -> Visitor {
        let paths = Paths(base: site.base, orgSlug: context.parameter("org"))
        let organization = try Site.organization(context)
        let query = QueryParameters(request.query)
        if let appSlug = linkApp, let token = query["token"] {
            throw PageExit(response: try signInWithLink(site, request, context, token: token, organization: organization,
                                                        appSlug: appSlug, paths: paths))
        }
        if let organization {
            for token in Site.cookies(named: Site.sessionCookie, in: request).prefix(4) {
                if let session = try SessionStore.find(token: token, organizationID: organization.id, db: context.db) {
                    return Visitor(organization: organization, session: session, paths: paths)
                }
            }
        }
        let next = request.path + (request.query.isEmpty ? "" : "?" + request.query)
        throw PageExit(response: site.redirect(paths.signIn + "?" + URLQuery.encode([("next", next)])))
    }

    /// Checks the CSRF token of a POST form against the session's (403 page when missing or wrong).
    static func checkForm(_ site: Site, _ request: Request, _ visitor: Visitor) throws -> QueryParameters {
        let form = Site.form(request)
        guard let given = form["csrf"],
            ConstantTime.equal(given, visitor.session.csrfToken)
        else {
            throw PageExit(response: site.message(
                .forbidden, paths: visitor.paths, heading: "This form has expired",
                text: "The form was not sent from this session's page. Reload the page and try again.",
                session: visitor.session, back: (visitor.paths.home, "Developer settings")))
        }
        return form
    }

    /// `?token=` of an e-mail's link: verified against this organization and app (``SignInLink``), its member still
    /// there and an owner or manager: a session, its cookie, and a redirect to the same address without the token (so
    /// it stays out of the history and of `Referer`). Otherwise a page that says what is wrong with the link.
    static func signInWithLink(
        _ site: Site, _ request: Request, _ context: RequestContext, token: String, organization: Organization?,
        appSlug: String, paths: Paths
    ) throws -> Response {
        func refused(_ heading: String, _ text: String) -> Response {
            formPage(site, paths: paths, status: .forbidden, heading: heading, message: text, next: request.path)
        }
        guard let key = site.config.linkKey else {
            return refused("Sign-in links are off", "This server does not sign links; sign in with an API token instead.")
        }
        let invalid = refused(
            "This sign-in link is not valid",
            "The link is incomplete or was changed. Open it again from the e-mail, or sign in with an API token.")
        guard let organization, Slug.isValid(appSlug), let app = try AppStore.find(slug: appSlug, db: context.db),
            app.organizationID == organization.id
        else { return invalid }
        let claims: SignInLink.Claims
        do {
            claims = try SignInLink.verify(
                token, organizationID: organization.id, appID: app.id, key: key, now: WallClock.unixSeconds())
        } catch .expired {
            return refused(
                "This sign-in link has expired",
                "Links in e-mails work for 7 days. Ask an administrator for a new one, or sign in with an API token.")
        } catch {
            return invalid
        }
        guard let member = try MemberStore.find(id: claims.memberID, organizationID: organization.id, db: context.db),
            member.mayManageApps
        else {
            return refused(
                "This sign-in link no longer works",
                "The person it was sent to is no longer an owner or manager of this organization.")
        }
        let (cookieToken, _) = try SessionStore.create(
            organizationID: organization.id, principal: .member(id: member.id, email: member.email), db: context.db)
        let rest = QueryParameters(request.query).pairs.filter { $0.name != "token" }.map { ($0.name, $0.value) }
        let location = request.path + (rest.isEmpty ? "" : "?" + URLQuery.encode(rest))
        return site.redirect(
            location, cookies: [site.cookie(Site.sessionCookie, cookieToken, paths: paths, maxAge: SessionStore.lifetimeSeconds)])
    }

    /// The API-token form, with a new pre-session CSRF value in a cookie and the form (double submit).
    static func formPage(
        _ site: Site, paths: Paths, status: HTTPResponse.Status, heading: String, message: String?, next: String,
        notice: String? = nil
    ) -> Response {
        let csrf = RandomToken.make(prefix: "", bytes: 24)
        let frame = Frame(title: heading, paths: paths, notice: notice)
        return site.page(
            "signIn", Views.signIn(frame, heading: heading, message: message, csrf: csrf, next: safeNext(next, paths: paths)),
            status: status, cookies: [site.cookie(Site.signInCookie, csrf, paths: paths, maxAge: 3600, sameSite: "Strict")])
    }

    /// `next` when it is a page of this organization's site (no open redirect), else the organization's apps.
    static func safeNext(_ next: String?, paths: Paths) -> String {
        guard let next, next.hasPrefix(paths.settingsRoot), !next.contains("//"), !next.contains("\\"),
            next.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F })
        else { return paths.home }
        return next
    }

    static func form(_ site: Site, _ request: Request, _ context: RequestContext) throws -> Response {
        let paths = Paths(base: site.base, orgSlug: context.parameter("org"))
        let query = QueryParameters(request.query)
        let notice = query["done"] == "signed-out" ? "You are signed out." : nil
        return formPage(
            site, paths: paths, status: .ok, heading: "Sign in to \(paths.orgSlug)", message: nil, next: query["next"] ?? "",
            notice: notice)
    }

    /// The form's POST: its CSRF value must match its cookie; the token must be an organization token of this
    /// organization with `org:admin` (any other token, the admin's included, gets the same refusal).
    static func signIn(_ site: Site, _ request: Request, _ context: RequestContext) throws -> Response {
        let paths = Paths(base: site.base, orgSlug: context.parameter("org"))
        let form = Site.form(request)
        let next = safeNext(form["next"], paths: paths)
        let cookies = Site.cookies(named: Site.signInCookie, in: request)
        guard let given = form["csrf"], cookies.contains(where: { ConstantTime.equal($0, given) })
        else {
            return formPage(
                site, paths: paths, status: .forbidden, heading: "Sign in to \(paths.orgSlug)",
                message: "The form expired or was not sent from this site. Please try again.", next: next)
        }
        let refusal = "This token cannot sign in here: it must be an API token of \(paths.orgSlug) with the org:admin scope."
        var principal: Principal?
        do {
            principal = try Authenticator.principal(
                forToken: (form["token"] ?? "").trimmingCharacters(in: " \t\r\n"), config: site.config,
                cache: context.app.tokenCache, db: context.db)
        } catch let error as APIError where error.status == .unauthorized {
            principal = nil
        }
        guard let organization = try Site.organization(context), case .token(let tokenID, let organizationID, _)? = principal,
            organizationID == organization.id, principal?.has(.orgAdmin) == true
        else {
            return formPage(
                site, paths: paths, status: .forbidden, heading: "Sign in to \(paths.orgSlug)", message: refusal, next: next)
        }
        let (cookieToken, _) = try SessionStore.create(
            organizationID: organization.id, principal: .apiToken(id: tokenID), db: context.db)
        return site.redirect(next, cookies: [
            site.cookie(Site.sessionCookie, cookieToken, paths: paths, maxAge: SessionStore.lifetimeSeconds),
            site.cookie(Site.signInCookie, "", paths: paths, maxAge: 0, sameSite: "Strict"),
        ])
    }

    static func signOut(_ site: Site, _ request: Request, _ context: RequestContext) throws -> Response {
        let visitor = try visitor(site, request, context)
        _ = try checkForm(site, request, visitor)
        try SessionStore.delete(id: visitor.session.id, db: context.db)
        return site.redirect(
            visitor.paths.signIn + "?done=signed-out",
            cookies: [site.cookie(Site.sessionCookie, "", paths: visitor.paths, maxAge: 0)])
    }
}

extension String {
    func trimmingCharacters(in set: String) -> String {
        let skip = Set(set.unicodeScalars)
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !skip.contains($0) }),
            let last = scalars.lastIndex(where: { !skip.contains($0) })
        else { return "" }
        return String(scalars[first...last])
    }
}
