import AlertRelayLogic
import HTTPCore
import HTTPTypes
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
        case "23514", "22001", "22003", "22P02", "22007", "22008":
            return .unprocessable("A value is out of range or malformed.")
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

extension Response {
    static let jsonContentType = "application/json; charset=utf-8"

    /// A JSON response; the body is the compact serialization of `value`.
    public static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = jsonContentType
        return Response(status: status, headers: headers, body: value.serialized())
    }

    /// `{"detail": ..., "code": ...}` with the error's status.
    public static func error(_ error: APIError, requestID: String? = nil) -> Response {
        var object = JSONObject([("detail", .string(error.detail)), ("code", .string(error.code))])
        if let requestID { object["request_id"] = .string(requestID) }
        return .json(.object(object), status: error.status)
    }

    public static func noContent() -> Response {
        Response(status: .noContent)
    }
}
