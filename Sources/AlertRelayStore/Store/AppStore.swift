import AlertRelayLogic
import PostgresClient

/// Who may install an app (`apps.status`): `internal` apps only in their own organization (where they are
/// installed at creation), `unpublished` ones too, `published` ones in any organization.
public enum AppStatus: String, Sendable, CaseIterable {
    case `internal`, unpublished, published
}

/// An integration: where its webhooks go and how they are signed.
public struct App: Sendable, Equatable {
    public var id: Int64
    public var uuid: String
    public var organizationID: Int64
    public var slug: String
    public var name: String
    public var status: AppStatus
    /// Where its webhooks go; an app without one receives none.
    public var webhookURL: String?
    public var events: [String]
    public var timeoutMilliseconds: Int
    public var clientSecret: String
    /// The secret before the last rotation, while its grace period lasts.
    public var previousSecret: String?
    public var disabledAt: String?
    public var disabledReason: String?
    public var dateCreated: String
    /// The public half of its client credentials (Sentry's `clientId`), used in the token exchange.
    public var clientID: String
    /// Installations stay `pending` until the integration marks them installed (Sentry's `verifyInstall`).
    public var verifyInstall: Bool

    public var isDisabled: Bool { disabledAt != nil }
    public var isInternal: Bool { status == .internal }

}

/// SQL for apps and installations.
public enum AppStore {
    /// The columns of the `app_rows` view (sql/006, sql/010) that ``app(_:)`` reads; `{t}` is the table alias.
    private static let columnList: [(expression: StaticString, name: StaticString)] = [
        ("{t}id", "id"), ("{t}uuid", "uuid"), ("{t}organization_id", "organization_id"), ("{t}slug", "slug"),
        ("{t}name", "name"), ("{t}status", "status"), ("{t}webhook_url", "webhook_url"), ("{t}events", "events"),
        ("{t}timeout_ms", "timeout_ms"), ("{t}client_secret", "client_secret"), ("{t}previous_secret", "previous_secret"),
        ("{t}disabled_at", "disabled_at"), ("{t}disabled_reason", "disabled_reason"), ("{t}date_created", "date_created"),
        ("{t}client_id", "client_id"), ("{t}verify_install", "verify_install"),
    ]
    /// The select list for `FROM app_rows`.
    package static let columns = SQL.selectList(columnList)
    /// The same from `app_rows a` and `app_rows r`.
    package static let columnsOfA = SQL.selectList(columnList, table: "a")
    package static let columnsOfR = SQL.selectList(columnList, table: "r")

    private static let bySlugSQL: SQL = "SELECT \(columns) FROM app_rows WHERE slug = $1"
    private static let byIDSQL: SQL = "SELECT \(columns) FROM app_rows WHERE id = $1"
    private static let byClientIDSQL: SQL = "SELECT \(columns) FROM app_rows WHERE client_id = $1"
    private static let byIDsSQL: SQL = "SELECT \(columns) FROM app_rows WHERE id = ANY($1::bigint[])"
    package static let byOrganizationSQL: SQL =
        "SELECT \(columns) FROM app_rows WHERE organization_id = $1 ORDER BY lower(name), id LIMIT $2"
    private static let forAlertSQL: SQL = """
        SELECT \(columnsOfA), i.uuid::text AS installation_uuid, i.status = 'installed' AS installed FROM app_rows a
        LEFT JOIN installations i ON i.app_id = a.id AND i.organization_id = $2
        WHERE a.slug = $1
        """

