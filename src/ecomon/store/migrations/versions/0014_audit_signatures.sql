-- Signed audit checkpoints and verification of the observations themselves (docs/quality.md, "Tamper-evident audit").
--
-- 1. Ed25519 signing keys. The private key stays in ECOMON_HOME/secrets (0600, never in the database); the public
--    key is registered here with its fingerprint (SHA-256 of the 32 raw key octets, hex) and by a chained
--    `audit.key.register` record. Rotation adds a key; the newest one signs, older checkpoints stay verifiable.
CREATE TABLE audit_signing_key (
    fingerprint text PRIMARY KEY,
    algorithm   text NOT NULL DEFAULT 'ed25519' CHECK (algorithm = 'ed25519'),
    public_key  bytea NOT NULL CHECK (octet_length(public_key) = 32),
    created_at  timestamptz NOT NULL,
    created_by  text NOT NULL
);
CREATE TRIGGER audit_signing_key_no_change BEFORE UPDATE OR DELETE ON audit_signing_key
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_truncate();
CREATE TRIGGER audit_signing_key_no_truncate BEFORE TRUNCATE ON audit_signing_key
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_truncate();

-- Each new checkpoint is signed over (range 1..upto_seq, head hash, Merkle root, time, key); see
-- ecomon.quality.audit_keys.checkpoint_message. Checkpoints taken before this migration stay unsigned.
ALTER TABLE audit_checkpoint ADD COLUMN key_fingerprint text REFERENCES audit_signing_key (fingerprint),
    ADD COLUMN signature bytea;

-- 2. Day states of observations. The obs-v2 record of a statement commits to the rows it wrote, but later
--    statements change some of those rows (QC flags and review states in place, without history), so the rows a
--    statement wrote cannot always be rebuilt. Each statement therefore also commits to the complete state it
--    leaves behind in every (series, UTC day) it touched: the number of rows of that day and the SHA-256 of all of
--    them in time order (obs-v2 row form, migration 0009). The newest state of a day must equal the day as stored
--    now — an exact check whatever happened before — and a day stored without any state was written around the
--    application. A day's superseded versions (observation_history, kept by every revision) are part of its state:
--    digest = SHA-256(rows in time order ‖ history rows in (t, version, superseded_at) order), a history row being
--    the obs-v2 form ‖ int8 superseded_at (µs since 2000) ‖ int2 octet length + UTF-8 superseded_by; a day without
--    history hashes its rows alone. The record's detail holds "days_sha256" over the states it left:
--        SHA-256 of, per state in (series_id, day) order: int4 series_id | int4 days since 2000-01-01 | int4 n
--        | 32 octets digest
--    so the states are as tamper-evident as the chain; ecomon.quality.audit_data recomputes both in Python.
CREATE TABLE observation_day_state (
    series_id integer NOT NULL,
    day       date NOT NULL,             -- UTC calendar day
    seq       bigint NOT NULL,           -- the audit_event record that left this state
    n         integer NOT NULL,
    digest    bytea NOT NULL,
    PRIMARY KEY (series_id, day, seq)
);
CREATE TRIGGER observation_day_state_no_change BEFORE UPDATE OR DELETE ON observation_day_state
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_truncate();
CREATE TRIGGER observation_day_state_no_truncate BEFORE TRUNCATE ON observation_day_state
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_truncate();

-- The obs-v2 row form of migration 0009 in one place. STABLE like convert_to, so the planner inlines it (an
-- IMMUTABLE wrapper around a STABLE function is called per row instead, several times slower).
CREATE FUNCTION observation_row_bytes(p_series_id integer, p_t timestamptz, p_value double precision,
                                      p_data_flag text, p_qc_flag smallint, p_review_state smallint,
                                      p_version smallint) RETURNS bytea LANGUAGE sql STABLE AS $$
    SELECT int4send(p_series_id) || timestamptz_send(p_t)
           || coalesce('\x01'::bytea || float8send(p_value), '\x00'::bytea)
           || coalesce(int2send(octet_length(p_data_flag)::smallint) || convert_to(p_data_flag, 'UTF8'),
                       '\xffff'::bytea)
           || int8send(((p_qc_flag::bigint & 65535) << 32) | ((p_review_state::bigint & 65535) << 16)
                       | (p_version::bigint & 65535))
