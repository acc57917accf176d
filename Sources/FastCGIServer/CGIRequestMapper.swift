import HTTPCore
import HTTPTypes

/// Pure mapping between FastCGI/CGI variables and the `Request`/`Response` values; no sockets involved.
public enum CGIRequestMapper {
    /// Used when `REQUEST_METHOD` is missing or not a valid token, so that no route matches it.
    static let unrecognizedMethod = HTTPRequest.Method("UNRECOGNIZED") ?? .trace

    /// Builds the request (with an empty body) from the FastCGI environment pairs.
    ///
    /// - method: `REQUEST_METHOD` (a non-token value becomes `UNRECOGNIZED`);
    /// - path: `DOCUMENT_URI` (already decoded and normalised by nginx), else the percent-decoded
    ///   part of `REQUEST_URI` before `?`, else `/`;
    /// - query: `QUERY_STRING`, else the part of `REQUEST_URI` after `?`;
    /// - headers: every `HTTP_*` pair in order (`HTTP_X_REQUEST_ID` → `X-Request-Id`), plus
    ///   `Content-Type`/`Content-Length` from `CONTENT_TYPE`/`CONTENT_LENGTH`;
    /// - remoteAddress: `REMOTE_ADDR`.
    ///
    /// `contentLength` is the declared body length, or -1 when `CONTENT_LENGTH` is absent, empty or invalid.
    public static func makeRequest(params: [(String, String)]) -> (request: Request, contentLength: Int) {
        var method: String?
        var documentURI: String?
        var requestURI: String?
        var queryString: String?
        var cgiContentType: String?
        var cgiContentLength: String?
        var httpContentType: String?
        var httpContentLength: String?
        var remoteAddress = ""
        var headers = HTTPFields()

        for (name, value) in params {
            switch name {
            case "REQUEST_METHOD": method = value
            case "DOCUMENT_URI": documentURI = value
            case "REQUEST_URI": requestURI = value
            case "QUERY_STRING": queryString = value
            case "CONTENT_TYPE": cgiContentType = value
            case "CONTENT_LENGTH": cgiContentLength = value
            case "REMOTE_ADDR": remoteAddress = value
            // nginx passes these twice (as CGI and HTTP_ variables); keep one copy, preferring the CGI one.
            case "HTTP_CONTENT_TYPE": httpContentType = value
            case "HTTP_CONTENT_LENGTH": httpContentLength = value
            default:
                if name.hasPrefix("HTTP_"), let fieldName = headerName(fromCGI: name.dropFirst(5)) {
                    headers.append(HTTPField(name: fieldName, value: value))
                }
            }
        }

        if let contentType = nonEmpty(cgiContentType) ?? nonEmpty(httpContentType) {
            headers[.contentType] = contentType
        }
        let contentLength = parseContentLength(nonEmpty(cgiContentLength) ?? nonEmpty(httpContentLength))
        if contentLength >= 0 {
            headers[.contentLength] = String(contentLength)
        }

        let requestMethod = method.flatMap { HTTPRequest.Method($0) } ?? unrecognizedMethod
        var path = "/"
        var query = queryString ?? ""
        if let documentURI = nonEmpty(documentURI) {
            path = documentURI
        } else if let requestURI = nonEmpty(requestURI) {
            let parts = requestURI.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
            let rawPath = parts[0]
            if !rawPath.isEmpty {
                path = PercentDecoding.decode(rawPath, plusAsSpace: false)
            }
            if queryString == nil, parts.count > 1 {
                query = String(parts[1])
            }
        }

        let request = Request(
            method: requestMethod,
            path: path,
            query: query,
            headers: headers,
            body: [],
            bodyExceededLimit: false,
            remoteAddress: remoteAddress
        )
        return (request, contentLength)
    }

    /// Renders the CGI response head: `Status: CODE REASON`, the response headers, and a
    /// `Content-Length` computed from the body (any `Content-Length` or `Status` header in the
    /// response is replaced), each line ending in CRLF, then an empty line.
    public static func renderHead(_ response: Response) -> [UInt8] {
        var head: [UInt8] = []
        head.reserveCapacity(128 + response.headers.count * 48)
        head.append(contentsOf: "Status: ".utf8)
        head.append(contentsOf: String(response.status.code).utf8)
        if !response.status.reasonPhrase.isEmpty {
            head.append(UInt8(ascii: " "))
            head.append(contentsOf: response.status.reasonPhrase.utf8)
        }
        head.append(contentsOf: "\r\n".utf8)
        for field in response.headers {
            if field.name == .contentLength || field.name.canonicalName == "status" {
                continue
            }
            head.append(contentsOf: field.name.rawName.utf8)
            head.append(contentsOf: ": ".utf8)
            head.append(contentsOf: field.value.utf8)
            head.append(contentsOf: "\r\n".utf8)
        }
        head.append(contentsOf: "Content-Length: ".utf8)
        head.append(contentsOf: String(response.body.count).utf8)
        head.append(contentsOf: "\r\n\r\n".utf8)
        return head
    }

    /// `X_REQUEST_ID` → `X-Request-Id`; nil when the result is not a valid field name.
    static func headerName(fromCGI cgiName: Substring) -> HTTPField.Name? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(cgiName.utf8.count)
        var startOfWord = true
        for byte in cgiName.utf8 {
            switch byte {
            case UInt8(ascii: "_"):
                bytes.append(UInt8(ascii: "-"))
                startOfWord = true
                continue
            case UInt8(ascii: "a")...UInt8(ascii: "z") where startOfWord:
                bytes.append(byte - 32)
            case UInt8(ascii: "A")...UInt8(ascii: "Z") where !startOfWord:
                bytes.append(byte + 32)
            default:
                bytes.append(byte)
            }
            startOfWord = false
        }
        return HTTPField.Name(String(decoding: bytes, as: UTF8.self))
    }

    /// Digits only, no sign; anything else (or overflow) is -1.
    static func parseContentLength(_ text: String?) -> Int {
        guard let text, !text.isEmpty, text.utf8.count <= 18,
            text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
            let value = Int(text)
        else {
            return -1
        }
        return value
    }

    /// nil for a missing or empty CGI variable.
    private static func nonEmpty(_ text: String?) -> String? {
        guard let text, !text.isEmpty else { return nil }
        return text
    }
}
