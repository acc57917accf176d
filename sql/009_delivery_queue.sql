-- Deliveries are their own queue. The dispatcher in alert-relay-worker claims due deliveries in batches
-- (FOR UPDATE SKIP LOCKED, under a lease), sends them concurrently and records the outcomes of a batch with
-- set-based statements (Sources/AlertRelayDelivery/Dispatch/). A queued alert is then one row and one INSERT, with
-- no job row beside it and no NOTIFY per row (which serialised commits on the notification lock).
--
-- `due_at` says when a dispatcher may take the delivery next:
--   queued, retrying  its next attempt is due then;
--   sending           the end of the lease of whoever attempts it (a responder inline, or a dispatcher, which
--                     renews it while it holds the delivery); once it has passed, the holder is presumed dead
--                     and a dispatcher attempts the delivery again, with the same webhook-id;
--   delivered, failed NULL.
ALTER TABLE deliveries RENAME COLUMN next_attempt_at TO due_at;
UPDATE deliveries SET due_at = coalesce(lease_until, now()) WHERE status = 'sending';
UPDATE deliveries SET due_at = coalesce(due_at, now()) WHERE status IN ('queued', 'retrying');
ALTER TABLE deliveries DROP COLUMN lease_until;

-- The claim walks the apps that have due deliveries (one index descent per app) and takes each app's oldest due
-- deliveries, as many as the dispatcher has room for in that app: one receiver with a large backlog is skipped
-- without reading its backlog. The same index serves the disable and uninstall paths (pending deliveries of an app).
CREATE INDEX deliveries_due_idx ON deliveries (app_id, due_at, id) WHERE status IN ('queued', 'retrying', 'sending');

-- Rows are updated twice in their first seconds (claimed, then recorded) and then rarely touched: vacuum the
-- queue's dead versions early so the index above stays short.
ALTER TABLE deliveries SET (autovacuum_vacuum_scale_factor = 0.02);

-- Webhook attempts no longer go through the job table: the deliveries they were for are due now (see above),
-- and what is left of them is cancelled.
UPDATE jobs SET state = 'cancelled', finished_at = now(), updated_at = now(), locked_by = NULL, locked_until = NULL,
                last_error = 'webhook attempts moved to the deliveries queue (sql/009)'
WHERE kind = 'webhook' AND state IN ('queued', 'running');
DROP TRIGGER IF EXISTS jobs_fail_dead_webhook ON jobs;
DROP FUNCTION IF EXISTS jobs_fail_dead_webhook();
DROP INDEX IF EXISTS jobs_webhook_app_idx;
