import AlertRelayDelivery
import AlertRelayLogic
import AlertRelayStore
import HTTPCore
import HTTPTypes

/// Organizations, members, projects, API tokens and the audit log (API.md).
enum OrganizationRoutes {
    static func register(_ router: inout Router) {
        router.add(.post, "/api/0/organizations", createOrganization)
        router.add(.get, "/api/0/organizations/{org}", getOrganization)
        router.add(.post, "/api/0/organizations/{org}/members", addMember)
        router.add(.get, "/api/0/organizations/{org}/members", listMembers)
        router.add(.delete, "/api/0/organizations/{org}/members/{id}", deleteMember)
        router.add(.post, "/api/0/organizations/{org}/projects", createProject)
        router.add(.get, "/api/0/organizations/{org}/projects", listProjects)
        router.add(.delete, "/api/0/organizations/{org}/projects/{project}", deleteProject)
        router.add(.post, "/api/0/organizations/{org}/api-tokens", createToken)
        router.add(.delete, "/api/0/organizations/{org}/api-tokens/{id}", deleteToken)
        router.add(.get, "/api/0/organizations/{org}/audit-logs", listAuditLog)
    }

    static func createOrganization(_ request: Request, _ context: RequestContext) throws -> Response {
        guard try context.principal(for: request) == .admin else {
            throw APIError.forbidden("Only the admin token may create organizations.")
        }
        let body = try JSONBody.parse(request)
        let slug = try validSlug(body.string("slug"))
        let name = try Validation.name(body.string("name"))
        let organization = try OrganizationStore.create(slug: slug, name: name, db: context.db, cache: context.app.cache)
        return .json(organization.json, status: .created)
    }

    static func getOrganization(_ request: Request, _ context: RequestContext) throws -> Response {
        let organization = try Authenticator.authorize(request, context, organization: context.parameter("org"), scope: .orgRead)
        return .json(organization.json)
    }

    static func addMember(_ request: Request, _ context: RequestContext) throws -> Response {
        let organization = try Authenticator.authorize(request, context, organization: context.parameter("org"), scope: .orgAdmin)
        let body = try JSONBody.parse(request)
        let email = try body.string("email")
        let name = try body.optionalString("name")
        let role = try body.string("role")
        guard Self.isPlausibleEmail(email) else {
            throw APIError.unprocessable("Field 'email' must be an e-mail address like name@example.com.")
        }
        guard ["owner", "manager", "member"].contains(role) else {
            throw APIError.unprocessable("Field 'role' must be one of owner, manager, member.")
        }
        let member = try context.db.transaction { db in
            let member = try MemberStore.add(organizationID: organization.id, email: email, name: name, role: role, db: db)
            try AuditStore.write(
                organizationID: organization.id, event: "member.add",
                data: .object(JSONObject([("email", .string(email)), ("role", .string(role))])),
                actor: try context.principal(for: request).actorName, db: db)
            return member
        }
        return .json(member.json, status: .created)
    }

    static func listMembers(_ request: Request, _ context: RequestContext) throws -> Response {
        let organization = try Authenticator.authorize(request, context, organization: context.parameter("org"), scope: .orgRead)
        let page = try Page(query: QueryParameters(request.query))
        let members = try MemberStore.list(organizationID: organization.id, page: page, db: context.db)
        return page.response(members.map { ($0.id, $0.json) }, request: request)
    }

    static func deleteMember(_ request: Request, _ context: RequestContext) throws -> Response {
        let organization = try Authenticator.authorize(request, context, organization: context.parameter("org"), scope: .orgAdmin)
        let id = try Validation.pathID(context, "id", notFound: .notFound("Member '\(context.parameter("id"))' does not exist."))
        let deleted = try context.db.transaction { db in
            guard try MemberStore.delete(organizationID: organization.id, id: id, db: db) else { return false }
            try AuditStore.write(
                organizationID: organization.id, event: "member.remove", data: .object(JSONObject([("id", .int64(id))])),
                actor: try context.principal(for: request).actorName, db: db)
            return true
        }
        guard deleted else { throw APIError.notFound("Member \(id) does not exist in this organization.") }
        return .noContent()
    }

    static func createProject(_ request: Request, _ context: RequestContext) throws -> Response {
        let organization = try Authenticator.authorize(request, context, organization: context.parameter("org"), scope: .orgWrite)
        let body = try JSONBody.parse(request)
        let slug = try validSlug(body.string("slug"))
        let name = try Validation.name(body.string("name"))
        let project = try OrganizationStore.createProject(organizationID: organization.id, slug: slug, name: name, db: context.db, cache: context.app.cache)
        return .json(project.json, status: .created)
    }

