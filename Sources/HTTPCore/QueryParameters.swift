/// Parses an `application/x-www-form-urlencoded` query string (`a=1&b=x%20y`).
public struct QueryParameters: Sendable, Equatable {
    public private(set) var pairs: [(name: String, value: String)]

    public init(_ raw: String) {
        pairs = []
        for part in raw.split(separator: "&", omittingEmptySubsequences: true) {
            let nameValue = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = PercentDecoding.decode(nameValue[0], plusAsSpace: true)
            let value = nameValue.count > 1 ? PercentDecoding.decode(nameValue[1], plusAsSpace: true) : ""
            pairs.append((name, value))
        }
    }

    /// The first value for `name`, if any.
    public subscript(_ name: String) -> String? {
        pairs.first { $0.name == name }?.value
    }

    public static func == (lhs: QueryParameters, rhs: QueryParameters) -> Bool {
        lhs.pairs.elementsEqual(rhs.pairs) { $0.name == $1.name && $0.value == $1.value }
    }
}
