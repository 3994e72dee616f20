-- National-standard evaluation results (AQI, assessments) with rule set and coverage.
-- Every result names the rule set it was computed under (HJ633-2012 / HJ633-2026; GB 3095 limit set for
-- assessments), so results under both rule sets can be stored side by side for the same period.

-- ---------------------------------------------------------------- AQI (HJ 633), hourly and daily
-- One row per place (a station, or a region aggregated from its stations), period, time and rule set.
-- t: hour = the hour label as stored for observations; day = local midnight of the natural day.
CREATE TABLE aqi_result (
    site_id       bigint REFERENCES site (id),
    region_code   text REFERENCES region (code),
    period        text NOT NULL CHECK (period IN ('hour', 'day')),
    t             timestamptz NOT NULL,
    rule_set      text NOT NULL CHECK (rule_set IN ('HJ633-2012', 'HJ633-2026')),
    aqi           smallint,                -- NULL when no pollutant had a valid input
    level         smallint NOT NULL CHECK (level BETWEEN 0 AND 6),   -- 0 = no AQI
    primary_pollutants text[] NOT NULL DEFAULT '{}',
    iaqi          jsonb NOT NULL DEFAULT '{}',   -- input column -> IAQI
    inputs        jsonb NOT NULL DEFAULT '{}',   -- input column -> concentration used (µg/m³, CO mg/m³)
    items_valid   smallint NOT NULL,       -- valid input items
    items_expected smallint NOT NULL,      -- items the rule set reads for this period
    publishable   boolean NOT NULL,        -- HJ 633-2026 completeness rule (2012: an AQI exists)
    stations      smallint,                -- regions: stations averaged
    review_state  smallint NOT NULL,       -- lowest review state among the inputs (0 preliminary .. 3 released)
    computed_at   timestamptz NOT NULL DEFAULT now(),
    CHECK (num_nonnulls(site_id, region_code) = 1)
);
CREATE UNIQUE INDEX aqi_result_key ON aqi_result (coalesce(site_id, 0), coalesce(region_code, ''), period, t, rule_set);
CREATE INDEX aqi_result_time ON aqi_result (period, t);
CREATE INDEX aqi_result_site ON aqi_result (site_id, period, t) WHERE site_id IS NOT NULL;
CREATE INDEX aqi_result_region ON aqi_result (region_code, period, t) WHERE region_code IS NOT NULL;

-- ---------------------------------------------------------------- period assessment (HJ 663, GB 3095)
CREATE TABLE air_assessment_result (
    site_id       bigint REFERENCES site (id),
    region_code   text REFERENCES region (code),
    period        text NOT NULL CHECK (period IN ('month', 'year')),
    period_start  date NOT NULL,
    rule_set      text NOT NULL CHECK (rule_set IN ('HJ633-2012', 'HJ633-2026')),   -- daily AQI rules
    limit_set     text NOT NULL CHECK (limit_set IN ('GB3095-2012', 'GB3095-2026-transitional', 'GB3095-2026')),
    aqi_days      smallint NOT NULL,       -- days counted for the good-day ratio
    good_days     smallint NOT NULL,       -- AQI <= 100
    heavy_days    smallint NOT NULL,       -- AQI > 200
    good_rate     double precision,        -- %
    composite     double precision,        -- 综合指数
    composite_primary text,
    compliant     boolean,                 -- years only: all six items within the grade-2 limits
    statistics    jsonb NOT NULL,          -- means, percentiles, valid days, exceedance days, sub-indices
    stations      smallint,
    computed_at   timestamptz NOT NULL DEFAULT now(),
    CHECK (num_nonnulls(site_id, region_code) = 1)
);
CREATE UNIQUE INDEX air_assessment_result_key
    ON air_assessment_result (coalesce(site_id, 0), coalesce(region_code, ''), period, period_start, rule_set);

-- ---------------------------------------------------------------- recomputation queue
-- Natural days of a station whose daily aggregates were (re)built: the evaluator recomputes their hourly and
-- daily AQI, the regions they belong to, and the months and years that contain them. Fed by a statement-level
-- trigger on `aggregate`, so every rebuild (late data, revisions, QC flags) reaches the evaluation.
CREATE TABLE evaluation_dirty (
    site_id   bigint NOT NULL,
    day_start timestamptz NOT NULL,       -- local midnight, as aggregate.t of kind 'day'
    queued_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (site_id, day_start)
);

CREATE FUNCTION evaluation_mark_dirty() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO evaluation_dirty (site_id, day_start)
    SELECT DISTINCT s.site_id, n.t FROM new_rows n JOIN series s ON s.id = n.series_id
    WHERE n.kind = 'day' AND s.site_id IS NOT NULL
    ON CONFLICT (site_id, day_start) DO UPDATE SET queued_at = now();
    RETURN NULL;
END
$$;

CREATE TRIGGER aggregate_evaluation_dirty AFTER INSERT ON aggregate
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION evaluation_mark_dirty();
