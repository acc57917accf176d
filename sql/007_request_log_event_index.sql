-- The newest entries of one app and event type, without walking the app's other entries: the request log
-- filtered by `eventType`, and the retention sweep, which keeps the newest 100 of each app and event type
-- (Sources/AlertRelayCore/Jobs/Maintenance.swift). For a rare event type in a busy app, the index on
-- (app_id, id) alone meant reading every entry of the app.
-- Built in the migration's transaction, which blocks writes to request_log while it runs; on a large
-- existing table create it beforehand with CREATE INDEX CONCURRENTLY under this name.
CREATE INDEX IF NOT EXISTS request_log_app_event_idx ON request_log (app_id, event_type, id DESC);
