-- Provisional states of days still being written, so `ecomon audit verify --data` checks open days too.
--
-- Since migration 0015 a day appended to (the HJ 212 writer's minute data) is sealed only once its UTC day has
-- closed; until then verify could not check it, and rows edited behind the application's back that day were
-- sealed as they stood. Now every pass of the QC worker (`seal_open_days`, called before `seal_observation_days`)
-- records for each pending day that is still open a state cut at a time: the rows of that day with t < t_cut
-- (t_cut = just after the newest t stored for the series at the pass), their count and
--     digest = SHA-256(those rows in time order ‖ the day's superseded versions with t < t_cut),
-- in the obs-v2 forms of migration 0014. Rows appended later lie above the cut and do not disturb the check.
--
-- `observation_open_state` holds the current state of every open day (one row per day, replaced when the day got
-- rows since), and every pass that changed the set appends one chained `observation.seal.open` record whose
-- detail commits to the complete set: "open_days" and "open_sha256" = SHA-256 over, in (series_id, day) order,
--     int4 series_id | int4 days since 2000-01-01 | int8 t_cut (µs since 2000) | int4 n | 32 octets digest.
-- Committing to the whole set (a few hundred small rows) rather than to the states written by the pass lets a
-- superseded state be replaced without leaving records whose states can no longer be recomputed. Every row carries
-- the seq of the newest such record; the table is checked against that record before a pass changes it, and a
-- mismatch is chained ("forged") before the states are rebuilt, so an edited table cannot be laundered by a pass.
--
-- A state is only valid while no later statement that writes observations may have changed the series' rows
-- below its cut: a record with states of its own (QC flags, review states, revisions through the trigger) that
-- has a state for the (series, day), or a loader record without (an append, "days_pending") whose time span meets
-- [day start, t_cut). Such a day is recomputed by the next pass; verify reports it as open until then.
--
-- When a pending day closes, the pass compares its rows below the cut with its state before
-- `seal_observation_days` seals it: a day changed behind the application's back since the last pass is chained as
-- "mismatches" in the record (and reported by verify) instead of being sealed silently.
CREATE TABLE observation_open_state (
    series_id integer NOT NULL,
    day       date NOT NULL,              -- UTC calendar day, pending in observation_day_pending
    seq       bigint NOT NULL,            -- the newest observation.seal.open record (commits to all rows)
    t_cut     timestamptz NOT NULL,       -- the state covers the rows of the day with t < t_cut
    n         integer NOT NULL,
    digest    bytea NOT NULL,
    PRIMARY KEY (series_id, day)
);
CREATE TRIGGER observation_open_state_no_truncate BEFORE TRUNCATE ON observation_open_state
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_truncate();

-- The newest pass record and the passes that chained a problem are found without scanning the chain.
CREATE INDEX audit_event_open_seal ON audit_event (seq) WHERE action = 'observation.seal.open';
CREATE INDEX audit_event_open_seal_problem ON audit_event (seq)
    WHERE action = 'observation.seal.open' AND (detail ? 'forged' OR detail ? 'mismatched');

CREATE FUNCTION observation_open_entry(p_series_id integer, p_day date, p_cut timestamptz, p_n bigint,
                                       p_digest bytea) RETURNS bytea LANGUAGE sql STABLE AS $$
    SELECT int4send(p_series_id) || int4send(p_day - date '2000-01-01') || timestamptz_send(p_cut)
           || int4send(p_n::integer) || p_digest
$$;

-- Count and digest of the rows of each (series, day) with t < cut, followed by the superseded versions with
-- t < cut (one primary-key range scan of each table per day). A day without rows below its cut has n = 0.
CREATE FUNCTION observation_day_prefix(p_series integer[], p_days date[], p_cuts timestamptz[])
RETURNS TABLE (series_id integer, day date, t_cut timestamptz, n integer, digest bytea) LANGUAGE sql STABLE
SET work_mem = '256MB' SET max_parallel_workers_per_gather = 0 AS $$
    SELECT k.series_id, k.day, k.t_cut, coalesce(r.n, 0)::integer,
           sha256(coalesce(r.b, ''::bytea) || coalesce(h.b, ''::bytea))
    FROM unnest(p_series, p_days, p_cuts) AS k(series_id, day, t_cut)
    CROSS JOIN LATERAL (
        SELECT count(*) AS n,
               string_agg(observation_row_bytes(x.series_id, x.t, x.value, x.data_flag, x.qc_flag, x.review_state,
                                                x.version), ''::bytea ORDER BY x.t) AS b
        FROM observation x
        WHERE x.series_id = k.series_id AND x.t >= k.day::timestamp AT TIME ZONE 'UTC' AND x.t < k.t_cut) r
    CROSS JOIN LATERAL (
        SELECT string_agg(observation_history_bytes(x.series_id, x.t, x.value, x.data_flag, x.qc_flag,
                                                    x.review_state, x.version, x.superseded_at, x.superseded_by),
                          ''::bytea ORDER BY x.t, x.version, x.superseded_at) AS b
        FROM observation_history x
        WHERE x.series_id = k.series_id AND x.t >= k.day::timestamp AT TIME ZONE 'UTC' AND x.t < k.t_cut) h
$$;

-- The open states that a statement chained after record p_after may have invalidated (see the header).
CREATE FUNCTION observation_open_touched(p_after bigint)
RETURNS TABLE (series_id integer, day date) LANGUAGE sql STABLE AS $$
    WITH later AS MATERIALIZED (
        SELECT seq, detail ? 'days_sha256' AS has_states,
               coalesce((detail->>'t_min')::timestamptz, '-infinity') AS t_min,
               coalesce((detail->>'t_max')::timestamptz, 'infinity') AS t_max
        FROM audit_event
        WHERE seq > p_after AND action LIKE 'observation.%' AND action NOT LIKE 'observation.seal%'
          AND action <> 'observation.baseline')
    SELECT s.series_id, s.day FROM observation_open_state s
    WHERE EXISTS (SELECT 1 FROM later e
                  WHERE e.t_min < s.t_cut AND e.t_max >= s.day::timestamp AT TIME ZONE 'UTC'
                    AND (NOT e.has_states OR EXISTS (SELECT 1 FROM observation_day_state d
                                                     WHERE d.series_id = s.series_id AND d.day = s.day
                                                       AND d.seq = e.seq)))
$$;

-- One pass: check the set against its record, check and drop the days about to be sealed (the same p_max oldest
-- closed pending days `seal_observation_days` takes), drop days no longer pending, (re)compute the states of open
-- days that are new, got rows since their cut or were touched below it, and chain the set if it changed.
-- Returns the number of states computed. Takes the chain's lock first: no writer commits observations while a
-- pass runs (every audited write takes that lock before it commits), so the cut and the rows read agree.
CREATE FUNCTION seal_open_days(p_actor text, p_max integer) RETURNS integer LANGUAGE plpgsql
SET work_mem = '256MB' SET max_parallel_workers_per_gather = 0 AS $$
DECLARE
    today date := (now() AT TIME ZONE 'UTC')::date;
    head_seq bigint;
    head_detail jsonb;
    stored_days integer;
    stored_sha text;
    forged boolean;
    touched_series integer[];
    touched_days date[];
    mismatches jsonb;
    mismatched integer;
    dropped integer;
    computed integer;
    new_seq bigint;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('ecomon.audit_chain'));
    SELECT seq, detail INTO head_seq, head_detail FROM audit_event WHERE action = 'observation.seal.open'
    ORDER BY seq DESC LIMIT 1;
    SELECT count(*), encode(sha256(coalesce(string_agg(observation_open_entry(series_id, day, t_cut, n, digest),
                                                      ''::bytea ORDER BY series_id, day), ''::bytea)), 'hex')
    INTO stored_days, stored_sha FROM observation_open_state;
    forged := CASE WHEN head_seq IS NULL THEN stored_days > 0
                   ELSE (stored_days, stored_sha) IS DISTINCT FROM ((head_detail->>'open_days')::integer,
                                                                    head_detail->>'open_sha256')
                        OR EXISTS (SELECT 1 FROM observation_open_state WHERE seq <> head_seq) END;
    IF forged THEN
        DELETE FROM observation_open_state;           -- rebuilt from the rows below; the record says why
    ELSIF head_seq IS NOT NULL THEN
        SELECT array_agg(series_id), array_agg(day) INTO touched_series, touched_days
        FROM observation_open_touched(head_seq);
    END IF;

    -- Days about to be sealed: compare below the cut unless a later statement may have changed them.
    WITH due AS (
        SELECT series_id, day FROM observation_day_pending WHERE day < today ORDER BY day, series_id LIMIT p_max),
    closing AS MATERIALIZED (
        SELECT s.* FROM observation_open_state s JOIN due USING (series_id, day)
        WHERE (s.series_id, s.day) NOT IN (SELECT * FROM unnest(touched_series, touched_days))),
    now_rows AS (
        SELECT * FROM observation_day_prefix((SELECT array_agg(series_id) FROM closing),
                                             (SELECT array_agg(day) FROM closing),
                                             (SELECT array_agg(t_cut) FROM closing))),
    differ AS (
        SELECT c.series_id, c.day, c.n AS n_sealed, r.n AS n_now FROM closing c JOIN now_rows r USING (series_id, day)
        WHERE (c.n, c.digest) IS DISTINCT FROM (r.n, r.digest))
    SELECT count(*)::integer,
           (SELECT jsonb_agg(jsonb_build_array(series_id, day, n_sealed, n_now) ORDER BY day, series_id)
            FROM (SELECT * FROM differ ORDER BY day, series_id LIMIT 100) listed)
    INTO mismatched, mismatches FROM differ;

    -- Days leaving the set: no longer pending, or about to be sealed.
    DELETE FROM observation_open_state s
    WHERE NOT EXISTS (SELECT 1 FROM observation_day_pending p WHERE p.series_id = s.series_id AND p.day = s.day)
       OR (s.series_id, s.day) IN (SELECT series_id, day FROM observation_day_pending WHERE day < today
                                   ORDER BY day, series_id LIMIT p_max);
    GET DIAGNOSTICS dropped = ROW_COUNT;

    -- Open days to (re)compute: new, with rows at or above their cut, or touched below it since the last pass.
    WITH open_days AS MATERIALIZED (
        SELECT p.series_id, p.day, s.t_cut,
               (SELECT max(x.t) FROM observation x WHERE x.series_id = p.series_id
                  AND x.t >= p.day::timestamp AT TIME ZONE 'UTC'
                  AND x.t < (p.day + 1)::timestamp AT TIME ZONE 'UTC') AS t_last
        FROM observation_day_pending p LEFT JOIN observation_open_state s USING (series_id, day)
        WHERE p.day >= today),
    todo AS MATERIALIZED (
        SELECT o.series_id, o.day, o.t_last + interval '1 microsecond' AS t_cut FROM open_days o
        WHERE o.t_last IS NOT NULL
          AND (o.t_cut IS NULL OR o.t_last >= o.t_cut
               OR (o.series_id, o.day) IN (SELECT * FROM unnest(touched_series, touched_days)))),
    fresh AS (
        SELECT * FROM observation_day_prefix((SELECT array_agg(series_id) FROM todo),
                                             (SELECT array_agg(day) FROM todo),
                                             (SELECT array_agg(t_cut) FROM todo)))
    INSERT INTO observation_open_state (series_id, day, seq, t_cut, n, digest)
    SELECT series_id, day, 0, t_cut, n, digest FROM fresh
    ON CONFLICT (series_id, day) DO UPDATE SET seq = 0, t_cut = excluded.t_cut, n = excluded.n,
                                               digest = excluded.digest;
    GET DIAGNOSTICS computed = ROW_COUNT;

    IF computed = 0 AND dropped = 0 AND NOT forged AND mismatched = 0 THEN
        RETURN 0;
    END IF;
    SELECT count(*), encode(sha256(coalesce(string_agg(observation_open_entry(series_id, day, t_cut, n, digest),
                                                      ''::bytea ORDER BY series_id, day), ''::bytea)), 'hex')
    INTO stored_days, stored_sha FROM observation_open_state;
    INSERT INTO audit_event (actor, action, target, detail)
    VALUES (p_actor, 'observation.seal.open', 'observation',
            jsonb_strip_nulls(jsonb_build_object(
                'open_days', stored_days, 'open_sha256', stored_sha, 'computed', computed, 'closed', dropped,
                'forged', CASE WHEN forged THEN jsonb_build_object('previous', head_seq) END,
                'mismatched', nullif(mismatched, 0), 'mismatches', mismatches)))
    RETURNING seq INTO new_seq;
    UPDATE observation_open_state SET seq = new_seq WHERE seq <> new_seq;
    RETURN computed;
END
$$;
