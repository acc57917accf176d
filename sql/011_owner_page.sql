-- The owner's page behind the e-mail's links (issue 11): sessions of people signed in to it, the warning
-- e-mail's state, the health history its chart shows, and what bulk replay needs.

-- A person signed in to the owner pages of one organization: through a signed link from an e-mail (member_id)
-- or with an API token holding org:admin (api_token_id). The cookie holds a random token; only its SHA-256 is
-- stored. Removing the member or deleting the token ends the session at once (ON DELETE CASCADE).
CREATE TABLE owner_sessions (
    id              bigserial PRIMARY KEY,
    token_hash      text        NOT NULL CONSTRAINT owner_sessions_token_hash_key UNIQUE,
    organization_id bigint      NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    member_id       bigint      REFERENCES members (id) ON DELETE CASCADE,
    api_token_id    bigint      REFERENCES api_tokens (id) ON DELETE CASCADE,
    -- The audit log's name for this person: "member:<e-mail>" or "token:<id>".
    actor           text        NOT NULL,
    -- Every POST form of the session carries this value (CSRF); compared in constant time.
    csrf_token      text        NOT NULL,
    expires_at      timestamptz NOT NULL,
    date_created    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT owner_sessions_one_principal CHECK ((member_id IS NULL) <> (api_token_id IS NULL))
);
-- Expired sessions are deleted when new ones are made (Sources/AlertRelayStore/Store/SessionStore.swift).
CREATE INDEX owner_sessions_expires_idx ON owner_sessions (expires_at);
CREATE INDEX owner_sessions_member_idx ON owner_sessions (member_id) WHERE member_id IS NOT NULL;
CREATE INDEX owner_sessions_token_idx ON owner_sessions (api_token_id) WHERE api_token_id IS NOT NULL;

-- The warning e-mail sent before the broken rule disables an app: at most one per app and organization until the
-- app recovers (a UTC day after `day` with a success, found in health_counters) or its counters are cleared
-- (disable, enable: the trigger below). Written in the transaction of the counter update that crossed the line.
CREATE TABLE health_warnings (
    app_id          bigint      NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    organization_id bigint      NOT NULL,
    -- "consecutive_error_days" or "timeouts" (Sources/AlertRelayLogic/WarningRule.swift).
    reason          text        NOT NULL,
    -- The UTC day of the warning.
    day             date        NOT NULL,
    date_created    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (app_id, organization_id)
);

-- Counters that disable and enable cleared, per app, organization and UTC day: the broken rule must not see them
-- again, but the owner's chart of the last 30 days still shows them (live counters + history, summed).
CREATE TABLE health_history (
    app_id          bigint  NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    organization_id bigint  NOT NULL,
    day             date    NOT NULL,
    success         integer NOT NULL DEFAULT 0,
    error           integer NOT NULL DEFAULT 0,
    timeout         integer NOT NULL DEFAULT 0,
    fatal           integer NOT NULL DEFAULT 0,
    PRIMARY KEY (app_id, organization_id, day)
);

-- Whatever clears an app's counters (the disable transition, enable, a later path) keeps them as history and re-arms
-- the app's warnings. Per statement, with the deleted rows as a transition table: one INSERT for a whole clear, and
-- nothing at all on the paths that insert or update counters. Rows of an app being deleted are dropped (its
-- history goes with it).
CREATE FUNCTION health_counters_cleared() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO health_history AS h (app_id, organization_id, day, success, error, timeout, fatal)
    SELECT g.app_id, g.organization_id, g.day, sum(g.success), sum(g.error), sum(g.timeout), sum(g.fatal)
    FROM gone g
    WHERE EXISTS (SELECT 1 FROM apps a WHERE a.id = g.app_id)
    GROUP BY 1, 2, 3
    ON CONFLICT (app_id, organization_id, day) DO UPDATE
        SET success = h.success + excluded.success, error = h.error + excluded.error,
            timeout = h.timeout + excluded.timeout, fatal = h.fatal + excluded.fatal;
    DELETE FROM health_warnings w WHERE w.app_id IN (SELECT DISTINCT app_id FROM gone);
    RETURN NULL;
END;
$$;
CREATE TRIGGER health_counters_cleared AFTER DELETE ON health_counters
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION health_counters_cleared();

-- Bulk replay queues each failed message once: a delivery that already has a redelivery is not replayed again (its
-- newest redelivery is). Partial: only redeliveries pay for an entry.
CREATE INDEX deliveries_redelivery_of_idx ON deliveries (redelivery_of) WHERE redelivery_of IS NOT NULL;
