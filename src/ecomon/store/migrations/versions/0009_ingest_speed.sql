-- Ingest speed: a cheaper per-statement observation audit (the trigger function of migration 0005, same name).
--
-- The batch record still commits to exactly the rows a statement wrote, with SHA-256 over those rows in key
-- order (series_id, t). What changes is the row form and how it is gathered:
--   * each row is a fixed binary form instead of text (no float/number-to-text conversion per row):
--       int4 series_id | int8 t (µs since 2000-01-01 UTC, PostgreSQL's own timestamptz_send)
--       | value: 0x00 if NULL else 0x01 + float8 (IEEE 754, big-endian)
--       | data_flag: 0xffff if NULL else int2 octet length + UTF-8 octets
--       | int8 (qc_flag & 0xffff) << 32 | (review_state & 0xffff) << 16 | (version & 0xffff)
--     every field is fixed-width or length-prefixed, so the byte string decodes to one row list only;
--   * the rows are hashed per (series, UTC day) group and the groups concatenated in (series_id, day) order —
--     the same bytes as one pass in (series_id, t) order — so the same single aggregation also yields the
--     series-days queued for QC, the row count, the time span and the series count;
--   * the function runs with enough work_mem to sort a batch in memory.
-- The record's detail says "digest": "obs-v2"; records written before this migration (no "digest" key) used
-- the text form described in 0005. ecomon.store.observations.batch_digest recomputes obs-v2 independently.
CREATE OR REPLACE FUNCTION observation_batch_audit() RETURNS trigger LANGUAGE plpgsql
SET work_mem = '256MB' SET max_parallel_workers_per_gather = 0 AS $$
DECLARE
    change text := coalesce(nullif(current_setting('ecomon.change', true), ''), 'ingest');
    actor text := coalesce(nullif(current_setting('ecomon.actor', true), ''), 'db:' || current_user);
    summary record;
    sources text[];
BEGIN
    WITH days AS MATERIALIZED (
        SELECT series_id, (t AT TIME ZONE 'UTC')::date AS day, count(*) AS n, min(t) AS t_min, max(t) AS t_max,
               string_agg(int4send(series_id) || timestamptz_send(t)
                          || coalesce('\x01'::bytea || float8send(value), '\x00'::bytea)
                          || coalesce(int2send(octet_length(data_flag)::smallint) || convert_to(data_flag, 'UTF8'),
                                      '\xffff'::bytea)
                          || int8send(((qc_flag::bigint & 65535) << 32) | ((review_state::bigint & 65535) << 16)
                                      | (version::bigint & 65535)),  -- PostgreSQL: & | << share one precedence
                          ''::bytea ORDER BY t) AS rows
        FROM new_rows GROUP BY 1, 2),
    queued AS (
        INSERT INTO qc_pending (series_id, day) SELECT series_id, day FROM days WHERE change = 'ingest'
        ON CONFLICT (series_id, day) DO UPDATE SET queued_at = now())
    SELECT sum(n)::bigint AS n, count(DISTINCT series_id) AS series, min(t_min) AS t_min, max(t_max) AS t_max,
           encode(sha256(string_agg(rows, ''::bytea ORDER BY series_id, day)), 'hex') AS digest
    INTO summary FROM days;
    IF summary.n IS NULL THEN
        RETURN NULL;
    END IF;
    IF change = 'ingest' THEN
        SELECT array_agg(source ORDER BY source) INTO sources
        FROM (SELECT DISTINCT channel || ':' || source_id AS source FROM
              (SELECT channel, source_id FROM new_rows GROUP BY 1, 2) g ORDER BY 1 LIMIT 20) s;
    END IF;
    INSERT INTO audit_event (actor, action, target, detail)
    VALUES (actor, 'observation.' || change || '.' || lower(TG_OP), 'observation',
            jsonb_strip_nulls(jsonb_build_object('rows', summary.n, 'series', summary.series,
                              't_min', summary.t_min, 't_max', summary.t_max, 'sha256', summary.digest,
                              'digest', 'obs-v2', 'sources', to_jsonb(sources))));
    RETURN NULL;
END
$$;
