-- Quality: per-test QC flags with history, review and sign-off, interference records, hash-chained audit, alarms.
-- See docs/quality.md. Session settings `ecomon.actor` and `ecomon.change` (set with set_config(..., true) by the
-- application) attribute statement-level changes to observations; without them a change counts as ingest.

-- ================================================================ tamper-evident audit chain ("全程留痕")
-- audit_event (0002) becomes the chain: every inserted row gets the next gap-free `seq`, the previous row's hash
-- and hash = SHA-256(prev_hash ‖ payload) in a BEFORE INSERT trigger, so every writer (web, CLI, triggers below)
-- appends through the chain and nobody can forget it. Rows stay append-only (0002 trigger).
-- payload = the fields at, actor, action, target, detail, ip, each as "<octets>:<text>" ("~" for NULL), `at` as
-- ISO 8601 UTC with microseconds and `detail` in PostgreSQL's canonical jsonb text. ecomon.quality.audit
-- recomputes the same bytes independently when verifying.
ALTER TABLE audit_event ADD COLUMN seq bigint, ADD COLUMN prev_hash bytea, ADD COLUMN hash bytea;

CREATE FUNCTION audit_field(f text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN f IS NULL THEN '~' ELSE octet_length(f)::text || ':' || f END
$$;

CREATE FUNCTION audit_payload(p_at timestamptz, p_actor text, p_action text, p_target text, p_detail jsonb,
                              p_ip text) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
    SELECT convert_to(audit_field(to_char(p_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))
                      || audit_field(p_actor) || audit_field(p_action) || audit_field(p_target)
                      || audit_field(p_detail::text) || audit_field(p_ip), 'UTF8')
$$;

-- The head of the chain (one row), advanced once per statement: a deleted tail shows as head > last record.
CREATE TABLE audit_head (
    one  boolean PRIMARY KEY DEFAULT true CHECK (one),
    seq  bigint NOT NULL,
    hash bytea NOT NULL
);
INSERT INTO audit_head VALUES (true, 0, '\x0000000000000000000000000000000000000000000000000000000000000000');

-- Appends are serialised by a transaction-level advisory lock; the previous record is read through the seq index
-- (rows earlier in the same statement are visible to a BEFORE ROW trigger), so a bulk append stays linear.
CREATE FUNCTION audit_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    last_seq bigint;
    last_hash bytea;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('ecomon.audit_chain'));
    SELECT seq, hash INTO last_seq, last_hash FROM audit_event ORDER BY seq DESC LIMIT 1;
    NEW.seq := coalesce(last_seq, 0) + 1;
    NEW.prev_hash := coalesce(last_hash, '\x0000000000000000000000000000000000000000000000000000000000000000');
    NEW.hash := sha256(NEW.prev_hash || audit_payload(NEW.at, NEW.actor, NEW.action, NEW.target, NEW.detail, NEW.ip));
    RETURN NEW;
END
$$;

CREATE FUNCTION audit_head_advance() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE audit_head h SET seq = e.seq, hash = e.hash
    FROM (SELECT seq, hash FROM audit_event ORDER BY seq DESC LIMIT 1) e WHERE e.seq > h.seq;
    RETURN NULL;
END
$$;

-- Rows written before this migration are chained now, in id order.
ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_change;
DO $$
DECLARE
    r record;
    h bytea := '\x0000000000000000000000000000000000000000000000000000000000000000';
    n bigint := 0;
BEGIN
    FOR r IN SELECT * FROM audit_event ORDER BY id LOOP
        n := n + 1;
        UPDATE audit_event SET seq = n, prev_hash = h,
               hash = sha256(h || audit_payload(r.at, r.actor, r.action, r.target, r.detail, r.ip))
        WHERE id = r.id RETURNING hash INTO h;
    END LOOP;
    UPDATE audit_head SET seq = n, hash = h;
END
$$;
ALTER TABLE audit_event ENABLE TRIGGER audit_event_no_change;
ALTER TABLE audit_event ALTER COLUMN seq SET NOT NULL, ALTER COLUMN prev_hash SET NOT NULL,
    ALTER COLUMN hash SET NOT NULL;
