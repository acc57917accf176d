-- Apps (integrations), their installations, deliveries, the request log and health counters.

CREATE TABLE apps (
    id                         bigserial PRIMARY KEY,
    uuid                       uuid        NOT NULL CONSTRAINT apps_uuid_key UNIQUE,
    organization_id            bigint      NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    slug                       text        NOT NULL CONSTRAINT apps_slug_key UNIQUE
                                           CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,63}$'),
    name                       text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    status                     text        NOT NULL CHECK (status IN ('internal', 'unpublished', 'published')),
    webhook_url                text        NOT NULL CHECK (length(webhook_url) <= 2048),
    events                     text[]      NOT NULL DEFAULT '{}',
    timeout_ms                 integer     NOT NULL DEFAULT 1000 CHECK (timeout_ms BETWEEN 1 AND 30000),
    client_secret              text        NOT NULL,
    -- After a rotation the old secret still signs `webhook-signature` until it expires.
    previous_secret            text,
    previous_secret_expires_at timestamptz,
    -- Set by the disable transition; alerts to a disabled app are refused until it is enabled again.
    disabled_at                timestamptz,
    disabled_reason            text,
    date_created               timestamptz NOT NULL DEFAULT now(),
    date_updated               timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX apps_organization_idx ON apps (organization_id);

CREATE TABLE installations (
    id              bigserial PRIMARY KEY,
    uuid            uuid        NOT NULL CONSTRAINT installations_uuid_key UNIQUE,
    app_id          bigint      NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    organization_id bigint      NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    status          text        NOT NULL DEFAULT 'installed' CHECK (status IN ('installed')),
    date_created    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT installations_app_organization_key UNIQUE (app_id, organization_id)
);
CREATE INDEX installations_organization_idx ON installations (organization_id);

-- One accepted alert. Written durably before the first attempt.
-- deliveries and request_log take two rows per alert, so they carry no foreign keys: each key check
-- would lock the app's row FOR KEY SHARE on every insert, and all alerts to one app would contend on
-- it. Deleting an app (or its organization) deletes its deliveries and log through the trigger below.
CREATE TABLE deliveries (
    id              bigserial PRIMARY KEY,
    organization_id bigint      NOT NULL,
    app_id          bigint      NOT NULL,
    project_id      bigint,
    event_type      text        NOT NULL,
    resource        text        NOT NULL,
    -- The Request-ID header of the first attempt (32 lowercase hex).
    request_id      text        NOT NULL,
    -- The Standard Webhooks message id, stable across retries and redeliveries.
    webhook_id      text        NOT NULL,
    -- The exact body sent on every attempt.
    payload         text        NOT NULL,
    status          text        NOT NULL
                                CHECK (status IN ('queued', 'sending', 'retrying', 'delivered', 'failed')),
    attempts        integer     NOT NULL DEFAULT 0,
    response_code   integer,
    error_class     text,
    next_attempt_at timestamptz,
    -- While an attempt is in flight: when the worker may assume the sender died and take it over.
    lease_until     timestamptz,
    redelivery_of   bigint,
    date_created    timestamptz NOT NULL DEFAULT now(),
    date_updated    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX deliveries_app_idx ON deliveries (app_id);
CREATE INDEX deliveries_stale_idx ON deliveries (lease_until) WHERE status = 'sending';

-- One row per attempt, with what was really sent and received.
CREATE TABLE request_log (
    id               bigserial PRIMARY KEY,
    app_id           bigint           NOT NULL,
    organization_id  bigint           NOT NULL,
    -- The delivery may be deleted by retention before its log rows; readers treat it as gone.
    delivery_id      bigint,
    attempt          integer          NOT NULL,
    date             timestamptz      NOT NULL DEFAULT now(),
    event_type       text             NOT NULL,
    webhook_url      text             NOT NULL,
    response_code    integer          NOT NULL,
    duration_ms      double precision NOT NULL,
    error_class      text,
    error_id         text,
    project_id       text,
    -- Headers as sent and received: a JSON array of [name, value] pairs, stored as text (never
    -- queried inside, and text costs no parsing on the hot path).
    request_headers  text             NOT NULL,
    request_body     text             NOT NULL,
    response_headers text             NOT NULL DEFAULT '[]',
    response_body    text             NOT NULL DEFAULT ''
);
-- Listing newest first, with or without filters (event types per app are few, so they filter rows
-- of this index rather than needing their own, which every insert would pay for).
CREATE INDEX request_log_app_idx ON request_log (app_id, id DESC);
CREATE INDEX request_log_app_errors_idx ON request_log (app_id, id DESC)
    WHERE response_code = 0 OR response_code >= 400;
-- For the retention sweep. BRIN: rows arrive in date order, and a B-tree here would cost every insert.
CREATE INDEX request_log_date_idx ON request_log USING brin (date);

-- The health buffer: counters per app, organization and UTC day. Each day is split over a few
-- shards (one per sender thread) so that concurrent attempts for one app never wait on one row
-- lock held across a commit; readers sum the shards (view health_days).
CREATE TABLE health_counters (
    app_id          bigint   NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    organization_id bigint   NOT NULL,
    day             date     NOT NULL,
    shard           smallint NOT NULL DEFAULT 0,
    success         integer  NOT NULL DEFAULT 0,
    error           integer  NOT NULL DEFAULT 0,
    timeout         integer  NOT NULL DEFAULT 0,
    fatal           integer  NOT NULL DEFAULT 0,
    PRIMARY KEY (app_id, organization_id, day, shard)
);

CREATE VIEW health_days AS
    SELECT app_id, organization_id, day,
           sum(success)::integer AS success, sum(error)::integer AS error,
           sum(timeout)::integer AS timeout, sum(fatal)::integer AS fatal
    FROM health_counters
    GROUP BY app_id, organization_id, day;

-- What the foreign keys of deliveries and request_log would have cascaded.
CREATE FUNCTION apps_delete_history() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM request_log WHERE app_id = OLD.id;
    DELETE FROM deliveries WHERE app_id = OLD.id;
    RETURN NULL;
END;
$$;
CREATE TRIGGER apps_delete_history AFTER DELETE ON apps
    FOR EACH ROW EXECUTE FUNCTION apps_delete_history();
