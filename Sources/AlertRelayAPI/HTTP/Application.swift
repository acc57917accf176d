import AlertRelayDelivery
import AlertRelayLogic
import AlertRelayStore
import HTTPCore
import HTTPTypes
import Logging
import PostgresClient

/// The responder's shared, immutable state and the entry point for every request.
public final class Application: Sendable {
    public let config: Config
    public let logger: Logger
    public let cache: ModelCache
    public let tokenCache: TokenCache
    public let alertTargets = AlertTargetCache()
    public let metrics: Metrics
    /// Bounds the inline webhook attempts of this process (API.md "Alerts").
    public let inlineLimiter: InlineLimiter
    public let dispatchWake = DispatchWake()
    let router: Router
    /// HTML pages served beside the API (the owner pages), if this process serves them.
    let pages: PageSite?

    /// `threads`: the responder's request threads; by default half of them may make inline attempts at once.
    public init(config: Config, logger: Logger, metrics: Metrics = Metrics(), threads: Int = 8, pages: PageSite? = nil) {
        self.config = config
        self.pages = pages
        self.logger = logger
        self.metrics = metrics
        inlineLimiter = InlineLimiter(total: config.inlineMax ?? max(1, threads / 2), perApp: config.inlinePerApp)
        self.cache = ModelCache(ttlSeconds: config.modelCacheTTLSeconds)
        self.tokenCache = TokenCache(ttlSeconds: config.tokenCacheTTLSeconds)
        self.router = Routes.makeRouter()
    }

    /// Answers one request; never throws: every failure becomes a JSON error response.
    public func respond(to request: Request, services: ThreadServices) -> Response {
        let requestID = Self.requestID(from: request)
        var logger = self.logger
        logger[metadataKey: "request_id"] = "\(requestID)"
        var response: Response
        if let pages, pages.handles(request.path) {
            let context = RequestContext(app: self, services: services, requestID: requestID, logger: logger, parameters: [:])
            response = pages.respond(request, context)
            response.headers[.init("X-Request-ID")!] = requestID
            return response
        }
        switch router.match(method: request.method, path: request.path) {
        case .notFound:
            response = .error(.notFound("No route matches \(request.path)."))
        case .methodNotAllowed(let allowed):
            response = .error(APIError(
                .methodNotAllowed, code: "method_not_allowed",
                "Method \(request.method.rawValue) is not allowed on \(request.path)."))
            response.headers[.allow] = allowed.map(\.rawValue).joined(separator: ", ")
        case .found(let handler, let parameters):
            if request.bodyExceededLimit {
                response = .error(APIError(
                    .contentTooLarge, code: "payload_too_large",
                    "Request body is larger than the limit of \(config.maxBodyBytes) bytes."))
            } else {
                let context = RequestContext(
                    app: self, services: services, requestID: requestID, logger: logger, parameters: parameters)
                response = Self.run(handler, request, context)
            }
        }
        response.headers[.init("X-Request-ID")!] = requestID
        return response
    }

    private static func run(_ handler: Handler, _ request: Request, _ context: RequestContext) -> Response {
        do {
            return try handler(request, context)
        } catch {
            guard let clientError = APIError.client(for: error, logger: context.logger) else { return internalError(context) }
            return .error(clientError, requestID: clientError.status == .internalServerError ? context.requestID : nil)
        }
    }

    private static func internalError(_ context: RequestContext) -> Response {
        .error(APIError(.internalServerError, code: "internal_error",
                        "An internal error occurred; quote the request id when reporting it."),
               requestID: context.requestID)
    }

    /// The caller's `X-Request-ID` when it is a sane token, else a new random one.
    static func requestID(from request: Request) -> String {
        if let given = request.headers[.init("X-Request-ID")!], (1...128).contains(given.utf8.count),
            given.utf8.allSatisfy({ $0.isASCIIAlphanumeric || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") })
        {
            return given
        }
        return RandomToken.uuid4Hex()
    }
}

extension UInt8 {
    var isASCIIAlphanumeric: Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(self) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(self)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self)
    }
}

/// HTML pages the responder serves beside the JSON API: every request whose path starts with one of `pathPrefixes`
/// goes to `respond`, which routes it, authenticates it its own way (a session cookie, not a bearer token) and answers
/// every outcome, errors included, as a page. The JSON route table (`Routes.makeRouter()`) never sees these paths.
public struct PageSite: Sendable {
    public let pathPrefixes: [String]
    public let respond: @Sendable (Request, RequestContext) -> Response

    public init(pathPrefixes: [String], respond: @escaping @Sendable (Request, RequestContext) -> Response) {
        self.pathPrefixes = pathPrefixes
        self.respond = respond
    }

    func handles(_ path: String) -> Bool {
        pathPrefixes.contains { path.hasPrefix($0) }
    }
}