CREATE UNIQUE INDEX audit_event_seq ON audit_event (seq);
CREATE TRIGGER audit_event_chain BEFORE INSERT ON audit_event FOR EACH ROW EXECUTE FUNCTION audit_chain();
CREATE TRIGGER audit_event_head AFTER INSERT ON audit_event FOR EACH STATEMENT EXECUTE FUNCTION audit_head_advance();

CREATE FUNCTION audit_refuse_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END
$$;
CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_truncate();

-- Periodic Merkle checkpoints (RFC 6962 tree over the record hashes of seq 1..upto_seq). Exported copies kept
-- outside the database make a rewrite of the whole chain detectable.
CREATE TABLE audit_checkpoint (
    id          bigserial PRIMARY KEY,
    upto_seq    bigint NOT NULL,
    head_hash   bytea NOT NULL,          -- hash of record upto_seq
    merkle_root bytea NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text NOT NULL
);
CREATE TRIGGER audit_checkpoint_no_change BEFORE UPDATE OR DELETE ON audit_checkpoint
    FOR EACH ROW EXECUTE FUNCTION audit_event_append_only();

-- ---------------------------------------------------------------- registry changes are chained (by trigger)
CREATE FUNCTION audit_registry_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    row_new jsonb := CASE WHEN TG_OP = 'DELETE' THEN NULL ELSE to_jsonb(NEW) END;
    row_old jsonb := CASE WHEN TG_OP = 'INSERT' THEN NULL ELSE to_jsonb(OLD) END;
    actor text := coalesce(nullif(current_setting('ecomon.actor', true), ''), row_new ->> 'updated_by',
                           'db:' || current_user);
BEGIN
    IF TG_OP = 'UPDATE' AND row_new - 'updated_at' = row_old - 'updated_at' THEN
        RETURN NULL;                      -- an idempotent re-import changes nothing worth a record
    END IF;
    -- secrets never enter the audit log (device password hashes)
    INSERT INTO audit_event (actor, action, target, detail)
    VALUES (actor, TG_TABLE_NAME || '.' || lower(TG_OP),
            TG_TABLE_NAME || ':' || coalesce(row_new ->> 'id', row_old ->> 'id'),
            jsonb_strip_nulls(jsonb_build_object('before', row_old - 'password_hash',
                                                 'after', row_new - 'password_hash')));
    RETURN NULL;
END
$$;
CREATE TRIGGER site_audit AFTER INSERT OR UPDATE OR DELETE ON site
    FOR EACH ROW EXECUTE FUNCTION audit_registry_change();
CREATE TRIGGER enterprise_audit AFTER INSERT OR UPDATE OR DELETE ON enterprise
    FOR EACH ROW EXECUTE FUNCTION audit_registry_change();
CREATE TRIGGER outlet_audit AFTER INSERT OR UPDATE OR DELETE ON outlet
    FOR EACH ROW EXECUTE FUNCTION audit_registry_change();
CREATE TRIGGER device_audit AFTER INSERT OR UPDATE OR DELETE ON device
    FOR EACH ROW EXECUTE FUNCTION audit_registry_change();
CREATE TRIGGER app_user_audit AFTER UPDATE OR DELETE ON app_user
    FOR EACH ROW EXECUTE FUNCTION audit_registry_change();

-- ---------------------------------------------------------------- observation changes: one record per statement
-- Each statement that writes observations (an ingest merge, a QC batch, a review step) appends ONE chained record
-- holding the batch digest: SHA-256 over the written rows in key order (one line per row: series_id, t as µs since
-- the epoch, value, data_flag, qc_flag, review_state, version, comma-separated), so appending never costs a row
-- per datum.
-- Ingested rows are also queued for automatic QC (qc_pending).
CREATE TABLE qc_pending (
    series_id integer NOT NULL,
    day       date NOT NULL,            -- UTC calendar day
    queued_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (series_id, day)
);

CREATE FUNCTION observation_batch_audit() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    change text := coalesce(nullif(current_setting('ecomon.change', true), ''), 'ingest');
    actor text := coalesce(nullif(current_setting('ecomon.actor', true), ''), 'db:' || current_user);
    summary record;
