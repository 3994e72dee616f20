-- Public portal and open data: API-key sign-up, rate limits, disclosure, department pushes.

-- Per-key request limit (requests per minute); NULL takes the default of the key's role (web/auth/ratelimit.py).
ALTER TABLE api_token ADD COLUMN rate_per_minute integer CHECK (rate_per_minute > 0);

-- Open-data API keys requested on the portal: who asked (e-mail, purpose), from where, and the account + token
-- made for them (role 'public', scope read). The token itself is stored only as a digest in api_token.
CREATE TABLE open_data_signup (
    id         bigserial PRIMARY KEY,
    email      text NOT NULL CHECK (length(email) <= 254),
    purpose    text NOT NULL CHECK (length(purpose) <= 500),
    user_id    bigint NOT NULL REFERENCES app_user (id),
    token_id   bigint NOT NULL REFERENCES api_token (id),
    ip         text,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX open_data_signup_ip ON open_data_signup (ip, created_at);
CREATE INDEX open_data_signup_email ON open_data_signup (lower(email), created_at);

-- Fixed one-minute windows of request counts per caller key (token id, session, or client address), shared by
-- every web process. Old windows are pruned by the limiter itself.
CREATE UNLOGGED TABLE api_rate_window (
    key          text NOT NULL,
    window_start timestamptz NOT NULL,
    hits         integer NOT NULL,
    PRIMARY KEY (key, window_start)
);

-- Department pushes over the API: idempotent by (pushing user, batch id). A repeated batch id with the same
-- content returns the stored outcome; with different content it is refused.
CREATE TABLE push_batch (
    user_id      bigint NOT NULL REFERENCES app_user (id),
    batch_id     text NOT NULL CHECK (batch_id ~ '^[A-Za-z0-9_.:-]{1,100}$'),
    sha256       text NOT NULL,
    raw_input_id bigint REFERENCES raw_input (id),
    ingest_id    bigint REFERENCES ingest_log (id),
    outcome      jsonb NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, batch_id)
);

-- Enterprise emission disclosure (企业事业单位环境信息公开办法, 2014, art. 8-9: key pollutant-discharge units publish
-- their monitoring data). Only enterprises listed here with disclosed = true appear on the public portal.
CREATE TABLE disclosure_setting (
    enterprise_id bigint PRIMARY KEY REFERENCES enterprise (id),
    disclosed     boolean NOT NULL DEFAULT true,
    note          text,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    updated_by    text NOT NULL
);
