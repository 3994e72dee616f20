-- Stored ecological index results (HJ 192-2015) of ecology sites: one per site and year (evaluation/ecology_regions.py),
-- queued for recomputation like the other non-air elements when their yearly sub-indices change.
ALTER TABLE env_result DROP CONSTRAINT env_result_element_check,
    ADD CONSTRAINT env_result_element_check CHECK (element IN ('soil', 'noise', 'radiation', 'water', 'ecology'));
ALTER TABLE env_result DROP CONSTRAINT env_result_period_check,
    ADD CONSTRAINT env_result_period_check CHECK (period IN ('sample', 'day', 'night', 'month', 'year'));

CREATE OR REPLACE FUNCTION env_result_mark_dirty() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO env_result_dirty (site_id, day)
    SELECT DISTINCT se.site_id, n.day FROM new_rows n JOIN series se ON se.id = n.series_id
    JOIN site s ON s.id = se.site_id
    WHERE s.element IN ('soil', 'noise', 'radiation', 'water', 'ecology')
    ON CONFLICT (site_id, day) DO UPDATE SET queued_at = now();
    RETURN NULL;
END
$$;
