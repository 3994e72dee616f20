-- Staff console: registry edits with history and import jobs.

-- Enterprises get a lifecycle like sites, outlets and devices (a closed enterprise is retired, never deleted).
ALTER TABLE enterprise ADD COLUMN state text NOT NULL DEFAULT 'active'
    CHECK (state IN ('planned', 'building', 'active', 'suspended', 'retired'));

-- Dated lifecycle history of enterprises, outlets and devices (sites keep theirs in site_state_history).
-- valid_from is the date the state takes effect in the field, which may precede the edit (changed_at).
CREATE TABLE registry_state_history (
    id         bigserial PRIMARY KEY,
    kind       text NOT NULL CHECK (kind IN ('enterprise', 'outlet', 'device')),
    entity_id  bigint NOT NULL,
    state      text NOT NULL CHECK (state IN ('planned', 'building', 'active', 'suspended', 'retired')),
    valid_from date NOT NULL,
    reason     text,
    changed_at timestamptz NOT NULL DEFAULT now(),
    changed_by text NOT NULL
);
CREATE INDEX registry_state_history_entity ON registry_state_history (kind, entity_id, valid_from);

-- A file import started from the console runs in the background; the page polls this row for its progress.
CREATE TABLE import_job (
    id          bigserial PRIMARY KEY,
    file_name   text NOT NULL,
    status      text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'done', 'skipped', 'failed')),
    values_done bigint NOT NULL DEFAULT 0,
    values_total bigint,
    ingest_id   bigint REFERENCES ingest_log (id),
    summary     jsonb,
    error       text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    user_id     bigint NOT NULL REFERENCES app_user (id),
    created_by  text NOT NULL
);
CREATE INDEX import_job_user ON import_job (user_id, id);
