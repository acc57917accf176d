/// Why a store or a flow will not do what it was asked, in a sentence a client can act on. The layers that answer
/// clients choose the status (`APIError.init(_: Refusal)` in the API, the owner pages' message page); the store says
/// only what kind of refusal it is.
public struct Refusal: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The thing addressed does not exist (or must look as if it did not).
        case notFound
        /// The thing exists but its state forbids this now (disabled, not installed, ...).
        case conflict
        /// It existed and is gone for good (past retention).
        case gone
        /// A state the database should never be in (a row vanished inside our own transaction).
        case inconsistent
    }

    public var kind: Kind
    /// snake_case, stable: clients switch on it.
    public var code: String
    public var detail: String

    public init(_ kind: Kind, code: String, _ detail: String) {
        self.kind = kind
        self.code = code
        self.detail = detail
    }

    public var description: String { "\(kind) \(code): \(detail)" }
}
