import AlertRelayDelivery
import AlertRelayStore
import HTTPCore
import HTTPTypes

/// A route handler: a plain function from a request and its context to a response.
public typealias Handler = @Sendable (Request, RequestContext) throws -> Response

/// Matches a method and a path like `/api/0/organizations/{org}` to a handler.
public struct Router: Sendable {
    enum Segment: Sendable, Equatable {
        case literal(String)
        case parameter(String)
    }

    struct Route: Sendable {
        let method: HTTPRequest.Method
        let pattern: String
        let segments: [Segment]
        let handler: Handler
    }

    /// A registered route as written, e.g. `DELETE /api/0/sentry-apps/{app}`: what tests walk to cover every route.
    public struct Registered: Sendable, Hashable, CustomStringConvertible {
        public let method: HTTPRequest.Method
        public let pattern: String
        /// The `{name}` parameters of the pattern, in order.
        public let parameters: [String]

        public var description: String { "\(method.rawValue) \(pattern)" }
    }

    public enum Match {
        case found(Handler, parameters: [String: String])
        case methodNotAllowed(allowed: [HTTPRequest.Method])
        case notFound
    }

    private var routes: [Route] = []

    public init() {}

    public mutating func add(_ method: HTTPRequest.Method, _ pattern: String, _ handler: @escaping Handler) {
        let segments = Self.split(pattern).map { part -> Segment in
            part.hasPrefix("{") && part.hasSuffix("}") ? .parameter(String(part.dropFirst().dropLast())) : .literal(part)
        }
        routes.append(Route(method: method, pattern: pattern, segments: segments, handler: handler))
    }

    /// Every route, in registration order.
    public var registered: [Registered] {
        routes.map { route in
            Registered(
                method: route.method, pattern: route.pattern,
                parameters: route.segments.compactMap { if case .parameter(let name) = $0 { name } else { nil } })
        }
    }

    public func match(method: HTTPRequest.Method, path: String) -> Match {
        let parts = Self.split(path)
        var allowed: [HTTPRequest.Method] = []
        for route in routes {
            guard let parameters = Self.bind(route.segments, to: parts) else { continue }
            if route.method == method { return .found(route.handler, parameters: parameters) }
            allowed.append(route.method)
        }
        return allowed.isEmpty ? .notFound : .methodNotAllowed(allowed: allowed)
    }

    /// Path segments without empty parts, so a trailing slash matches too.
    private static func split(_ path: String) -> [String] {
        path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
    }

    private static func bind(_ segments: [Segment], to parts: [String]) -> [String: String]? {
        guard segments.count == parts.count else { return nil }
        var parameters: [String: String] = [:]
        for (segment, part) in zip(segments, parts) {
            switch segment {
            case .literal(let literal): if literal != part { return nil }
            case .parameter(let name): parameters[name] = part
            }
        }
        return parameters
    }
}
