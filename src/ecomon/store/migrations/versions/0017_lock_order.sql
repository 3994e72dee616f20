-- One lock order for every writer of observations: rows, QC queue, audit chain, latest values, dirty days.
-- The trigger function of migration 0014 took the chain's lock before queueing the written days for QC; the QC
-- worker claims queue rows first and takes the chain lock when it updates flags, so a writer and the worker could
-- deadlock (seen in the demo: the HJ 212 writer against `quality watch`). Same function, the queue insert first.
-- The direct write paths of store/observations.merge queue their days before taking the lock too.
CREATE OR REPLACE FUNCTION observation_batch_audit() RETURNS trigger LANGUAGE plpgsql
SET work_mem = '256MB' SET max_parallel_workers_per_gather = 0 AS $$
DECLARE
    change text := coalesce(nullif(current_setting('ecomon.change', true), ''), 'ingest');
    actor text := coalesce(nullif(current_setting('ecomon.actor', true), ''), 'db:' || current_user);
    sources text[];
BEGIN
    -- QC queue first, chain lock second: the QC worker claims queue rows and then takes the chain lock (its flag
    -- updates are audited), so a writer that held the lock while waiting for a claimed row would deadlock with it.
    INSERT INTO qc_pending (series_id, day)
    SELECT DISTINCT series_id, (t AT TIME ZONE 'UTC')::date FROM new_rows WHERE change = 'ingest'
    ORDER BY 1, 2
    ON CONFLICT (series_id, day) DO UPDATE SET queued_at = now();
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
