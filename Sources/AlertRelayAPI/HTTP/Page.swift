import AlertRelayDelivery
import AlertRelayLogic
import AlertRelayStore
import HTTPCore
import HTTPTypes

/// `?limit=` (default 100, at most 1000) and `?cursor=` (the id to continue below) of a list request, and the
/// response with the next page's link.
extension Page {
    public init(query: QueryParameters) throws(APIError) {
        self.init()
        if let text = query["limit"] {
            guard let value = InputRules.integer(text, in: 1...Page.maxLimit) else {
                throw .badRequest("Query parameter 'limit' must be an integer between 1 and \(Page.maxLimit).")
            }
            self.limit = value
        }
        if let text = query["cursor"] {
            guard let value = InputRules.id(text) else {
                throw .badRequest("Query parameter 'cursor' must be a positive integer from a previous page's Link header.")
            }
            self.cursor = value
        }
    }

    /// A JSON array of the first `limit` items; when there are more, a `Link: <...>; rel="next"` header and
    /// `X-Next-Cursor` carry the cursor of the next page. `items` must hold up to `limit + 1` rows, newest first.
    public func response(_ items: [(id: Int64, json: JSONValue)], request: Request) -> Response {
        let shown = items.prefix(limit)
        var response = Response.json(.array(shown.map(\.json)))
        if items.count > limit, let last = shown.last {
            var query = QueryParameters(request.query).pairs.filter { $0.name != "cursor" && $0.name != "limit" }
            query.append(("limit", String(limit)))
            query.append(("cursor", String(last.id)))
            let queryText = query.map { "\(Self.escape($0.name))=\(Self.escape($0.value))" }.joined(separator: "&")
            response.headers[.init("Link")!] = "<\(request.path)?\(queryText)>; rel=\"next\"; cursor=\"\(last.id)\""
            response.headers[.init("X-Next-Cursor")!] = String(last.id)
        }
        return response
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            if byte.isASCIIAlphanumeric || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".")
                || byte == UInt8(ascii: "~") || byte == UInt8(ascii: ":")
            {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                let hex = Array("0123456789ABCDEF".utf8)
                out += "%" + String(decoding: [hex[Int(byte >> 4)], hex[Int(byte & 15)]], as: UTF8.self)
            }
        }
        return out
    }
}

/// Query booleans: `true`/`false`, also `1`/`0`.
func parseQueryBool(_ text: String?, name: String) throws(APIError) -> Bool? {
    guard let text else { return nil }
    switch text {
    case "true", "1": return true
    case "false", "0": return false
    default: throw .badRequest("Query parameter '\(name)' must be true or false.")
    }
}
