import Logging

/// What both executables do first: logging to standard error at `ALERT_RELAY_LOG_LEVEL` (``LineLogHandler``), then
/// the configuration.
public enum Bootstrap {
    /// Bootstraps swift-log once for the process and returns the executable's logger.
    public static func logging(label: String, environment: [String: String]) -> Logger {
        let level = environment["ALERT_RELAY_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
        LoggingSystem.bootstrap { label in
            LineLogHandler(label: label, level: level)
        }
        return Logger(label: label)
    }

    /// The configuration, or a critical log line naming the bad variable and the error rethrown.
    public static func config(environment: [String: String], logger: Logger) throws(ConfigError) -> Config {
        do {
            return try Config(environment: environment)
        } catch {
            logger.critical("invalid configuration", metadata: ["error": "\(error)"])
            throw error
        }
    }
}
