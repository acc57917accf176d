import HTTPTypes
import PostgresClient
import Testing

@testable import AlertRelayAPI
@testable import AlertRelayDelivery
@testable import AlertRelayStore

/// What a database error a client could still provoke becomes: a 4xx, never a 500, naming what it can.
@Suite struct APIErrorMappingTests {
    static func serverError(_ state: String, constraint: String? = nil, message: String = "boom") -> PostgresError {
        PostgresError(kind: .server, message: message, sqlState: state, constraint: constraint)
    }

    /// Every CHECK constraint in sql/ (by the name PostgreSQL gives an inline check) names its field.
    @Test(arguments: [
        ("organizations_slug_format", "slug"), ("organizations_name_check", "name"), ("members_email_check", "email"),
        ("members_role_check", "role"), ("projects_slug_check", "slug"), ("projects_name_check", "name"),
        ("api_tokens_name_check", "name"), ("api_tokens_scopes_check", "scopes"), ("apps_slug_check", "slug"),
        ("apps_name_check", "name"), ("apps_status_check", "status"), ("apps_webhook_url_check", "webhook_url"),
        ("apps_timeout_ms_check", "timeout_ms"),
    ])
    func checkViolationsNameTheField(constraint: String, field: String) throws {
        let mapped = try #require(APIError.from(Self.serverError("23514", constraint: constraint)))
        #expect(mapped.status == .unprocessableContent)
        #expect(mapped.detail.contains("'\(field)'"), "\(mapped.detail)")
    }

    /// Data exceptions (class 22) are the client's input: 400, showing the kind of problem but not the echoed value.
    @Test(arguments: [
        ("22001", "value too long for type character varying(10)"),
        ("22003", "value \"99999999999\" is out of range for type integer"),
        ("22P02", "invalid input syntax for type bigint: \"abc\""),
        ("22007", "invalid input syntax for type timestamp with time zone: \"x\""),
        ("22008", "date/time field value out of range: \"0054-07-24T09:44:01.84+16:50\""),
        ("22009", "time zone displacement out of range: \"+16:50\""),
    ])
    func dataExceptionsAre400WithoutTheValue(state: String, message: String) throws {
        let mapped = try #require(APIError.from(Self.serverError(state, message: message)))
        #expect(mapped.status == .badRequest)
        #expect(mapped.code == "invalid_value")
        #expect(!mapped.detail.contains("\""), "the echoed value stays out: \(mapped.detail)")
    }

    @Test func nulInAParameterIsInvalidCharacter() throws {
        let mapped = try #require(APIError.from(PostgresError(kind: .unstorableValue, message: "NUL")))
        #expect(mapped.status == .badRequest)
        #expect(mapped.code == "invalid_character")
    }
}

@Suite struct APIErrorFromPostgresTests {
    static func error(_ state: String?, constraint: String? = nil, kind: PostgresError.Kind = .server) -> PostgresError {
        PostgresError(kind: kind, message: "m", sqlState: state, constraint: constraint)
    }

    /// Unique violations are 409 `already_exists`, naming the thing when the constraint is known.
    @Test(arguments: [
        ("organizations_slug_key", "organization with this slug"), ("members_organization_email_key", "member with this email"),
        ("projects_organization_slug_key", "project with this slug"), ("apps_slug_key", "app with this slug"),
        ("installations_app_organization_key", "already installed"), ("something_else_key", "already exists"),
    ])
    func uniqueViolationsAreConflicts(constraint: String, fragment: String) throws {
        let mapped = try #require(APIError.from(Self.error("23505", constraint: constraint)))
        #expect(mapped.status == .conflict)
        #expect(mapped.code == "already_exists")
        #expect(mapped.detail.contains(fragment), "\(mapped.detail)")
    }

    @Test(arguments: [
        ("23503", HTTPResponse.Status.conflict, "invalid_reference"), ("57014", .serviceUnavailable, "database_timeout"),
        ("53300", .serviceUnavailable, "database_busy"), ("40001", .serviceUnavailable, "database_busy"),
        ("40P01", .serviceUnavailable, "database_busy"), ("53200", .serviceUnavailable, "database_busy"),
    ])
    func statesMapToStatusAndCode(state: String, status: HTTPResponse.Status, code: String) throws {
        let mapped = try #require(APIError.from(Self.error(state)))
        #expect(mapped.status == status)
        #expect(mapped.code == code)
    }

    /// No connection, a broken one, or a server shutting down: the database is unavailable.
    @Test(arguments: [(nil, PostgresError.Kind.connectionFailure), ("08006", .server), ("57P01", .server), ("57P03", .server)]
        as [(String?, PostgresError.Kind)])
    func anUnavailableDatabaseIs503(state: String?, kind: PostgresError.Kind) throws {
        let mapped = try #require(APIError.from(Self.error(state, kind: kind)))
        #expect(mapped.status == .serviceUnavailable)
        #expect(mapped.code == "database_unavailable")
    }

    /// Anything else is not the client's doing: no mapping, so it becomes a 500 with the request id.
    @Test(arguments: ["42P01", "42601", "XX000", "23502"])
    func otherStatesAreNotMapped(state: String) {
        #expect(APIError.from(Self.error(state)) == nil)
    }
}
