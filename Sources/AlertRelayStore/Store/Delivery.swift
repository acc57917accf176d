import AlertRelayLogic
import PostgresClient

/// One accepted alert (or other webhook) and where its delivery stands (its body, which only senders need, is read
/// apart: `DeliveryStore.Claimed`, `DeliveryStore.findWithPayload`).
public struct Delivery: Sendable, Equatable {
    /// Where a delivery stands. `queued`, `retrying` and `sending` are pending: a dispatcher may take them once
    /// `dueAt` has passed (for `sending`, that is the end of its sender's lease).
    public enum Status: String, Sendable, Equatable, CaseIterable {
        case queued, sending, retrying, delivered, failed

        public var isPending: Bool { self == .queued || self == .sending || self == .retrying }
    }

    public var id: Int64
    public var organizationID: Int64
    public var appID: Int64
    public var projectID: Int64?
    public var eventType: String
    public var resource: String
    public var requestID: String
    public var webhookID: String
    public var status: Status
    public var attempts: Int
    public var responseCode: Int?
    public var errorClass: String?
    /// RFC 3339; see `due_at` in sql/009_delivery_queue.sql.
    public var dueAt: String?
    public var dateCreated: String

    /// When the next retry is due (only while `retrying`).
    public var nextAttemptAt: String? { status == .retrying ? dueAt : nil }

    /// Every column of `deliveries` but the payload, the two times as RFC 3339 text: what ``init(_:prefix:)``
    /// decodes. `{t}` stands for the table alias.
    private static let columnList: [(expression: StaticString, name: StaticString)] = [
        ("{t}id", "id"), ("{t}organization_id", "organization_id"), ("{t}app_id", "app_id"),
        ("{t}project_id", "project_id"), ("{t}event_type", "event_type"), ("{t}resource", "resource"),
        ("{t}request_id", "request_id"), ("{t}webhook_id", "webhook_id"), ("{t}status", "status"),
        ("{t}attempts", "attempts"), ("{t}response_code", "response_code"), ("{t}error_class", "error_class"),
        ("rfc3339({t}due_at)", "due_at"), ("rfc3339({t}date_created)", "date_created"),
    ]
    /// The list for a statement on `deliveries` alone.
    static let columns = SQL.selectList(columnList)
    /// The list from table alias `d` (an UPDATE with a FROM clause).
    static let columnsOfD = SQL.selectList(columnList, table: "d")
    /// The list named `d_…`, beside another table's columns in the same row.
    static let prefixedColumns = SQL.selectList(columnList, prefix: "d_")

    /// Decodes the columns of ``columns`` named with `prefix`.
    init(_ row: PostgresRow, prefix: String = "") throws {
        func column(_ name: String) -> String { prefix.isEmpty ? name : prefix + name }
        let status = try row.decode(column("status"), as: Status.self)
        self.init(
            id: try row.decode(column("id"), as: Int64.self),
            organizationID: try row.decode(column("organization_id"), as: Int64.self),
            appID: try row.decode(column("app_id"), as: Int64.self),
            projectID: try row.decode(column("project_id"), as: Int64?.self),
            eventType: try row.decode(column("event_type"), as: String.self),
            resource: try row.decode(column("resource"), as: String.self),
            requestID: try row.decode(column("request_id"), as: String.self),
            webhookID: try row.decode(column("webhook_id"), as: String.self), status: status,
            attempts: try row.decode(column("attempts"), as: Int.self),
            responseCode: try row.decode(column("response_code"), as: Int?.self),
            errorClass: try row.decode(column("error_class"), as: String?.self),
            dueAt: try row.decode(column("due_at"), as: String?.self),
            dateCreated: try row.decode(column("date_created"), as: String.self))
    }

    public init(
        id: Int64, organizationID: Int64, appID: Int64, projectID: Int64?, eventType: String, resource: String,
        requestID: String, webhookID: String, status: Status, attempts: Int, responseCode: Int?,
        errorClass: String?, dueAt: String?, dateCreated: String
    ) {
        self.id = id
        self.organizationID = organizationID
        self.appID = appID
        self.projectID = projectID
        self.eventType = eventType
        self.resource = resource
        self.requestID = requestID
        self.webhookID = webhookID
        self.status = status
        self.attempts = attempts
        self.responseCode = responseCode
        self.errorClass = errorClass
        self.dueAt = dueAt
        self.dateCreated = dateCreated
    }
}
