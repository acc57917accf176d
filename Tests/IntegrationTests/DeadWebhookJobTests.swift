import AlertRelayCore
import PostgresClient
import Testing

/// A webhook job that dies must not leave its delivery `retrying` forever (sql/005_dead_webhook_jobs.sql).
@Suite(.usesDatabase, .enabled(if: TestEnvironment.databaseTestsEnabled))
struct DeadWebhookJobTests {
    @Test func deadWebhookJobFailsItsDelivery() throws {
        guard let conninfo = TestEnvironment.requireDatabase() else { return }
        let db = PostgresConnection(conninfo: conninfo)
        defer { db.close() }
        let suffix = String(UInt64.random(in: 0..<UInt64.max), radix: 36)
        let organizationID = try db.query(
            "INSERT INTO organizations (slug, name) VALUES ($1, 'Dead jobs') RETURNING id", "dead-\(suffix)"
        )[0].decode(0, as: Int64.self)
        // Deleting the organization deletes its app, whose trigger deletes the delivery.
        defer { _ = try? db.execute("DELETE FROM organizations WHERE id = $1", organizationID) }
        let appID = try db.query(
            """
            INSERT INTO apps (uuid, organization_id, slug, name, status, webhook_url, client_secret)
            VALUES (gen_random_uuid(), $1, $2, 'Dead', 'internal', 'http://127.0.0.2:9/', 'secret') RETURNING id
            """, organizationID, "dead-app-\(suffix)"
        )[0].decode(0, as: Int64.self)
        let deliveryID = try db.query(
            """
            INSERT INTO deliveries (organization_id, app_id, event_type, resource, request_id, webhook_id, payload, status, attempts)
            VALUES ($1, $2, 'event_alert.triggered', 'event_alert', 'r', 'msg_x', '{}', 'retrying', 1) RETURNING id
            """, organizationID, appID
        )[0].decode(0, as: Int64.self)
        // A job already claimed by a (fictitious) worker, on its last attempt.
        let jobID = try db.query(
            """
            INSERT INTO jobs (kind, payload, state, attempts, max_attempts, locked_by, locked_until, run_at)
            VALUES ('webhook', jsonb_build_object('delivery_id', $1::bigint, 'app_id', $2::bigint), 'running', 1, 1,
                    'test-worker', now() + interval '1 minute', now() + interval '1 day')
            RETURNING id
            """, deliveryID, appID
        )[0].decode(0, as: Int64.self)
        defer { _ = try? db.execute("DELETE FROM jobs WHERE id = $1", jobID) }

        let result = try JobQueue.fail(
            id: jobID, workerID: "test-worker", error: "database unavailable", permanent: false, delaySeconds: 1, db: db)
        #expect(result == .dead)
        let row = try db.query("SELECT status, error_class, next_attempt_at IS NULL FROM deliveries WHERE id = $1", deliveryID)[0]
        #expect(try row.decode(0, as: String.self) == "failed")
        #expect(try row.decode(1, as: String?.self) == "worker_error")
        #expect(try row.decode(2, as: Bool.self))
    }
}