    /// An app from the columns of ``columns``, found by name.
    static func app(_ row: PostgresRow) throws -> App {
        App(
            id: try row.decode("id", as: Int64.self), uuid: try row.decode("uuid", as: String.self),
            organizationID: try row.decode("organization_id", as: Int64.self), slug: try row.decode("slug", as: String.self),
            name: try row.decode("name", as: String.self), status: try row.decode("status", as: AppStatus.self),
            webhookURL: try row.decode("webhook_url", as: String?.self), events: try row.decode("events", as: [String].self),
            timeoutMilliseconds: try row.decode("timeout_ms", as: Int.self),
            clientSecret: try row.decode("client_secret", as: String.self),
            previousSecret: try row.decode("previous_secret", as: String?.self),
            disabledAt: try row.decode("disabled_at", as: String?.self),
            disabledReason: try row.decode("disabled_reason", as: String?.self),
            dateCreated: try row.decode("date_created", as: String.self),
            clientID: try row.decode("client_id", as: String.self),
            verifyInstall: try row.decode("verify_install", as: Bool.self))
    }

    public static func find(slug: String, db: PostgresConnection) throws -> App? {
        let rows = try db.query(composed: bySlugSQL, binds: [slug])
        return try rows.first.map(app)
    }

    public static func find(id: Int64, db: PostgresConnection) throws -> App? {
        let rows = try db.query(composed: byIDSQL, binds: [id])
        return try rows.first.map(app)
    }

    /// The app whose client id this is (the token exchange's credentials).
    public static func find(clientID: String, db: PostgresConnection) throws -> App? {
        try db.query(composed: byClientIDSQL, binds: [clientID]).first.map(app)
    }

    /// The app by slug and its installation in organization `organizationID`, if installed there (`installed` is
    /// false while that installation is `pending`).
    public static func findForAlert(slug: String, organizationID: Int64, db: PostgresConnection) throws
        -> (App, installationUUID: String?, installed: Bool)?
    {
        let rows = try db.query(composed: forAlertSQL, binds: [slug, organizationID])
        guard let row = rows.first else { return nil }
        return (try app(row), try row.decode("installation_uuid", as: String?.self),
                try row.decode("installed", as: Bool?.self) ?? false)
    }

    /// The apps with these ids (those that still exist).
    public static func find(ids: [Int64], db: PostgresConnection) throws -> [Int64: App] {
        guard !ids.isEmpty else { return [:] }
        var apps: [Int64: App] = [:]
        for row in try db.query(composed: byIDsSQL, binds: [ids]) {
            let app = try app(row)
            apps[app.id] = app
        }
        return apps
    }

    public struct NewApp: Sendable {
        public var organizationID: Int64
        public var slug: String
        public var name: String
        public var status: AppStatus
        public var webhookURL: String?
        public var events: [String]
        public var timeoutMilliseconds: Int
        public var verifyInstall: Bool

        package init(
            organizationID: Int64, slug: String, name: String, status: AppStatus, webhookURL: String? = nil,
            events: [String], timeoutMilliseconds: Int, verifyInstall: Bool
        ) {
            self.organizationID = organizationID
            self.slug = slug
            self.name = name
            self.status = status
            self.webhookURL = webhookURL
            self.events = events
            self.timeoutMilliseconds = timeoutMilliseconds
            self.verifyInstall = verifyInstall
        }
    }

    /// Inserts the app; an `internal` app is installed in its own organization too. Call it inside the caller's
    /// transaction (the route commits the audit entry with it).
    public static func create(_ new: NewApp, db: PostgresConnection) throws -> App {
        let rows = try db.query(
            """
            INSERT INTO apps (uuid, organization_id, slug, name, status, webhook_url, events, timeout_ms, client_secret,
                              client_id, verify_install)
            VALUES ($1::uuid, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
            RETURNING id
            """, RandomToken.uuid4(), new.organizationID, new.slug, new.name, new.status.rawValue, new.webhookURL, new.events,
            new.timeoutMilliseconds, RandomToken.make(prefix: "", bytes: 32), RandomToken.hex(bytes: 32),
            new.verifyInstall)
        let id = try rows[0].decode(0, as: Int64.self)
        if new.status == .internal {
            try db.execute(
                "INSERT INTO installations (uuid, app_id, organization_id) VALUES ($1::uuid, $2, $3)",
                RandomToken.uuid4(), id, new.organizationID)
        }
        guard let created = try find(id: id, db: db) else {
            throw Refusal(.inconsistent, code: "internal_error", "The app vanished while being created.")
        }
        return created
    }

