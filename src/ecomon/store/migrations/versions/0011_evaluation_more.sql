-- Evaluation, second wave.

-- Pollutant discharge permits (排污许可证, 《排污许可管理条例》 2021): the permit number and the whole-plant
-- permitted annual emissions; outlets already carry the permitted amounts of major outlets.
ALTER TABLE enterprise ADD COLUMN permit_number text;
ALTER TABLE enterprise ADD COLUMN permitted_totals jsonb NOT NULL DEFAULT '{}'
    CHECK (jsonb_typeof(permitted_totals) = 'object');
COMMENT ON COLUMN enterprise.permitted_totals IS
    'whole-plant permitted emission (许可排放量): HJ 212 code -> tonnes per calendar year';
COMMENT ON COLUMN outlet.permitted_totals IS
    'permitted emission of the outlet (许可排放量): HJ 212 code -> tonnes per calendar year';

-- HJ 663 exception, now applied by store.aggregates: an O3 daily maximum 8-h mean from fewer than 14 valid
-- windows is valid when it already exceeds the GB 3095 8-h limit (160 µg/m3). Stored days that the new rule
-- validates are fixed in place (the value was already the maximum of the valid windows) and queued for
-- re-evaluation, as the aggregate trigger would have done on a rebuild.
WITH fixed AS (
    UPDATE aggregate SET valid = true, rule_set = 'HJ663 §5: 17 windows 08-24 h, >= 14 valid or max > 160'
    WHERE kind = 'o3_8h_max' AND NOT valid AND value > 160
    RETURNING series_id, t)
INSERT INTO evaluation_dirty (site_id, day_start)
SELECT DISTINCT s.site_id, f.t FROM fixed f JOIN series s ON s.id = f.series_id WHERE s.site_id IS NOT NULL
ON CONFLICT (site_id, day_start) DO UPDATE SET queued_at = now();