BEGIN
    SELECT count(*) AS n, count(DISTINCT series_id) AS series, min(t) AS t_min, max(t) AS t_max,
           encode(sha256(convert_to(coalesce(string_agg(
               concat_ws(',', series_id, (extract(epoch FROM t) * 1000000)::bigint, value,
                         data_flag, qc_flag, review_state, version), E'\n' ORDER BY series_id, t), ''), 'UTF8')),
                  'hex') AS digest,
           array_agg(DISTINCT channel || ':' || source_id) FILTER (WHERE change = 'ingest') AS sources
    INTO summary FROM new_rows;
    IF summary.n = 0 THEN
        RETURN NULL;
    END IF;
    INSERT INTO audit_event (actor, action, target, detail)
    VALUES (actor, 'observation.' || change || '.' || lower(TG_OP), 'observation',
            jsonb_strip_nulls(jsonb_build_object('rows', summary.n, 'series', summary.series,
                              't_min', summary.t_min, 't_max', summary.t_max, 'sha256', summary.digest,
                              'sources', to_jsonb(summary.sources[1:20]))));
    IF change = 'ingest' THEN
        INSERT INTO qc_pending (series_id, day)
        SELECT DISTINCT series_id, (t AT TIME ZONE 'UTC')::date FROM new_rows
        ON CONFLICT (series_id, day) DO UPDATE SET queued_at = now();
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER observation_insert_audit AFTER INSERT ON observation
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION observation_batch_audit();
CREATE TRIGGER observation_update_audit AFTER UPDATE ON observation
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION observation_batch_audit();

-- ================================================================ QC configuration and per-test results
-- Thresholds are data, versioned: a version holds rows per parameter, optionally narrowed to a site type or a
-- site (site overrides site type overrides the parameter default; quality/rules/config.py RuleSet.resolve).
CREATE TABLE qc_config (
    version     serial PRIMARY KEY,
    rule_set    text NOT NULL,           -- e.g. air-hourly
    label       text NOT NULL,           -- the rule set's own version, e.g. 2026.1
    interval_s  double precision NOT NULL,
    pairs       jsonb NOT NULL DEFAULT '[]',
    note        text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text NOT NULL
);
CREATE TABLE qc_threshold (
    version     integer NOT NULL REFERENCES qc_config (version),
    parameter   text NOT NULL,           -- the rule set's parameter name (PM2.5, SO2, O2 ...)
    site_type   text,
    site_code   text,
    test        text NOT NULL,
    params      jsonb NOT NULL,
    CHECK (num_nonnulls(site_type, site_code) <= 1)
);
CREATE UNIQUE INDEX qc_threshold_key ON qc_threshold (version, parameter, coalesce(site_type, ''),
                                                      coalesce(site_code, ''), test);
CREATE FUNCTION qc_config_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'QC configuration versions are immutable; create a new version';
END
$$;
CREATE TRIGGER qc_config_no_change BEFORE UPDATE OR DELETE ON qc_config
    FOR EACH ROW EXECUTE FUNCTION qc_config_frozen();
CREATE TRIGGER qc_threshold_no_change BEFORE UPDATE OR DELETE ON qc_threshold
    FOR EACH ROW EXECUTE FUNCTION qc_config_frozen();

