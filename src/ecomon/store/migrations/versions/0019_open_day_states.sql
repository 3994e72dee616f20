-- Provisional states of days still being written, so `ecomon audit verify --data` checks open days too.
--
-- Since migration 0015 a day appended to (the HJ 212 writer's minute data) is sealed only once its UTC day has
-- closed; until then verify could not check it, and rows edited behind the application's back that day were
-- sealed as they stood. Now every pass of the QC worker (`seal_open_days`, called before `seal_observation_days`)
-- records for each pending day that is still open a state cut at a time: the rows of that day with t < t_cut
-- (t_cut = just after the newest t stored for the series at the pass), in hour blocks (UTC): per block up to the
-- cut, int4 n | SHA-256(the block's rows with t < t_cut in time order ‖ its superseded versions with t < t_cut),
-- obs-v2 forms of migration 0014; the state's digest is SHA-256 of those 36-octet entries. Rows appended later
-- lie above the cut and do not disturb the check.
--
-- Blocks keep a pass cheap and make it launder nothing: a pass re-reads only the block holding the previous cut
-- (and the blocks a chained statement may have changed since), never the hours before; and before it re-hashes
-- the rows below the previous cut it compares them with the previous state — rows changed behind the
-- application's back in between are chained as "mismatches" in the pass record, not taken into the new state.
--
-- `observation_open_state` holds the current state of every open day (one row per day, replaced when the day got
-- rows since), and every pass that changed the set appends one chained `observation.seal.open` record whose
-- detail commits to the complete set: "open_days" and "open_sha256" = SHA-256 over, in (series_id, day) order,
--     int4 series_id | int4 days since 2000-01-01 | int8 t_cut (µs since 2000) | int4 n | SHA-256(blocks).
-- Committing to the whole set (a few hundred small rows) rather than to the states written by the pass lets a
-- superseded state be replaced without leaving records whose states can no longer be recomputed: the table is
-- always the set of the newest such record. It is checked against that record before a pass changes it, and a
-- mismatch is chained ("forged") before the states are rebuilt, so an edited table cannot be laundered by a pass.
--
-- A state is only valid while no later statement that writes observations may have changed the series' rows
-- below its cut: a record with states of its own (QC flags, review states, revisions through the trigger) that
-- has a state for the (series, day), or a loader record without (an append, "days_pending") whose time span meets
-- [day start, t_cut). The next pass recomputes such a day from the earliest block the statement may have touched;
-- verify reports it as open until then.
--
-- When a pending day closes, the pass compares its rows below the cut with its state before
-- `seal_observation_days` seals it: a day changed behind the application's back since the last pass is chained as
-- "mismatches" in the record (and reported by verify) instead of being sealed silently.
CREATE TABLE observation_open_state (
    series_id integer NOT NULL,
    day       date NOT NULL,              -- UTC calendar day, pending in observation_day_pending
    t_cut     timestamptz NOT NULL,       -- the state covers the rows of the day with t < t_cut
    n         integer NOT NULL,
    blocks    bytea NOT NULL,             -- per UTC hour up to the cut's: int4 n | 32-octet SHA-256
    PRIMARY KEY (series_id, day)
);
CREATE TRIGGER observation_open_state_no_truncate BEFORE TRUNCATE ON observation_open_state
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_truncate();

-- The newest pass record and the passes that chained a problem are found without scanning the chain.
CREATE INDEX audit_event_open_seal ON audit_event (seq) WHERE action = 'observation.seal.open';
CREATE INDEX audit_event_open_seal_problem ON audit_event (seq)
    WHERE action = 'observation.seal.open' AND (detail ? 'forged' OR detail ? 'mismatched');

CREATE FUNCTION observation_open_entry(p_series_id integer, p_day date, p_cut timestamptz, p_n bigint,
                                       p_blocks bytea) RETURNS bytea LANGUAGE sql STABLE AS $$
    SELECT int4send(p_series_id) || int4send(p_day - date '2000-01-01') || timestamptz_send(p_cut)
           || int4send(p_n::integer) || sha256(p_blocks)
$$;

-- The hour block of the day holding t (0..23).
CREATE FUNCTION observation_open_block(p_day date, p_t timestamptz) RETURNS integer LANGUAGE sql STABLE AS $$
    SELECT greatest(0, least(23, floor(extract(epoch FROM p_t - p_day::timestamp AT TIME ZONE 'UTC') / 3600)))::integer
$$;

-- Row count of the first p_upto blocks of a state.
CREATE FUNCTION observation_open_rows(p_blocks bytea, p_upto integer) RETURNS integer LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(sum((get_byte(p_blocks, 36 * b) << 24) | (get_byte(p_blocks, 36 * b + 1) << 16)
                        | (get_byte(p_blocks, 36 * b + 2) << 8) | get_byte(p_blocks, 36 * b + 3)), 0)::integer
    FROM generate_series(0, least(p_upto, octet_length(p_blocks) / 36) - 1) b
$$;

-- Blocks p_from .. the block of the cut of each (series, day): the entry (int4 n | SHA-256) over the rows and
-- superseded versions with t < p_cuts, and the same below p_old_cuts (what the previous state hashed there).
-- One primary-key range scan of each table per block.
CREATE FUNCTION observation_open_blocks(p_series integer[], p_days date[], p_from integer[],
                                        p_old_cuts timestamptz[], p_cuts timestamptz[])
RETURNS TABLE (series_id integer, day date, block integer, entry bytea, old_entry bytea) LANGUAGE sql STABLE
SET work_mem = '256MB' SET max_parallel_workers_per_gather = 0 AS $$
    SELECT k.series_id, k.day, b.b,
           int4send(coalesce(r.n, 0)::integer) || sha256(coalesce(r.b, ''::bytea) || coalesce(h.b, ''::bytea)),
           int4send(coalesce(r.n_old, 0)::integer)
               || sha256(coalesce(r.b_old, ''::bytea) || coalesce(h.b_old, ''::bytea))
    FROM unnest(p_series, p_days, p_from, p_old_cuts, p_cuts) AS k(series_id, day, first, old_cut, t_cut)
    CROSS JOIN LATERAL generate_series(k.first, observation_open_block(k.day, k.t_cut - interval '1 microsecond')) b
    CROSS JOIN LATERAL (SELECT k.day::timestamp AT TIME ZONE 'UTC' + b.b * interval '1 hour' AS lo,
                               least(k.day::timestamp AT TIME ZONE 'UTC' + (b.b + 1) * interval '1 hour', k.t_cut) AS hi
                        ) span
    CROSS JOIN LATERAL (
        SELECT count(*) AS n, count(*) FILTER (WHERE x.t < k.old_cut) AS n_old,
               string_agg(observation_row_bytes(x.series_id, x.t, x.value, x.data_flag, x.qc_flag, x.review_state,
                                                x.version), ''::bytea ORDER BY x.t) AS b,
               string_agg(observation_row_bytes(x.series_id, x.t, x.value, x.data_flag, x.qc_flag, x.review_state,
                                                x.version), ''::bytea ORDER BY x.t) FILTER (WHERE x.t < k.old_cut)
                   AS b_old
        FROM observation x WHERE x.series_id = k.series_id AND x.t >= span.lo AND x.t < span.hi) r
    CROSS JOIN LATERAL (
        SELECT string_agg(observation_history_bytes(x.series_id, x.t, x.value, x.data_flag, x.qc_flag,
                                                    x.review_state, x.version, x.superseded_at, x.superseded_by),
                          ''::bytea ORDER BY x.t, x.version, x.superseded_at) AS b,
               string_agg(observation_history_bytes(x.series_id, x.t, x.value, x.data_flag, x.qc_flag,
                                                    x.review_state, x.version, x.superseded_at, x.superseded_by),
                          ''::bytea ORDER BY x.t, x.version, x.superseded_at) FILTER (WHERE x.t < k.old_cut) AS b_old
        FROM observation_history x WHERE x.series_id = k.series_id AND x.t >= span.lo AND x.t < span.hi) h
$$;

-- The open states that a statement chained after record p_after may have changed below their cut (see the
-- header), with the earliest time it may have touched.
CREATE FUNCTION observation_open_touched(p_after bigint)
RETURNS TABLE (series_id integer, day date, t_min timestamptz) LANGUAGE sql STABLE AS $$
    WITH later AS MATERIALIZED (
        SELECT seq, detail ? 'days_sha256' AS has_states,
               coalesce((detail->>'t_min')::timestamptz, '-infinity') AS t_min,
               coalesce((detail->>'t_max')::timestamptz, 'infinity') AS t_max
        FROM audit_event
        WHERE seq > p_after AND action LIKE 'observation.%' AND action NOT LIKE 'observation.seal%'
          AND action <> 'observation.baseline')
    SELECT s.series_id, s.day, min(e.t_min) FROM observation_open_state s
    JOIN later e ON e.t_min < s.t_cut AND e.t_max >= s.day::timestamp AT TIME ZONE 'UTC'
                AND (NOT e.has_states OR EXISTS (SELECT 1 FROM observation_day_state d
                                                 WHERE d.series_id = s.series_id AND d.day = s.day AND d.seq = e.seq))
    GROUP BY 1, 2
$$;

-- One pass: check the set against its record; check the days about to be sealed (the same p_max oldest closed
-- pending days `seal_observation_days` takes) and drop them and the days no longer pending; (re)compute the open
-- days that are new, got rows since their cut or were touched below it — from the block of the previous cut, or
-- of the earliest touch, after comparing the rows below the previous cut in that block with the previous state
-- unless touched; chain the set if it changed. Returns the number of states computed. Takes the chain's lock
-- first: no writer commits observations while a pass runs (every audited write takes that lock before it
-- commits), so the cut and the rows read agree.
CREATE FUNCTION seal_open_days(p_actor text, p_max integer) RETURNS integer LANGUAGE plpgsql
SET work_mem = '256MB' SET max_parallel_workers_per_gather = 0 SET client_min_messages = warning AS $$
DECLARE
    today date := (now() AT TIME ZONE 'UTC')::date;
    head_seq bigint;
    head_detail jsonb;
    stored_days integer;
    stored_sha text;
    forged boolean;
    mismatches jsonb;
    mismatched integer;
    dropped integer;
    computed integer;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('ecomon.audit_chain'));
    SELECT seq, detail INTO head_seq, head_detail FROM audit_event WHERE action = 'observation.seal.open'
    ORDER BY seq DESC LIMIT 1;
    SELECT count(*), encode(sha256(coalesce(string_agg(observation_open_entry(series_id, day, t_cut, n, blocks),
                                                      ''::bytea ORDER BY series_id, day), ''::bytea)), 'hex')
    INTO stored_days, stored_sha FROM observation_open_state;
    forged := CASE WHEN head_seq IS NULL THEN stored_days > 0
                   ELSE (stored_days, stored_sha) IS DISTINCT FROM ((head_detail->>'open_days')::integer,
                                                                    head_detail->>'open_sha256') END;
    IF forged THEN
        DELETE FROM observation_open_state;           -- rebuilt from the rows below; the record says why
    END IF;
    CREATE TEMP TABLE IF NOT EXISTS open_touched (series_id integer, day date, t_min timestamptz) ON COMMIT DELETE ROWS;
    TRUNCATE open_touched;
    INSERT INTO open_touched SELECT * FROM observation_open_touched(coalesce(head_seq, 0)) WHERE head_seq IS NOT NULL;

    -- What changes: days to seal (checked whole, dropped), days no longer pending (dropped), open days to compute.
    CREATE TEMP TABLE IF NOT EXISTS open_todo (series_id integer, day date, closing boolean, old_cut timestamptz,
                                               old_blocks bytea, old_n integer, first integer, t_cut timestamptz,
                                               checked boolean) ON COMMIT DELETE ROWS;
    TRUNCATE open_todo;
    WITH due AS (
        SELECT series_id, day FROM observation_day_pending WHERE day < today ORDER BY day, series_id LIMIT p_max)
    INSERT INTO open_todo
    SELECT s.series_id, s.day, true, s.t_cut, s.blocks, s.n, 0, s.t_cut, true
    FROM observation_open_state s JOIN due USING (series_id, day)
    WHERE NOT EXISTS (SELECT 1 FROM open_touched t WHERE t.series_id = s.series_id AND t.day = s.day);
    DELETE FROM observation_open_state s
    WHERE NOT EXISTS (SELECT 1 FROM observation_day_pending p WHERE p.series_id = s.series_id AND p.day = s.day)
       OR (s.series_id, s.day) IN (SELECT series_id, day FROM observation_day_pending WHERE day < today
                                   ORDER BY day, series_id LIMIT p_max);
    GET DIAGNOSTICS dropped = ROW_COUNT;
    INSERT INTO open_todo
    SELECT o.series_id, o.day, false, o.t_cut, o.blocks, o.n,
           CASE WHEN o.t_cut IS NULL THEN 0
                WHEN o.touched_at IS NULL THEN observation_open_block(o.day, o.t_cut - interval '1 microsecond')
                ELSE least(observation_open_block(o.day, o.t_cut - interval '1 microsecond'),
                           observation_open_block(o.day, greatest(o.touched_at,
                                                                  o.day::timestamp AT TIME ZONE 'UTC'))) END,
           o.t_last + interval '1 microsecond', o.t_cut IS NOT NULL AND o.touched_at IS NULL
    FROM (SELECT p.series_id, p.day, s.t_cut, s.blocks, s.n, t.t_min AS touched_at,
                 (SELECT max(x.t) FROM observation x WHERE x.series_id = p.series_id
                    AND x.t >= p.day::timestamp AT TIME ZONE 'UTC'
                    AND x.t < (p.day + 1)::timestamp AT TIME ZONE 'UTC') AS t_last
          FROM observation_day_pending p
          LEFT JOIN observation_open_state s USING (series_id, day)
          LEFT JOIN open_touched t USING (series_id, day)
          WHERE p.day >= today) o
    WHERE o.t_last IS NOT NULL AND (o.t_cut IS NULL OR o.t_last >= o.t_cut OR o.touched_at IS NOT NULL);

    CREATE TEMP TABLE IF NOT EXISTS open_fresh (series_id integer, day date, block integer, entry bytea,
                                                old_entry bytea) ON COMMIT DELETE ROWS;
    TRUNCATE open_fresh;
    INSERT INTO open_fresh
    SELECT * FROM observation_open_blocks((SELECT array_agg(series_id) FROM open_todo),
                                          (SELECT array_agg(day) FROM open_todo),
                                          (SELECT array_agg(first) FROM open_todo),
                                          (SELECT array_agg(coalesce(old_cut, '-infinity')) FROM open_todo),
                                          (SELECT array_agg(t_cut) FROM open_todo));

    -- Rows below the previous cut that changed with no chained statement to explain it: the whole closing day,
    -- or the block of the previous cut of an open day (the blocks before it are not read again).
    WITH checked AS (
        SELECT t.series_id, t.day, t.old_n, t.old_blocks, t.first,
               CASE WHEN t.closing THEN t.old_blocks ELSE substring(t.old_blocks FROM 36 * t.first + 1) END AS expected,
               string_agg(f.old_entry, ''::bytea ORDER BY f.block) FILTER (WHERE f.block = t.first OR t.closing)
                   AS now
        FROM open_todo t JOIN open_fresh f USING (series_id, day)
        WHERE t.checked GROUP BY t.series_id, t.day, t.old_n, t.old_blocks, t.first, t.closing),
    differ AS (
        SELECT series_id, day, old_n AS n_sealed,
               observation_open_rows(old_blocks, first) + observation_open_rows(now, 24) AS n_now
        FROM checked WHERE now IS DISTINCT FROM expected)
    SELECT count(*)::integer,
           (SELECT jsonb_agg(jsonb_build_array(series_id, day, n_sealed, n_now) ORDER BY day, series_id)
            FROM (SELECT * FROM differ ORDER BY day, series_id LIMIT 100) listed)
    INTO mismatched, mismatches FROM differ;

    -- The new states of open days: the previous blocks before `first`, then the blocks read now.
    INSERT INTO observation_open_state (series_id, day, t_cut, n, blocks)
    SELECT t.series_id, t.day, t.t_cut, observation_open_rows(b.blocks, 24), b.blocks
    FROM open_todo t
    JOIN (SELECT series_id, day, string_agg(entry, ''::bytea ORDER BY block) AS entries
          FROM open_fresh GROUP BY 1, 2) f USING (series_id, day)
    CROSS JOIN LATERAL (SELECT coalesce(substring(t.old_blocks FROM 1 FOR 36 * t.first), ''::bytea) || f.entries
                        AS blocks) b
    WHERE NOT t.closing
    ON CONFLICT (series_id, day) DO UPDATE SET t_cut = excluded.t_cut, n = excluded.n, blocks = excluded.blocks;
    GET DIAGNOSTICS computed = ROW_COUNT;

    IF computed = 0 AND dropped = 0 AND NOT forged AND mismatched = 0 THEN
        RETURN 0;
    END IF;
    SELECT count(*), encode(sha256(coalesce(string_agg(observation_open_entry(series_id, day, t_cut, n, blocks),
                                                      ''::bytea ORDER BY series_id, day), ''::bytea)), 'hex')
    INTO stored_days, stored_sha FROM observation_open_state;
    INSERT INTO audit_event (actor, action, target, detail)
    VALUES (p_actor, 'observation.seal.open', 'observation',
            jsonb_strip_nulls(jsonb_build_object(
                'open_days', stored_days, 'open_sha256', stored_sha, 'computed', computed, 'closed', dropped,
                'forged', CASE WHEN forged THEN jsonb_build_object('previous', head_seq) END,
                'mismatched', nullif(mismatched, 0), 'mismatches', mismatches)));
    RETURN computed;
END
$$;
