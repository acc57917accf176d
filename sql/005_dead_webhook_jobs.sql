-- A webhook job that dies (its attempts used up by worker errors, or its lease expired on the last
-- attempt) leaves no job behind its delivery: fail the delivery so it does not stay `retrying`.
-- A trigger, so every path that marks a job dead is covered.
CREATE FUNCTION jobs_fail_dead_webhook() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE deliveries SET status = 'failed', error_class = 'worker_error', next_attempt_at = NULL,
                          lease_until = NULL, date_updated = now()
    WHERE id = (NEW.payload ->> 'delivery_id')::bigint AND status IN ('queued', 'sending', 'retrying');
    RETURN NULL;
END;
$$;
CREATE TRIGGER jobs_fail_dead_webhook AFTER UPDATE OF state ON jobs
    FOR EACH ROW WHEN (NEW.state = 'dead' AND OLD.state <> 'dead' AND NEW.kind = 'webhook')
    EXECUTE FUNCTION jobs_fail_dead_webhook();