-- Per-test outcome of every value that did not pass all tests (passing values need no row): bit i of a mask is
-- test i of ecomon.quality.pipeline.TEST_BITS. A re-run that changes the outcome moves the old row to history.
CREATE TABLE qc_result (
    series_id   integer NOT NULL,
    t           timestamptz NOT NULL,
    suspect     smallint NOT NULL,       -- tests that said SUSPECT (3)
    fail        smallint NOT NULL,       -- tests that said FAIL (4)
    qc_flag     smallint NOT NULL,
    version     integer NOT NULL REFERENCES qc_config (version),
    checked_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (series_id, t)
);
CREATE TABLE qc_result_history (
    series_id     integer NOT NULL,
    t             timestamptz NOT NULL,
    suspect       smallint NOT NULL,
    fail          smallint NOT NULL,
    qc_flag       smallint NOT NULL,
    version       integer NOT NULL,
    checked_at    timestamptz NOT NULL,
    superseded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX qc_result_history_key ON qc_result_history (series_id, t);

-- ================================================================ review and sign-off (一审 / 二审 / 发布)
-- Every review step, including refused attempts, is one row; invalidation keeps the reason, a correction keeps
-- the original value in observation_history (version + 1).
CREATE TABLE review_action (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    actor       text NOT NULL,
    role        text NOT NULL,
    action      text NOT NULL CHECK (action IN ('accept', 'invalidate', 'correct', 'sign', 'reopen')),
    outcome     text NOT NULL CHECK (outcome IN ('done', 'refused')),
    site_id     bigint REFERENCES site (id),
    parameter_code text,
    t_from      timestamptz,
    t_to        timestamptz,
    level       smallint,                -- target review state (1 reviewed, 2 audited, 3 released)
    n_values    integer NOT NULL DEFAULT 0,
    reason      text,
    detail      jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX review_action_site ON review_action (site_id, t_from);
CREATE TRIGGER review_action_no_change BEFORE UPDATE OR DELETE ON review_action
    FOR EACH ROW EXECUTE FUNCTION audit_event_append_only();

-- Electronic sign-off of a month of a site at a level by a named user. signature = SHA-256 over the signed data
-- digest, the signer, the level and the time (see ecomon.quality.review.signature). A reopened sign-off keeps
-- its row; a new sign-off is needed after changes.
CREATE TABLE signoff (
    id            bigserial PRIMARY KEY,
    site_id       bigint NOT NULL REFERENCES site (id),
    month         date NOT NULL CHECK (extract(day FROM month) = 1),
    level         smallint NOT NULL CHECK (level IN (1, 2, 3)),
    signed_by     text NOT NULL,
    signed_at     timestamptz NOT NULL,
    n_values      integer NOT NULL,
    data_digest   text NOT NULL,
    signature     text NOT NULL,
    reopened_at   timestamptz,
    reopened_by   text,
    reopen_reason text
);
CREATE UNIQUE INDEX signoff_open ON signoff (site_id, month, level) WHERE reopened_at IS NULL;

-- ================================================================ interference records (干预留痕)
-- Filed by the person who was asked (who asked for what, when, how); can never be changed or deleted.
CREATE TABLE interference (
    id             bigserial PRIMARY KEY,
    filed_at       timestamptz NOT NULL DEFAULT now(),
    filed_by       text NOT NULL,
    requested_at   timestamptz NOT NULL,
    requester      text NOT NULL,        -- name of the person who asked
    requester_org  text,
    channel        text NOT NULL CHECK (channel IN ('in_person', 'phone', 'message', 'document', 'other')),
    request        text NOT NULL CHECK (length(request) BETWEEN 1 AND 4000),
    response       text CHECK (length(response) <= 4000),
    site_id        bigint REFERENCES site (id),
    t_from         timestamptz,
    t_to           timestamptz
);
CREATE INDEX interference_site ON interference (site_id, filed_at);
CREATE FUNCTION interference_permanent() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'interference records cannot be changed or deleted';
END
$$;
CREATE TRIGGER interference_no_change BEFORE UPDATE OR DELETE ON interference
    FOR EACH ROW EXECUTE FUNCTION interference_permanent();
CREATE TRIGGER interference_no_truncate BEFORE TRUNCATE ON interference
    FOR EACH STATEMENT EXECUTE FUNCTION interference_permanent();

-- ================================================================ alarm events from the detectors
CREATE TABLE alarm_event (
    id             bigserial PRIMARY KEY,
    detector       text NOT NULL,
    site_id        bigint NOT NULL REFERENCES site (id),
    parameter_code text NOT NULL DEFAULT '',  -- '' for station-level alarms
    t_start        timestamptz NOT NULL,
    t_end          timestamptz NOT NULL CHECK (t_end >= t_start),
    score          double precision NOT NULL,
    evidence       jsonb NOT NULL,       -- statistic, threshold, context numbers and a chart-ready series
    status         text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'confirmed', 'dismissed')),
    created_at     timestamptz NOT NULL DEFAULT now(),
    verdict_by     text,
    verdict_at     timestamptz,
    verdict_note   text,
    UNIQUE (detector, site_id, parameter_code, t_start)
);
CREATE INDEX alarm_event_open ON alarm_event (status, t_start);
CREATE INDEX alarm_event_site ON alarm_event (site_id, t_start);
