-- Caches agree across processes: a change to a row that some process caches (an organization, a project or an API
-- token in a responder; an app or an installation in a dispatcher, which holds claimed deliveries with their app)
-- notifies channel alert_relay_cache with `<table>:<id>` (for installations, the app's id), and every responder and
-- dispatcher drops what it holds of it (Sources/AlertRelayAPI/HTTP/CacheListener.swift, Sources/AlertRelayDelivery/Dispatch/Dispatcher.swift).
-- Row-level: these tables change rarely (never on the alert path), so the commit a NOTIFY serialises costs nothing
-- there; identical notifications of one transaction are folded into one.
CREATE FUNCTION alert_relay_cache_notify() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed record;
BEGIN
    IF TG_OP = 'DELETE' THEN changed := OLD; ELSE changed := NEW; END IF;
    IF TG_TABLE_NAME = 'installations' THEN
        PERFORM pg_notify('alert_relay_cache', 'installations:' || changed.app_id);
    ELSE
        PERFORM pg_notify('alert_relay_cache', TG_TABLE_NAME || ':' || changed.id);
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER organizations_cache_notify AFTER UPDATE OR DELETE ON organizations
    FOR EACH ROW EXECUTE FUNCTION alert_relay_cache_notify();
CREATE TRIGGER projects_cache_notify AFTER UPDATE OR DELETE ON projects
    FOR EACH ROW EXECUTE FUNCTION alert_relay_cache_notify();
CREATE TRIGGER api_tokens_cache_notify AFTER UPDATE OR DELETE ON api_tokens
    FOR EACH ROW EXECUTE FUNCTION alert_relay_cache_notify();
CREATE TRIGGER apps_cache_notify AFTER UPDATE OR DELETE ON apps
    FOR EACH ROW EXECUTE FUNCTION alert_relay_cache_notify();
CREATE TRIGGER installations_cache_notify AFTER UPDATE OR DELETE ON installations
    FOR EACH ROW EXECUTE FUNCTION alert_relay_cache_notify();
