-- Organizations, their members and projects, and the API tokens that act for them.

CREATE TABLE organizations (
    id           bigserial PRIMARY KEY,
    slug         text        NOT NULL CONSTRAINT organizations_slug_key UNIQUE
                             CONSTRAINT organizations_slug_format CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,63}$'),
    name         text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    date_created timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE members (
    id              bigserial PRIMARY KEY,
    organization_id bigint      NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    email           text        NOT NULL CHECK (length(email) BETWEEN 3 AND 320),
    name            text,
    role            text        NOT NULL CHECK (role IN ('owner', 'manager', 'member')),
    date_created    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT members_organization_email_key UNIQUE (organization_id, email)
);
-- The disable transition reads the owners of one organization.
CREATE INDEX members_organization_role_idx ON members (organization_id, role);

CREATE TABLE projects (
    id              bigserial PRIMARY KEY,
    organization_id bigint      NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    slug            text        NOT NULL CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,63}$'),
    name            text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    date_created    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT projects_organization_slug_key UNIQUE (organization_id, slug)
);

-- Tokens are stored only as the SHA-256 of the token text; the token itself is shown once.
CREATE TABLE api_tokens (
    id              bigserial PRIMARY KEY,
    organization_id bigint      NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name            text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    token_hash      text        NOT NULL CONSTRAINT api_tokens_token_hash_key UNIQUE,
    scopes          text[]      NOT NULL
                                CHECK (scopes <@ ARRAY['org:read', 'org:write', 'org:admin', 'alerts:write']::text[]),
    date_created    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX api_tokens_organization_idx ON api_tokens (organization_id);

CREATE TABLE audit_log (
    id              bigserial PRIMARY KEY,
    organization_id bigint      NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    event           text        NOT NULL,
    data            jsonb       NOT NULL DEFAULT '{}',
    -- "Sentry" for system actions, "admin" for the admin token, "token:<id>" for an organization token.
    actor           text        NOT NULL,
    date_created    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_organization_idx ON audit_log (organization_id, id DESC);
CREATE INDEX audit_log_organization_event_idx ON audit_log (organization_id, event, id DESC);

-- Timestamps leave the database as RFC 3339 UTC text, e.g. 2026-11-27T05:30:00.123456Z.
-- Not STRICT and STABLE like its body, so the planner inlines it instead of calling a SQL function.
CREATE FUNCTION rfc3339(timestamptz) RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT to_char($1 AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
$$;
