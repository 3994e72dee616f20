-- ecomon security schema: accounts, browser sessions, API tokens, login attempts, audit trail.
-- Secrets are never stored: passwords as argon2id hashes, session and API tokens as SHA-256 digests.

CREATE TABLE app_user (
    id            bigserial PRIMARY KEY,
    username      text NOT NULL UNIQUE CHECK (username ~ '^[A-Za-z0-9_.@-]{2,64}$'),
    display_name  text,
    password_hash text NOT NULL,
    role          text NOT NULL
                  CHECK (role IN ('admin', 'centre', 'reviewer', 'enforcement', 'department', 'enterprise', 'public')),
    region_code   text REFERENCES region (code),        -- NULL: national (no region restriction)
    enterprise_id bigint REFERENCES enterprise (id),
    active        boolean NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now(),
    created_by    text NOT NULL,
    CHECK ((role = 'enterprise') = (enterprise_id IS NOT NULL))
);

CREATE TABLE user_session (
    token_hash  text PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES app_user (id),
    csrf_token  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    revoked_at  timestamptz
);
CREATE INDEX user_session_user ON user_session (user_id);

CREATE TABLE api_token (
    id           bigserial PRIMARY KEY,
    user_id      bigint NOT NULL REFERENCES app_user (id),
    name         text NOT NULL,
    token_hash   text NOT NULL UNIQUE,
    scopes       text[] NOT NULL CHECK (scopes <@ ARRAY['read', 'write']::text[] AND cardinality(scopes) > 0),
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    revoked_at   timestamptz,
    last_used_at timestamptz
);
CREATE INDEX api_token_user ON api_token (user_id);

CREATE TABLE login_attempt (
    id       bigserial PRIMARY KEY,
    username text NOT NULL,
    ip       text,
    ok       boolean NOT NULL,
    at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_attempt_user ON login_attempt (username, at);
CREATE INDEX login_attempt_ip ON login_attempt (ip, at);

-- Append-only record of every write and every login: who, when, what.
CREATE TABLE audit_event (
    id     bigserial PRIMARY KEY,
    at     timestamptz NOT NULL DEFAULT now(),
    actor  text NOT NULL,
    action text NOT NULL,
    target text,
    detail jsonb NOT NULL DEFAULT '{}',
    ip     text
);
CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_event is append-only';
END
$$;
CREATE TRIGGER audit_event_no_change BEFORE UPDATE OR DELETE ON audit_event
    FOR EACH ROW EXECUTE FUNCTION audit_event_append_only();