$$;

CREATE FUNCTION observation_history_bytes(p_series_id integer, p_t timestamptz, p_value double precision,
                                          p_data_flag text, p_qc_flag smallint, p_review_state smallint,
                                          p_version smallint, p_superseded_at timestamptz, p_superseded_by text)
RETURNS bytea LANGUAGE sql STABLE AS $$
    SELECT observation_row_bytes(p_series_id, p_t, p_value, p_data_flag, p_qc_flag, p_review_state, p_version)
           || timestamptz_send(p_superseded_at) || int2send(octet_length(p_superseded_by)::smallint)
           || convert_to(p_superseded_by, 'UTF8')
$$;

-- The superseded versions of the given (series, UTC day)s, concatenated per day (one history range scan each).
CREATE FUNCTION observation_day_history(p_series integer[], p_days date[])
RETURNS TABLE (series_id integer, day date, b bytea) LANGUAGE sql STABLE AS $$
    SELECT k.series_id, k.day, h.b
    FROM unnest(p_series, p_days) AS k(series_id, day)
    CROSS JOIN LATERAL (
        SELECT string_agg(observation_history_bytes(x.series_id, x.t, x.value, x.data_flag, x.qc_flag,
                                                    x.review_state, x.version, x.superseded_at, x.superseded_by),
                          ''::bytea ORDER BY x.t, x.version, x.superseded_at) AS b
        FROM observation_history x
        WHERE x.series_id = k.series_id AND x.t >= k.day::timestamp AT TIME ZONE 'UTC'
          AND x.t < (k.day + 1)::timestamp AT TIME ZONE 'UTC') h
    WHERE h.b IS NOT NULL
$$;

CREATE FUNCTION observation_state_entry(p_series_id integer, p_day date, p_n bigint, p_digest bytea)
RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
    SELECT int4send(p_series_id) || int4send(p_day - date '2000-01-01') || int4send(p_n::integer) || p_digest
$$;

