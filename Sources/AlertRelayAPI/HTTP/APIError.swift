import AlertRelayDelivery
import AlertRelayLogic
import AlertRelayStore
import HTTPCore
import HTTPTypes
import Logging
import PostgresClient

/// An error a client may see: it knows its status, code and a human sentence.
public struct APIError: Error, Sendable, Equatable, CustomStringConvertible {
    public var status: HTTPResponse.Status
    public var code: String
    public var detail: String

    public init(_ status: HTTPResponse.Status, code: String, _ detail: String) {
        self.status = status
        self.code = code
        self.detail = detail
    }

    public var description: String { "\(status.code) \(code): \(detail)" }

    /// A store's or flow's refusal as a client sees it.
    public init(_ refusal: Refusal) {
        let status: HTTPResponse.Status
        switch refusal.kind {
        case .notFound: status = .notFound
        case .conflict: status = .conflict
        case .gone: status = .gone
        case .inconsistent: status = .internalServerError
        }
        self.init(status, code: refusal.code, refusal.detail)
    }

    public static func badRequest(_ detail: String, code: String = "invalid_request") -> APIError {
        APIError(.badRequest, code: code, detail)
    }
    public static func unprocessable(_ detail: String, code: String = "invalid_value") -> APIError {
        APIError(.unprocessableContent, code: code, detail)
    }
    public static func notFound(_ detail: String, code: String = "not_found") -> APIError {
        APIError(.notFound, code: code, detail)
    }
    public static func conflict(_ detail: String, code: String = "conflict") -> APIError {
        APIError(.conflict, code: code, detail)
    }
    public static func forbidden(_ detail: String, code: String = "forbidden") -> APIError {
        APIError(.forbidden, code: code, detail)
    }
    public static let unauthorized = APIError(
        .unauthorized, code: "unauthorized", "A valid bearer token is required in the Authorization header.")
    public static let databaseUnavailable = APIError(
        .serviceUnavailable, code: "database_unavailable", "The database is unavailable; try again shortly.")

    /// What a client may be told of `error`, for the JSON routes and the owner pages alike: an `APIError` as it is, a
    /// store's `Refusal` and a PostgreSQL error a client can provoke mapped to their status. nil for anything else,
    /// which the caller answers as a 500 with the request id; it is logged here (never shown), as is a lost database.
    public static func client(for error: any Error, logger: Logger) -> APIError? {
        switch error {
        case let error as APIError:
            return error
        case let refusal as Refusal where refusal.kind != .inconsistent:
            return APIError(refusal)
        case let error as PostgresError:
            if let mapped = from(error) {
                if error.isConnectionFailure {
                    logger.warning("database unavailable", metadata: ["error": "\(error)"])
                }
                return mapped
            }
            logger.error("database error", metadata: ["error": "\(String(reflecting: error))"])
            return nil
        default:
            logger.error("unhandled error", metadata: ["error": "\(String(reflecting: error))"])
            return nil
        }
    }

    /// The field each CHECK constraint in sql/ guards (PostgreSQL names an inline check `<table>_<column>_check`).
    static let checkedFields: [String: String] = [
        "organizations_slug_format": "slug", "organizations_name_check": "name", "members_email_check": "email",
        "members_role_check": "role", "projects_slug_check": "slug", "projects_name_check": "name",
        "api_tokens_name_check": "name", "api_tokens_scopes_check": "scopes", "apps_slug_check": "slug",
        "apps_name_check": "name", "apps_status_check": "status", "apps_webhook_url_check": "webhook_url",
        "apps_timeout_ms_check": "timeout_ms",
    ]

    /// Maps what the database said to what a client may see; `nil` means an internal error (500).
    /// Constraint names map to sentences here, in one place.
    public static func from(_ error: PostgresError) -> APIError? {
        if error.isConnectionFailure { return .databaseUnavailable }
        if error.kind == .unstorableValue {
            // Input that reached a statement with U+0000 in it (a path segment, a query or JSON value).
            return .badRequest("A value contains a NUL character, which cannot be stored.", code: "invalid_character")
        }
        switch error.sqlState {
        case "23505":
            let what: String
            switch error.constraint {
            case "organizations_slug_key": what = "An organization with this slug already exists."
            case "members_organization_email_key": what = "A member with this email already exists in the organization."
            case "projects_organization_slug_key": what = "A project with this slug already exists in the organization."
            case "apps_slug_key": what = "An app with this slug already exists."
            case "installations_app_organization_key": what = "The app is already installed in this organization."
            default: what = "The resource already exists."
            }
            return .conflict(what, code: "already_exists")
        case "23514":
            // Routes validate every field before it is written; should a check still fail, name the field.
            let field = checkedFields[error.constraint ?? ""]
            return .unprocessable(field.map { "Field '\($0)' is out of range or malformed." } ?? "A value is out of range or malformed.")
        case let state? where state.hasPrefix("22"):
            // Data exceptions: a value from the request the database cannot take. Its message echoes the value, so
            // the answer says only what kind of problem it is.
            let kind: String
            switch state {
            case "22001": kind = "a text is too long"
            case "22003": kind = "a number is out of range"
            case "22007", "22009": kind = "a date, time or time zone offset is malformed or out of range"
            case "22008": kind = "a date or time is out of range"
            case "22P02": kind = "a value has the wrong form for its type"
            default: kind = "a value cannot be stored"
            }
            return .badRequest("The request holds a value the database cannot take: \(kind).", code: "invalid_value")
        case "23503":
            return .conflict("The resource refers to something that does not exist.", code: "invalid_reference")
        case "57014":
            return APIError(.serviceUnavailable, code: "database_timeout", "The database took too long; try again shortly.")
        case "53300", "53200", "40001", "40P01":
            return APIError(.serviceUnavailable, code: "database_busy", "The database is busy; try again shortly.")
        default:
            return nil
        }
    }
}
