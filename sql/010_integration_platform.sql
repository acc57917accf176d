-- Sentry's integration platform beyond event alerts (issue 12): apps get a client id and may do without a webhook
-- URL or ask for installations to be verified; installations may be pending; an installation's grant code is
-- exchanged for an installation token (POST /api/0/sentry-app-installations/{uuid}/authorizations/).
-- Everything here is additive, so the previous release keeps working while this one rolls out.

-- The public half of the app's client credentials (Sentry's clientId: 64 hex digits). A volatile default fills
-- every existing row with its own value and keeps inserts of the previous release working.
ALTER TABLE apps ADD COLUMN client_id text NOT NULL
    DEFAULT (replace(gen_random_uuid()::text, '-', '') || replace(gen_random_uuid()::text, '-', ''));
ALTER TABLE apps ADD CONSTRAINT apps_client_id_key UNIQUE (client_id);
-- Sentry's verifyInstall: installations stay `pending` until the integration marks them installed.
ALTER TABLE apps ADD COLUMN verify_install boolean NOT NULL DEFAULT false;
-- An app without a webhook URL receives no webhooks (alerts to it are refused).
ALTER TABLE apps ALTER COLUMN webhook_url DROP NOT NULL;

-- app_rows (sql/006) with the new columns appended (a view can only grow at its end).
CREATE OR REPLACE VIEW app_rows AS
    SELECT a.id, a.uuid::text AS uuid, a.organization_id, a.slug, a.name, a.status, a.webhook_url, a.events,
           a.timeout_ms, a.client_secret,
           CASE WHEN a.previous_secret_expires_at > now() THEN a.previous_secret END AS previous_secret,
           rfc3339(a.disabled_at) AS disabled_at, a.disabled_reason, rfc3339(a.date_created) AS date_created,
           a.client_id, a.verify_install
    FROM apps a;

ALTER TABLE installations DROP CONSTRAINT installations_status_check;
ALTER TABLE installations ADD CONSTRAINT installations_status_check CHECK (status IN ('pending', 'installed'));

-- The single-use grant code of an installation (Sentry's ApiGrant), stored as its SHA-256 only; valid for ten minutes
-- and deleted when it is exchanged.
CREATE TABLE installation_grants (
    installation_id bigint      PRIMARY KEY REFERENCES installations (id) ON DELETE CASCADE,
    code_hash       text        NOT NULL CONSTRAINT installation_grants_code_hash_key UNIQUE,
    expires_at      timestamptz NOT NULL,
    date_created    timestamptz NOT NULL DEFAULT now()
);

-- The installation's token (Sentry's ApiToken of the installation): valid for eight hours, renewed with its refresh
-- token, which rotates too. One per installation; both stored as their SHA-256 only. Uninstalling deletes it.
CREATE TABLE installation_tokens (
    id                 bigserial   PRIMARY KEY,
    installation_id    bigint      NOT NULL REFERENCES installations (id) ON DELETE CASCADE
                                   CONSTRAINT installation_tokens_installation_key UNIQUE,
    token_hash         text        NOT NULL CONSTRAINT installation_tokens_token_hash_key UNIQUE,
    refresh_token_hash text        NOT NULL CONSTRAINT installation_tokens_refresh_token_hash_key UNIQUE,
    expires_at         timestamptz NOT NULL,
    date_created       timestamptz NOT NULL DEFAULT now()
);
