import AlertRelayLogic

public struct Organization: Sendable, Equatable {
    public var id: Int64
    public var slug: String
    public var name: String
    public var dateCreated: String

    var json: JSONValue {
        .object(JSONObject([
            ("id", .int64(id)), ("slug", .string(slug)), ("name", .string(name)), ("date_created", .string(dateCreated)),
        ]))
    }
}

public struct Project: Sendable, Equatable {
    public var id: Int64
    public var organizationID: Int64
    public var slug: String
    public var name: String
    public var dateCreated: String

    var json: JSONValue {
        .object(JSONObject([
            ("id", .int64(id)), ("slug", .string(slug)), ("name", .string(name)), ("date_created", .string(dateCreated)),
        ]))
    }
}

extension JSONValue {
    static func optionalString(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
    static func optionalInt(_ value: Int?) -> JSONValue { value.map { .integer(String($0)) } ?? .null }
}