-- Same name, trigger and obs-v2 record as 0009, plus the day states. The day's other rows are read from
-- `observation` minus the keys written now: the statement may write into `observation` itself (already visible
-- here) or into a table whose rows reach `observation` later in the same transaction (a new partition before
-- ATTACH, the `obs_new` staging table; store/observations.py). The chain's advisory lock is taken first, so a
-- concurrent writer of the same day, serialised behind it, reads this transaction's rows once it has committed.
CREATE OR REPLACE FUNCTION observation_batch_audit() RETURNS trigger LANGUAGE plpgsql
SET work_mem = '256MB' SET max_parallel_workers_per_gather = 0 AS $$
DECLARE
    change text := coalesce(nullif(current_setting('ecomon.change', true), ''), 'ingest');
    actor text := coalesce(nullif(current_setting('ecomon.actor', true), ''), 'db:' || current_user);
    sources text[];
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('ecomon.audit_chain'));
    IF change = 'ingest' THEN
        SELECT array_agg(source ORDER BY source) INTO sources
        FROM (SELECT DISTINCT channel || ':' || source_id AS source FROM
              (SELECT channel, source_id FROM new_rows GROUP BY 1, 2) g ORDER BY 1 LIMIT 20) s;
    END IF;
    WITH written AS MATERIALIZED (
        SELECT series_id, t, (t AT TIME ZONE 'UTC')::date AS day,
               observation_row_bytes(series_id, t, value, data_flag, qc_flag, review_state, version) AS b
        FROM new_rows),
    days AS MATERIALIZED (
        SELECT series_id, day, count(*) AS n, min(t) AS t_min, max(t) AS t_max,
               string_agg(b, ''::bytea ORDER BY t) AS rows
        FROM written GROUP BY 1, 2),
    spans AS (
        SELECT series_id, min(day) AS lo, max(day) AS hi FROM days GROUP BY 1),
    kept AS MATERIALIZED (          -- LATERAL + OFFSET 0 (not flattened): one primary-key range scan per series
        SELECT d.day, o.* FROM spans s
        CROSS JOIN LATERAL (SELECT * FROM observation x WHERE x.series_id = s.series_id
                            AND x.t >= s.lo::timestamp AT TIME ZONE 'UTC'
                            AND x.t < (s.hi + 1)::timestamp AT TIME ZONE 'UTC' OFFSET 0) o
        JOIN days d ON d.series_id = o.series_id AND d.day = (o.t AT TIME ZONE 'UTC')::date
        WHERE NOT EXISTS (SELECT 1 FROM written w WHERE w.series_id = o.series_id AND w.t = o.t)),
    mixed AS (
        SELECT series_id, day, count(*) AS n, string_agg(b, ''::bytea ORDER BY t) AS rows
        FROM (SELECT series_id, day, t, observation_row_bytes(series_id, t, value, data_flag, qc_flag, review_state,
                                                              version) AS b FROM kept
              UNION ALL
              SELECT w.series_id, w.day, w.t, w.b FROM written w
              WHERE EXISTS (SELECT 1 FROM kept k WHERE k.series_id = w.series_id AND k.day = w.day)) u
        GROUP BY 1, 2),
    hist AS (
        SELECT * FROM observation_day_history((SELECT array_agg(series_id ORDER BY series_id, day) FROM days),
                                              (SELECT array_agg(day ORDER BY series_id, day) FROM days))),
    states AS MATERIALIZED (
        SELECT d.series_id, d.day, coalesce(m.n, d.n) AS n,
               sha256(coalesce(m.rows, d.rows) || coalesce(h.b, ''::bytea)) AS digest
        FROM days d LEFT JOIN mixed m USING (series_id, day) LEFT JOIN hist h USING (series_id, day)),
    queued AS (
        INSERT INTO qc_pending (series_id, day) SELECT series_id, day FROM days WHERE change = 'ingest'
        ON CONFLICT (series_id, day) DO UPDATE SET queued_at = now()),
    summary AS (
        SELECT sum(n)::bigint AS n, count(DISTINCT series_id) AS series, min(t_min) AS t_min, max(t_max) AS t_max,
               encode(sha256(string_agg(rows, ''::bytea ORDER BY series_id, day)), 'hex') AS digest
        FROM days),
    committed AS (
        SELECT count(*) AS days,
               encode(sha256(string_agg(observation_state_entry(series_id, day, n, digest), ''::bytea
                                        ORDER BY series_id, day)), 'hex') AS digest
        FROM states),
    event AS (
        INSERT INTO audit_event (actor, action, target, detail)
        SELECT actor, 'observation.' || change || '.' || lower(TG_OP), 'observation',
               jsonb_strip_nulls(jsonb_build_object('rows', s.n, 'series', s.series, 't_min', s.t_min,
                                 't_max', s.t_max, 'sha256', s.digest, 'digest', 'obs-v2', 'sources', to_jsonb(sources),
                                 'days', c.days, 'days_sha256', c.digest))
        FROM summary s, committed c WHERE s.n IS NOT NULL
        RETURNING seq)
    INSERT INTO observation_day_state (series_id, day, seq, n, digest)
    SELECT st.series_id, st.day, e.seq, st.n, st.digest FROM states st, event e;
    RETURN NULL;
END
$$;

-- Observations stored before this migration get their day states now, under one chained baseline record: from
-- here on every day is checkable (a change made before the baseline is beyond what this check can see).
WITH stored AS MATERIALIZED (
    SELECT series_id, (t AT TIME ZONE 'UTC')::date AS day, count(*) AS n, min(t) AS t_min, max(t) AS t_max,
           string_agg(observation_row_bytes(series_id, t, value, data_flag, qc_flag, review_state, version),
                      ''::bytea ORDER BY t) AS rows
    FROM observation GROUP BY 1, 2),
hist AS (
    SELECT series_id, (t AT TIME ZONE 'UTC')::date AS day,
           string_agg(observation_history_bytes(series_id, t, value, data_flag, qc_flag, review_state, version,
                                                superseded_at, superseded_by),
                      ''::bytea ORDER BY t, version, superseded_at) AS b
    FROM observation_history GROUP BY 1, 2),
days AS MATERIALIZED (
    SELECT s.series_id, s.day, s.n, s.t_min, s.t_max, sha256(s.rows || coalesce(h.b, ''::bytea)) AS digest
    FROM stored s LEFT JOIN hist h USING (series_id, day)),
