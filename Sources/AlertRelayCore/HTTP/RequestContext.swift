import AlertRelayLogic
import HTTPCore
import Logging
import PostgresClient

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
        let principal = try Authenticator.authenticate(request: request, config: app.config, db: db)
        cachedPrincipal = principal
        logger[metadataKey: "actor"] = "\(principal.actorName)"
        return principal
    }
}

/// Per-thread resources, created on the thread that uses them and never shared (libpq and libcurl rules).
public final class ThreadServices {
    public let db: PostgresConnection
    private let makeSender: () -> WebhookSender?
    private var sender: WebhookSender?

    public init(databaseURL: String, makeSender: @escaping () -> WebhookSender? = { try? WebhookSender() }) {
        db = PostgresConnection(conninfo: databaseURL)
        self.makeSender = makeSender
    }

    /// This thread's webhook sender, created on first use.
    public func webhookSender() throws -> WebhookSender {
        if let sender { return sender }
        guard let made = makeSender() else {
            throw APIError(.internalServerError, code: "internal_error", "The HTTP client could not be created.")
        }
        sender = made
        return made
    }
}
