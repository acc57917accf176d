/// An organization: the tenant every other row belongs to.
public struct Organization: Sendable, Equatable {
    public var id: Int64
    public var slug: String
    public var name: String
    public var dateCreated: String
}

/// A project of an organization; alerts name one.
public struct Project: Sendable, Equatable {
    public var id: Int64
    public var organizationID: Int64
    public var slug: String
    public var name: String
    public var dateCreated: String
}
