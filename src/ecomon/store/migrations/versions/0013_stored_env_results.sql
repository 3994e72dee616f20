-- Stored soil, noise, radiation and surface-water evaluation results (evaluation/env_results.py).
-- One row per element, site, period and rule set, so a recomputation replaces it; every row names the rule set
-- it was computed under and how much input it had.

CREATE TABLE env_result (
    element       text NOT NULL CHECK (element IN ('soil', 'noise', 'radiation', 'water')),
    site_id       bigint NOT NULL REFERENCES site (id),
    -- sample: one soil sampling (period_start = its local date); day / night: a GB 3096 period of the local day
    -- period_start; month: the calendar month starting period_start
    period        text NOT NULL CHECK (period IN ('sample', 'day', 'night', 'month')),
    period_start  date NOT NULL,
    rule_set      text NOT NULL,           -- e.g. GB15618-2018, GB36600-2018, GB3096-2008, GB3838-2002
    inputs_valid  integer NOT NULL,        -- valid inputs used (items, hours, readings, samples)
    inputs_expected integer,               -- what a complete period holds, where defined
    verdict       text,                    -- category / class / compliance word as published
    verdict_code  smallint,                -- its ordinal (soil category 0..2, water class 1..6, …)
    compliant     boolean,                 -- against the limit / target where the standard has one
    value         double precision,        -- the headline figure (Leq dB(A), mean nGy/h, …)
    detail        jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(detail) = 'object'),
    review_state  smallint NOT NULL DEFAULT 0,   -- lowest review state among the inputs (3 released)
    computed_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (element, site_id, period, period_start, rule_set)
);
CREATE INDEX env_result_period ON env_result (element, period, period_start);

-- Recomputation queue: (site, local day) of every non-air site whose observations changed. Fed from
-- `aggregate_dirty`, which every writer (file import, HJ 212 writer, QC, review) already fills with the local
-- day of each changed value, for every interval kind — so manual soil and water samples (not hourly, never
-- aggregated) reach the evaluation as well as hourly noise, gamma and water data.
CREATE TABLE env_result_dirty (
    site_id  bigint NOT NULL,
    day      date NOT NULL,               -- local calendar day, as in aggregate_dirty
    queued_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (site_id, day)
);

CREATE FUNCTION env_result_mark_dirty() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO env_result_dirty (site_id, day)
    SELECT DISTINCT se.site_id, n.day FROM new_rows n JOIN series se ON se.id = n.series_id
    JOIN site s ON s.id = se.site_id
    WHERE s.element IN ('soil', 'noise', 'radiation', 'water')
    ON CONFLICT (site_id, day) DO UPDATE SET queued_at = now();
    RETURN NULL;
END
$$;

CREATE TRIGGER aggregate_dirty_env_result AFTER INSERT ON aggregate_dirty
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION env_result_mark_dirty();