    public static func update(
        id: Int64, name: String?, webhookURL: String?, events: [String]?, timeoutMilliseconds: Int?,
        verifyInstall: Bool? = nil, db: PostgresConnection
    ) throws {
        try db.execute(
            """
            UPDATE apps SET name = coalesce($2, name), webhook_url = coalesce($3, webhook_url),
                            events = coalesce($4, events), timeout_ms = coalesce($5, timeout_ms),
                            verify_install = coalesce($6, verify_install), date_updated = now()
            WHERE id = $1
            """, id, name, webhookURL, events, timeoutMilliseconds, verifyInstall)
    }

    public static func delete(id: Int64, db: PostgresConnection) throws {
        try db.execute("DELETE FROM apps WHERE id = $1", id)
    }

    /// A new secret at once; the old one keeps signing `webhook-signature` for `graceSeconds`.
    public static func rotateSecret(id: Int64, graceSeconds: Int, db: PostgresConnection) throws -> String {
        let secret = RandomToken.make(prefix: "", bytes: 32)
        try db.execute(
            """
            UPDATE apps SET previous_secret = client_secret,
                            previous_secret_expires_at = now() + make_interval(secs => $3),
                            client_secret = $2, date_updated = now()
            WHERE id = $1
            """, id, secret, graceSeconds)
        return secret
    }

    /// Inserts an installation (`installed`, or `pending` until the integration verifies it).
    public static func install(appID: Int64, organizationID: Int64, pending: Bool, db: PostgresConnection) throws
        -> (id: Int64, uuid: String, dateCreated: String)
    {
        let rows = try db.query(
            """
            INSERT INTO installations (uuid, app_id, organization_id, status)
            VALUES ($1::uuid, $2, $3, CASE WHEN $4 THEN 'pending' ELSE 'installed' END)
            RETURNING id, uuid::text, rfc3339(date_created)
            """, RandomToken.uuid4(), appID, organizationID, pending)
        return (try rows[0].decode(0, as: Int64.self), try rows[0].decode(1, as: String.self),
                try rows[0].decode(2, as: String.self))
    }

    /// The organization of an installation of the app, if it exists.
    public static func installationOrganization(appID: Int64, uuid: String, db: PostgresConnection) throws -> Int64? {
        let rows = try db.query(
            "SELECT organization_id FROM installations WHERE app_id = $1 AND uuid = $2::uuid", appID, uuid)
        return try rows.first?.decode(0, as: Int64.self)
    }

    /// Removes the installation and fails the deliveries to that organization still waiting for an attempt, so an
    /// uninstalled organization receives nothing more (a dispatcher re-checks the installation before each attempt);
    /// `installation.deleted` webhooks, which are sent after their installation is gone, are left alone. Returns
    /// the organization and status the installation had, nil when there was none. The uuid must already be validated.
    public static func uninstall(appID: Int64, uuid: String, db: PostgresConnection) throws
        -> (organizationID: Int64, status: String)?
    {
        let rows = try db.query(
            """
            WITH gone AS (
                DELETE FROM installations WHERE app_id = $1 AND uuid = $2::uuid RETURNING organization_id, status
            ), failed AS (
                UPDATE deliveries SET status = 'failed', error_class = 'not_installed', due_at = NULL, date_updated = now()
                WHERE app_id = $1 AND organization_id IN (SELECT organization_id FROM gone)
                  AND status IN ('queued', 'retrying') AND event_type <> 'installation.deleted'
            )
            SELECT organization_id, status FROM gone
            """, appID, uuid)
        guard let row = rows.first else { return nil }
        return (try row.decode(0, as: Int64.self), try row.decode(1, as: String.self))
    }

    public static func isInstalled(appID: Int64, organizationID: Int64, db: PostgresConnection) throws -> Bool {
        try !db.query(
            "SELECT 1 FROM installations WHERE app_id = $1 AND organization_id = $2", appID, organizationID
        ).isEmpty
    }
}
