-- Day states (migration 0014) of days that are still being written are sealed once, when the day has closed,
-- instead of by every append. Recomputing a whole (series, UTC day) for each statement made an append cost grow
-- with the rows already stored that day: a 500-row batch of minute data took 0.2 s at 01:00 and 1.9 s at 20:00.
--
-- A loader appending to an existing partition (store/observations.py, `batch_audit`) names the days it touched
-- in `observation_day_pending` and says so in its chained record ("days_pending"); `seal_observation_days` turns
-- the pending days that have closed (UTC) into day states under one chained "observation.seal" record, each day
-- read once. Until then `ecomon audit verify --data` reports such a day as open rather than checking it: rows
-- changed behind the application's back before the day is sealed are not caught by the day check (the chained
-- records of the statements still commit to what they wrote).
CREATE TABLE observation_day_pending (
    series_id integer NOT NULL,
    day       date NOT NULL,              -- UTC calendar day
    queued_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (series_id, day)
);

DROP TRIGGER audit_event_chain_observation_days ON audit_event;
CREATE TRIGGER audit_event_chain_observation_days BEFORE INSERT ON audit_event
    FOR EACH ROW WHEN (NEW.action LIKE 'observation.%' AND NOT NEW.detail ? 'days_sha256'
                       AND NOT NEW.detail ? 'days_pending')
    EXECUTE FUNCTION audit_observation_days();

-- Seals up to p_max closed pending days (oldest first); returns how many. The chain's lock is taken first, so a
-- writer of the same day either committed before (its rows are read here) or queues its day again after.
CREATE FUNCTION seal_observation_days(p_actor text, p_max integer) RETURNS integer LANGUAGE plpgsql
SET work_mem = '256MB' SET max_parallel_workers_per_gather = 0 AS $$
DECLARE
    sealed integer;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('ecomon.audit_chain'));
    WITH due AS MATERIALIZED (
        DELETE FROM observation_day_pending p
        USING (SELECT series_id, day FROM observation_day_pending WHERE day < (now() AT TIME ZONE 'UTC')::date
               ORDER BY day, series_id LIMIT p_max) d
        WHERE p.series_id = d.series_id AND p.day = d.day
        RETURNING p.series_id, p.day),
    day_rows AS MATERIALIZED (
        SELECT d.series_id, d.day, count(*) AS n,
               string_agg(observation_row_bytes(o.series_id, o.t, o.value, o.data_flag, o.qc_flag,
                                                o.review_state, o.version), ''::bytea ORDER BY o.t) AS rows
        FROM due d
        CROSS JOIN LATERAL (SELECT * FROM observation x WHERE x.series_id = d.series_id
                            AND x.t >= d.day::timestamp AT TIME ZONE 'UTC'
                            AND x.t < (d.day + 1)::timestamp AT TIME ZONE 'UTC' OFFSET 0) o
        GROUP BY 1, 2),
    states AS MATERIALIZED (
        SELECT r.series_id, r.day, r.n, sha256(r.rows || coalesce(h.b, ''::bytea)) AS digest
        FROM day_rows r
        LEFT JOIN observation_day_history((SELECT array_agg(series_id ORDER BY series_id, day) FROM day_rows),
                                          (SELECT array_agg(day ORDER BY series_id, day) FROM day_rows)) h
             USING (series_id, day)),
    committed AS (
        SELECT count(*) AS days, min(day) AS lo, max(day) AS hi,
               encode(sha256(string_agg(observation_state_entry(series_id, day, n, digest), ''::bytea
                                        ORDER BY series_id, day)), 'hex') AS digest
        FROM states),
    event AS (
        INSERT INTO audit_event (actor, action, target, detail)
        SELECT p_actor, 'observation.seal', 'observation',
               jsonb_build_object('days', days, 'days_sha256', digest,
                                  't_min', lo::timestamp AT TIME ZONE 'UTC',
                                  't_max', (hi + 1)::timestamp AT TIME ZONE 'UTC' - interval '1 microsecond')
        FROM committed WHERE days > 0
        RETURNING seq)
    INSERT INTO observation_day_state (series_id, day, seq, n, digest)
    SELECT s.series_id, s.day, e.seq, s.n, s.digest FROM states s, event e;
    GET DIAGNOSTICS sealed = ROW_COUNT;
    RETURN sealed;
END
$$;
