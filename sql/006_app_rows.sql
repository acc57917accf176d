-- An app as the service reads it: the previous secret only while its grace period lasts, timestamps
-- as RFC 3339 text. One definition instead of the same column list in every query that reads apps
-- (AppStore.app(_:) decodes these columns in this order).
CREATE VIEW app_rows AS
    SELECT a.id, a.uuid::text AS uuid, a.organization_id, a.slug, a.name, a.status, a.webhook_url, a.events,
           a.timeout_ms, a.client_secret,
           CASE WHEN a.previous_secret_expires_at > now() THEN a.previous_secret END AS previous_secret,
           rfc3339(a.disabled_at) AS disabled_at, a.disabled_reason, rfc3339(a.date_created) AS date_created
    FROM apps a;
