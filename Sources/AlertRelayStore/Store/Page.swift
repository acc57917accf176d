/// One page of a list: at most `limit` items, those with ids below `cursor` when given (lists are newest first).
/// Stores read `limit + 1` rows so that callers know whether another page follows.
public struct Page: Sendable, Equatable {
    public var limit: Int
    public var cursor: Int64?

    public static let defaultLimit = 100
    public static let maxLimit = 1000

    public init(limit: Int = Page.defaultLimit, cursor: Int64? = nil) {
        self.limit = limit
        self.cursor = cursor
    }
}
