-- The job table drained by alert-relay-worker: email, webhook attempts and maintenance.

CREATE TABLE jobs (
    id           bigserial PRIMARY KEY,
    kind         text        NOT NULL,
    payload      jsonb       NOT NULL DEFAULT '{}',
    state        text        NOT NULL DEFAULT 'queued'
                             CHECK (state IN ('queued', 'running', 'done', 'dead', 'cancelled')),
    run_at       timestamptz NOT NULL DEFAULT now(),
    attempts     integer     NOT NULL DEFAULT 0,
    max_attempts integer     NOT NULL DEFAULT 10 CHECK (max_attempts >= 1),
    -- A claimed job belongs to its worker until then; after it another worker may take it again.
    locked_until timestamptz,
    locked_by    text,
    last_error   text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz
);
-- The claim query: due queued jobs in order.
CREATE INDEX jobs_due_idx ON jobs (run_at, id) WHERE state = 'queued';
-- Expired leases of crashed workers.
CREATE INDEX jobs_lease_idx ON jobs (locked_until) WHERE state = 'running';
-- Retention sweep of finished jobs.
CREATE INDEX jobs_finished_idx ON jobs (finished_at) WHERE state IN ('done', 'dead', 'cancelled');
-- Cancelling a disabled app's pending webhook attempts.
CREATE INDEX jobs_webhook_app_idx ON jobs (((payload ->> 'app_id')::bigint))
    WHERE kind = 'webhook' AND state IN ('queued', 'running');

-- Wakes idle workers at once when jobs are written. Row-level on purpose: a statement-level trigger
-- also fires for INSERT ... SELECT statements that insert nothing, and every NOTIFY takes the
-- database-wide notification lock at commit, which would serialise all such commits. Several rows
-- in one transaction still make one notification (identical ones are folded).
CREATE FUNCTION jobs_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('alert_relay_jobs', '');
    RETURN NULL;
END;
$$;
CREATE TRIGGER jobs_notify_insert AFTER INSERT ON jobs
    FOR EACH ROW EXECUTE FUNCTION jobs_notify();
