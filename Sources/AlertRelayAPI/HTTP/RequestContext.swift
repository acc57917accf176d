import AlertRelayDelivery
import AlertRelayLogic
import AlertRelayStore
import HTTPCore
import Logging
import PostgresClient

#if canImport(Glibc)
import Glibc
#endif

/// What one request may use: the shared application, this thread's connections, its id, logger and route parameters.
public final class RequestContext {
    public let app: Application
    public let services: ThreadServices
    public let requestID: String
    public var logger: Logger
    public var parameters: [String: String]
    private var cachedPrincipal: Principal?

    init(app: Application, services: ThreadServices, requestID: String, logger: Logger, parameters: [String: String]) {
        self.app = app
        self.services = services
        self.requestID = requestID
        self.logger = logger
        self.parameters = parameters
    }

    public var db: PostgresConnection { services.db }
    public var config: Config { app.config }

    /// The route parameter `name` (always present when the route matched).
    public func parameter(_ name: String) -> String {
        parameters[name] ?? ""
    }

    /// The caller behind the bearer token (401 when missing or unknown).
    public func principal(for request: Request) throws -> Principal {
        if let cachedPrincipal { return cachedPrincipal }
        let principal = try Authenticator.authenticate(
            request: request, config: app.config, cache: app.tokenCache, db: db)
        cachedPrincipal = principal
        logger[metadataKey: "actor"] = "\(principal.actorName)"
        return principal
    }
}

extension RequestContext {
    /// What the delivery flows need of this request.
    var flow: FlowContext {
        FlowContext(config: app.config, services: services, metrics: app.metrics, logger: logger)
    }
}
