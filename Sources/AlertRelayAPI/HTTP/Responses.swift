import AlertRelayLogic
import HTTPCore
import HTTPTypes

/// The API's responses: JSON bodies, errors as `{"detail", "code"}`, 204.
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