    static func listProjects(_ request: Request, _ context: RequestContext) throws -> Response {
        let organization = try Authenticator.authorize(request, context, organization: context.parameter("org"), scope: .orgRead)
        let page = try Page(query: QueryParameters(request.query))
        let projects = try OrganizationStore.listProjects(organizationID: organization.id, page: page, db: context.db)
        return page.response(projects.map { ($0.id, $0.json) }, request: request)
    }

    /// Deletes a project (by slug or id): alerts for it are refused from then on (404 `unknown_project`), in every
    /// responder at once (the model cache is emptied everywhere, sql/012).
    static func deleteProject(_ request: Request, _ context: RequestContext) throws -> Response {
        let organization = try Authenticator.authorize(request, context, organization: context.parameter("org"), scope: .orgAdmin)
        let reference = context.parameter("project")
        guard let project = try OrganizationStore.findProject(organizationID: organization.id, reference: reference, db: context.db, cache: context.app.cache)
        else {
            throw APIError.notFound("Project '\(reference)' does not exist in organization '\(organization.slug)'.")
        }
        try context.db.transaction { db in
            try OrganizationStore.deleteProject(id: project.id, db: db)
            try AuditStore.write(
                organizationID: organization.id, event: "project.remove",
                data: .object(JSONObject([("slug", .string(project.slug)), ("name", .string(project.name))])),
                actor: try context.principal(for: request).actorName, db: db)
        }
        context.app.cache.removeAll()
        return .noContent()
    }

    static func createToken(_ request: Request, _ context: RequestContext) throws -> Response {
        let organization = try Authenticator.authorize(request, context, organization: context.parameter("org"), scope: .orgAdmin)
        let body = try JSONBody.parse(request)
        let name = try Validation.name(body.string("name"))
        guard let scopeNames = try body.optionalStringArray("scopes") else { throw JSONBody.missing("scopes") }
        var scopes: [Scope] = []
        for scopeName in scopeNames {
            guard let scope = Scope(rawValue: scopeName) else {
                throw APIError.unprocessable(
                    "Field 'scopes' holds unknown scope '\(scopeName)'; known: \(Scope.allCases.map(\.rawValue).joined(separator: ", ")).")
            }
            if !scopes.contains(scope) { scopes.append(scope) }
        }
        guard !scopes.isEmpty else { throw APIError.unprocessable("Field 'scopes' must name at least one scope.") }
        let token = try context.db.transaction { db in
            let token = try TokenStore.create(organizationID: organization.id, name: name, scopes: scopes, db: db)
            try AuditStore.write(
                organizationID: organization.id, event: "api-token.create",
                data: .object(JSONObject([("name", .string(name)), ("scopes", .array(scopes.map { .string($0.rawValue) }))])),
                actor: try context.principal(for: request).actorName, db: db)
            return token
        }
        return .json(token.json, status: .created)
    }

    static func deleteToken(_ request: Request, _ context: RequestContext) throws -> Response {
        let organization = try Authenticator.authorize(request, context, organization: context.parameter("org"), scope: .orgAdmin)
        let id = try Validation.pathID(
            context, "id", notFound: .notFound("API token '\(context.parameter("id"))' does not exist."))
        let deleted = try context.db.transaction { db in
            guard try TokenStore.delete(organizationID: organization.id, id: id, db: db) else { return false }
            try AuditStore.write(
                organizationID: organization.id, event: "api-token.delete", data: .object(JSONObject([("id", .int64(id))])),
                actor: try context.principal(for: request).actorName, db: db)
            return true
        }
        guard deleted else { throw APIError.notFound("API token \(id) does not exist in this organization.") }
        context.app.tokenCache.removeAll()
        return .noContent()
    }

    static func listAuditLog(_ request: Request, _ context: RequestContext) throws -> Response {
        let organization = try Authenticator.authorize(request, context, organization: context.parameter("org"), scope: .orgRead)
        let query = QueryParameters(request.query)
        let page = try Page(query: query)
        let event = try Validation.queryText(query, "event")
        return page.response(
            try AuditStore.list(organizationID: organization.id, event: event, page: page, db: context.db).map { ($0.id, $0.json) },
            request: request)
    }

    // MARK: Validation shared by the routes

    static func validSlug(_ slug: String) throws(APIError) -> String {
        guard Slug.isValid(slug) else {
            throw APIError.unprocessable(
                "Field 'slug' must be 1-64 lowercase letters, digits or '-', starting with a letter or digit.")
        }
        return slug
    }

    static func isPlausibleEmail(_ email: String) -> Bool {
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && parts[1].contains(".") && email.unicodeScalars.count <= 320
            && !email.unicodeScalars.contains { $0.properties.isWhitespace || $0.value < 0x20 || $0 == "<" || $0 == ">" }
    }
}