committed AS (
    SELECT count(*) AS days, sum(n)::bigint AS n, count(DISTINCT series_id) AS series, min(t_min) AS t_min,
           max(t_max) AS t_max, encode(sha256(string_agg(observation_state_entry(series_id, day, n, digest), ''::bytea
                                    ORDER BY series_id, day)), 'hex') AS digest
    FROM days),
event AS (
    INSERT INTO audit_event (actor, action, target, detail)
    SELECT 'migration:0014', 'observation.baseline', 'observation',
           jsonb_build_object('rows', n, 'series', series, 't_min', t_min, 't_max', t_max, 'days', days,
                              'days_sha256', digest)
    FROM committed WHERE days > 0
    RETURNING seq)
INSERT INTO observation_day_state (series_id, day, seq, n, digest)
SELECT d.series_id, d.day, e.seq, d.n, d.digest FROM days d, event e;

-- Records written by the loader itself rather than by the trigger function (a direct write path of
-- store/observations.merge may compute the obs-v2 record from the frame it COPYed and insert it into audit_event;
-- such a record has no "days_sha256"): their day states are added here, as the record is appended. The days
-- touched are those of the rows this transaction stored (received_at = now(), the column default every load
-- path leaves in place; a BRIN index on received_at finds them without scanning older data) within the record's
-- time span; extra days of the same transaction do no harm, since a state is always the whole day as stored.
-- The trigger's name sorts after audit_event_chain, so seq and prev_hash are set; the hash is computed again
-- over the completed detail (the payload of migration 0005).
CREATE INDEX observation_received_brin ON observation USING brin (received_at);

CREATE FUNCTION audit_observation_days() RETURNS trigger LANGUAGE plpgsql
SET work_mem = '256MB' SET max_parallel_workers_per_gather = 0 AS $$
DECLARE
    committed record;
BEGIN
    IF NEW.action NOT LIKE 'observation.%' OR NEW.detail ? 'days_sha256' OR NOT NEW.detail ? 't_min' THEN
        RETURN NEW;
    END IF;
    WITH touched AS (
        SELECT DISTINCT series_id, (t AT TIME ZONE 'UTC')::date AS day FROM observation
        WHERE received_at = now()
          AND t BETWEEN (NEW.detail->>'t_min')::timestamptz AND (NEW.detail->>'t_max')::timestamptz),
    day_rows AS MATERIALIZED (
        SELECT d.series_id, d.day, count(*) AS n,
               string_agg(observation_row_bytes(o.series_id, o.t, o.value, o.data_flag, o.qc_flag,
                                                o.review_state, o.version), ''::bytea ORDER BY o.t) AS rows
        FROM touched d
        CROSS JOIN LATERAL (SELECT * FROM observation x WHERE x.series_id = d.series_id
                            AND x.t >= d.day::timestamp AT TIME ZONE 'UTC'
                            AND x.t < (d.day + 1)::timestamp AT TIME ZONE 'UTC' OFFSET 0) o
        GROUP BY 1, 2),
    states AS MATERIALIZED (
        SELECT r.series_id, r.day, r.n, sha256(r.rows || coalesce(h.b, ''::bytea)) AS digest
        FROM day_rows r
        LEFT JOIN observation_day_history((SELECT array_agg(series_id ORDER BY series_id, day) FROM day_rows),
                                          (SELECT array_agg(day ORDER BY series_id, day) FROM day_rows)) h USING (series_id, day)),
    stored AS (
        INSERT INTO observation_day_state (series_id, day, seq, n, digest)
        SELECT series_id, day, NEW.seq, n, digest FROM states)
    SELECT count(*) AS days, encode(sha256(string_agg(observation_state_entry(series_id, day, n, digest), ''::bytea
                                                      ORDER BY series_id, day)), 'hex') AS digest
    INTO committed FROM states;
    IF committed.days > 0 THEN
        NEW.detail := NEW.detail || jsonb_build_object('days', committed.days, 'days_sha256', committed.digest);
        NEW.hash := sha256(NEW.prev_hash || audit_payload(NEW.at, NEW.actor, NEW.action, NEW.target, NEW.detail,
                                                          NEW.ip));
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER audit_event_chain_observation_days BEFORE INSERT ON audit_event
    FOR EACH ROW WHEN (NEW.action LIKE 'observation.%' AND NOT NEW.detail ? 'days_sha256')
    EXECUTE FUNCTION audit_observation_days();
