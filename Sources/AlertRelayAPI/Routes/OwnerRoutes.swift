import AlertRelayDelivery
import AlertRelayLogic
import AlertRelayStore
import HTTPCore
import HTTPTypes
import SystemSupport

/// The REST twins of the owner page (issue 11): bulk replay, and the admin's sign-in link for a member.
enum OwnerRoutes {
    static let signInLinkAuditEvent = "member.sign-in-link"

    static func register(_ router: inout Router) {
        router.add(.post, "/api/0/sentry-apps/{app}/replay", replay)
        router.add(.post, "/api/0/organizations/{org}/members/{id}/sign-in-link", signInLink)
    }

    /// `{"since", "organization"?}` → 202 `{app, organization, since, queued, more}`: see ``ReplayFlow``.
    static func replay(_ request: Request, _ context: RequestContext) throws -> Response {
        let (app, owner) = try AppRoutes.ownedApp(request, context, scope: .orgAdmin)
        let body = try JSONBody.parse(request)
        let sinceText = try body.string("since")
        guard let micros = InputRules.storableInstant(sinceText) else {
            throw APIError.unprocessable(
                "Field 'since' must be an RFC 3339 date-time like 2026-11-27T00:00:00Z (or a date like 2026-11-27).")
        }
        let since = RFC3339.format(unixMicroseconds: micros)
        var organization = owner
        if let slug = try body.optionalString("organization"), slug != owner.slug {
            organization = try HealthRoutes.appOrganization(slug, app: app, context: context)
        }
        let replayed = try ReplayFlow.replay(
            app: app, organization: organization, since: since, actor: try context.principal(for: request).actorName,
            db: context.db)
        return .json(.object(JSONObject([
            ("app", .string(app.slug)), ("organization", .string(organization.slug)), ("since", .string(since)),
            ("queued", .int(replayed.queued)), ("more", .bool(replayed.more)),
        ])), status: .accepted)
    }

    /// Admin only. `{"app"}` → 201 `{url, dashboard_url, expires_at, member, app}`: a link to the app's owner page
    /// that signs member `{id}` in (an owner or manager), as the e-mails' links do; for people whose e-mail did not
    /// arrive, and for support. Audited.
    static func signInLink(_ request: Request, _ context: RequestContext) throws -> Response {
        guard try context.principal(for: request) == .admin else {
            throw APIError.forbidden("Only the admin token may issue sign-in links.")
        }
        let slug = context.parameter("org")
        guard Slug.isValid(slug), let organization = try OrganizationStore.find(slug: slug, db: context.db, cache: context.app.cache) else {
            throw APIError.notFound("Organization '\(slug)' does not exist.")
        }
        let notFound = APIError.notFound("Member '\(context.parameter("id"))' does not exist.")
        let memberID = try Validation.pathID(context, "id", notFound: notFound)
        guard let member = try MemberStore.find(id: memberID, organizationID: organization.id, db: context.db) else {
            throw notFound
        }
        let appSlug = try JSONBody.parse(request).string("app")
        guard Slug.isValid(appSlug), let app = try AppStore.find(slug: appSlug, db: context.db),
            app.organizationID == organization.id
        else {
            throw APIError.notFound("App '\(appSlug)' does not exist in organization '\(slug)'.", code: "unknown_app")
        }
        // 409, not 422: the request is well formed; the member's role is the state that refuses it.
        guard member.mayManageApps else {
            throw APIError.conflict(
                "Member \(member.id) is a \(member.role); sign-in links are for owners and managers.", code: "not_an_owner")
        }
        guard let key = context.config.linkKey else {
            throw APIError.conflict(
                "Sign-in links are off: ALERT_RELAY_LINK_KEY is not set.", code: "sign_in_links_off")
        }
        let expiresAt = WallClock.unixSeconds() + SignInLink.lifetimeSeconds
        let token = SignInLink.sign(
            organizationID: organization.id, appID: app.id, memberID: member.id, expiresAt: expiresAt, key: key)
        try AuditStore.write(
            organizationID: organization.id, event: signInLinkAuditEvent,
            data: .object(JSONObject([("member", .int64(member.id)), ("app", .string(app.slug))])),
            actor: try context.principal(for: request).actorName, db: context.db)
        let settings = OwnerLinks.settings(urlPrefix: context.config.urlPrefix, orgSlug: organization.slug, appSlug: app.slug)
        return .json(.object(JSONObject([
            ("url", .string(OwnerLinks.link(settings, referrer: "sign-in-link", token: token))),
            ("dashboard_url", .string(OwnerLinks.link(settings + "dashboard/", referrer: "sign-in-link", token: token))),
            ("expires_at", .string(RFC3339.format(unixMicroseconds: expiresAt * 1_000_000))),
            ("member", .int64(member.id)), ("app", .string(app.slug)),
        ])), status: .created)
    }
}
