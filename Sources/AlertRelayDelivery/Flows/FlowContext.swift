import AlertRelayStore
import Logging
import PostgresClient

/// What the alert flows need, in the responder (per request).
public struct FlowContext {
    public let config: Config
    public let services: ThreadServices
    public let recorder: AttemptRecorder

    public init(config: Config, services: ThreadServices, metrics: Metrics, logger: Logger) {
        self.config = config
        self.services = services
        recorder = AttemptRecorder(config: config, metrics: metrics, logger: logger)
    }

    public var db: PostgresConnection { services.db }
}
