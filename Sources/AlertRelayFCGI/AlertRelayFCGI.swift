import AlertRelayAPI
import AlertRelayDelivery
import AlertRelayStore
import ArgumentParser
import FastCGIServer
import FoundationEssentials
import HTTPCore
import Logging
import OwnerPages
import PostgresClient
import SystemSupport

@main
struct AlertRelayFCGI: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alert-relay-fcgi",
        abstract: "The alert-relay FastCGI responder (run it behind nginx).",
        discussion: "Configuration comes from the environment; see the README's configuration table.",
        subcommands: [Serve.self, Migrate.self],
        defaultSubcommand: Serve.self)
}

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve FastCGI requests until SIGTERM or SIGINT.")

    @Option(help: "Unix socket path to listen on (the default when --bind is not given).")
    var socket: String?

    @Option(help: "TCP address to listen on instead, HOST:PORT.")
    var bind: String?

    @Option(help: "Worker threads; each owns one database connection.")
    var threads: Int = 8

    func validate() throws {
        guard (1...512).contains(threads) else { throw ValidationError("--threads must be between 1 and 512") }
        if socket != nil, bind != nil { throw ValidationError("give --socket or --bind, not both") }
    }

    func run() throws {
        // Before any thread exists (the cache listener is one): see StopSignals.
        StopSignals.block()
        let logger = Bootstrap.logging(label: "alert-relay-fcgi", environment: ProcessInfo.processInfo.environment)
        let config = try Bootstrap.config(environment: ProcessInfo.processInfo.environment, logger: logger)
        let listen: ListenAddress
        if let bind {
            listen = try ListenAddress.parse(bind: bind)
        } else {
            listen = .unixSocket(path: socket ?? ".data/run/fcgi.sock", mode: 0o666)
        }
        let app = Application(config: config, logger: logger, threads: threads, pages: try OwnerPages.site(config: config))
        let server = FastCGIServer(
            configuration: FastCGIServerConfiguration(listen: listen, threads: threads, maxBodyBytes: config.maxBodyBytes),
            logger: logger)
        let listener = CacheListener(application: app, databaseURL: config.databaseURL, logger: logger)
        guard listener.start() else { throw ExitCode(1) }
        defer { listener.stop() }
        logger.info("responder starting", metadata: ["threads": "\(threads)", "listen": "\(listen)"])
        try server.run { _ in ResponderHandler(app: app, services: ThreadServices(databaseURL: config.databaseURL)) }
        logger.info("responder stopped")
    }
}

struct Migrate: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply the SQL migrations in order (idempotent).")

    @Option(help: "Directory holding the NNN_name.sql files.")
    var directory: String = "sql"

    func run() throws {
        let logger = Bootstrap.logging(label: "alert-relay-migrate", environment: ProcessInfo.processInfo.environment)
        let config = try Bootstrap.config(environment: ProcessInfo.processInfo.environment, logger: logger)
        let db = PostgresConnection(conninfo: config.databaseURL)
        let applied = try Migrator.migrate(directory: directory, db: db, logger: logger)
        logger.info("migrations complete", metadata: ["applied": "\(applied.count)"])
    }
}

/// One per FastCGI thread, created on that thread.
final class ResponderHandler: RequestHandler {
    let app: Application
    let services: ThreadServices

    init(app: Application, services: ThreadServices) {
        self.app = app
        self.services = services
    }

    func handle(_ request: Request) -> Response {
        app.metrics.recordRequest()
        return app.respond(to: request, services: services)
    }
}
