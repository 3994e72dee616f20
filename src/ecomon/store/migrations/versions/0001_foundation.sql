-- ecomon foundation schema. Times are timestamptz (stored UTC); codes are the national ones
-- (GB/T 2260 regions, HJ 212-2017 factor codes, GB 32100 credit codes). See docs/data-model.md.

-- ---------------------------------------------------------------- regions (GB/T 2260)
CREATE TABLE region (
    code        text PRIMARY KEY CHECK (code ~ '^[0-9]{6}([0-9]{3})?$'),
    name_zh     text NOT NULL,
    name_en     text,
    level       text NOT NULL CHECK (level IN ('province', 'city', 'county', 'township')),
    parent_code text REFERENCES region (code),
    CHECK ((level = 'province') = (parent_code IS NULL))
);
CREATE INDEX region_parent ON region (parent_code);

-- The region and all its ancestors; region-scoped access and rollups use it.
CREATE FUNCTION region_ancestors(p_code text) RETURNS SETOF text
LANGUAGE sql STABLE AS $$
    WITH RECURSIVE up(code, parent_code) AS (
        SELECT code, parent_code FROM region WHERE code = p_code
        UNION ALL
        SELECT r.code, r.parent_code FROM region r JOIN up ON r.code = up.parent_code
    )
    SELECT code FROM up
$$;

CREATE FUNCTION region_descendants(p_code text) RETURNS SETOF text
LANGUAGE sql STABLE AS $$
    WITH RECURSIVE down(code) AS (
        SELECT code FROM region WHERE code = p_code
        UNION ALL
        SELECT r.code FROM region r JOIN down ON r.parent_code = down.code
    )
    SELECT code FROM down
$$;

-- ---------------------------------------------------------------- parameters (HJ 212 factor codes)
CREATE TABLE parameter (
    code        text PRIMARY KEY,
    name_zh     text NOT NULL,
    name_en     text NOT NULL,
    element     text NOT NULL,
    unit        text NOT NULL,
    legacy_code text,
    decimals    smallint
);

-- The same HJ 212 code can be measured in different media with different units (a21026 SO2: µg/m³
-- ambient, mg/m³ in flue gas); values are stored in the unit of the series' medium.
CREATE TABLE parameter_unit (
    code     text NOT NULL REFERENCES parameter (code),
    element  text NOT NULL,
    unit     text NOT NULL,
    decimals smallint,
    PRIMARY KEY (code, element)
);

CREATE TABLE parameter_alias (
    alias text PRIMARY KEY,        -- stored lower-case; matching is case-insensitive
    code  text NOT NULL REFERENCES parameter (code)
);

-- ---------------------------------------------------------------- monitoring sites (M1)
CREATE TABLE site (
    id            bigserial PRIMARY KEY,
    code          text NOT NULL UNIQUE,
    name_zh       text NOT NULL,
    name_en       text,
    element       text NOT NULL,
    site_type     text NOT NULL,
    control_level text NOT NULL CHECK (control_level IN ('national', 'provincial', 'city', 'county')),
    region_code   text NOT NULL REFERENCES region (code),
    lon           double precision CHECK (lon BETWEEN -180 AND 180),
    lat           double precision CHECK (lat BETWEEN -90 AND 90),
    operator      text,
    state         text NOT NULL DEFAULT 'active'
                  CHECK (state IN ('planned', 'building', 'active', 'suspended', 'retired')),
    target_class  text,            -- surface-water sections: the section's target class (GB 3838)
    attrs         jsonb NOT NULL DEFAULT '{}',
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    updated_by    text NOT NULL
);
CREATE INDEX site_region ON site (region_code);
CREATE INDEX site_element ON site (element, site_type);

CREATE TABLE site_state_history (
    id         bigserial PRIMARY KEY,
    site_id    bigint NOT NULL REFERENCES site (id),
    state      text NOT NULL,
    valid_from date NOT NULL,
    reason     text,
    changed_at timestamptz NOT NULL DEFAULT now(),
    changed_by text NOT NULL
);
CREATE INDEX site_state_history_site ON site_state_history (site_id, valid_from);

-- ---------------------------------------------------------------- key pollution sources (M1)
CREATE TABLE enterprise (
    id             bigserial PRIMARY KEY,
    uscc           text NOT NULL UNIQUE CHECK (uscc ~ '^[0-9A-HJ-NPQRTUWXY]{18}$'),  -- GB 32100-2015
    name_zh        text NOT NULL,
    region_code    text NOT NULL REFERENCES region (code),
    industry       text,
    address        text,
    lon            double precision CHECK (lon BETWEEN -180 AND 180),
    lat            double precision CHECK (lat BETWEEN -90 AND 90),
    key_unit_level text CHECK (key_unit_level IN ('national', 'provincial', 'city', 'county', 'none')),
    key_unit_year  smallint,
    attrs          jsonb NOT NULL DEFAULT '{}',
    updated_at     timestamptz NOT NULL DEFAULT now(),
    updated_by     text NOT NULL
);

CREATE TABLE outlet (
    id                 bigserial PRIMARY KEY,
    enterprise_id      bigint NOT NULL REFERENCES enterprise (id),
    code               text NOT NULL,
    name_zh            text NOT NULL,
    kind               text NOT NULL CHECK (kind IN ('gas', 'water')),
    lon                double precision CHECK (lon BETWEEN -180 AND 180),
    lat                double precision CHECK (lat BETWEEN -90 AND 90),
    emission_standard  text,           -- e.g. GB13271-2014
    limits             jsonb NOT NULL DEFAULT '{}',   -- parameter code -> limit in the parameter's unit
    permitted_totals   jsonb NOT NULL DEFAULT '{}',   -- parameter code -> permitted load per year
    state              text NOT NULL DEFAULT 'active'
                       CHECK (state IN ('planned', 'building', 'active', 'suspended', 'retired')),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    updated_by         text NOT NULL,
    UNIQUE (enterprise_id, code)
);

CREATE TABLE device (
    id               bigserial PRIMARY KEY,
    mn               text NOT NULL UNIQUE CHECK (mn ~ '^[0-9A-Za-z]{1,27}$'),
    password_hash    text NOT NULL,                 -- argon2; the plain password is never stored
    protocol_version text NOT NULL DEFAULT '2017' CHECK (protocol_version IN ('2005', '2017', '2025')),
    site_id          bigint REFERENCES site (id),
    outlet_id        bigint REFERENCES outlet (id),
    vendor           text,
    model            text,
    state            text NOT NULL DEFAULT 'active'
                     CHECK (state IN ('planned', 'building', 'active', 'suspended', 'retired')),
    attrs            jsonb NOT NULL DEFAULT '{}',
    updated_at       timestamptz NOT NULL DEFAULT now(),
    updated_by       text NOT NULL,
    CHECK (num_nonnulls(site_id, outlet_id) <= 1)
);

-- ---------------------------------------------------------------- raw inputs and ingest logs (lineage)
-- Every raw input (file, API batch; packets live in their own table) is archived unaltered, by checksum.
CREATE TABLE raw_input (
    id          bigserial PRIMARY KEY,
    sha256      text NOT NULL UNIQUE,
    name        text NOT NULL,
    channel     text NOT NULL CHECK (channel IN ('file', 'api', 'hj212', 'manual')),
    size_bytes  bigint NOT NULL,
    stored_path text NOT NULL,                 -- relative to ECOMON_HOME/archive
    received_at timestamptz NOT NULL DEFAULT now(),
    received_by text NOT NULL
);

CREATE TABLE ingest_log (
    id            bigserial PRIMARY KEY,
    raw_input_id  bigint NOT NULL REFERENCES raw_input (id),
    mapping       jsonb NOT NULL,
    status        text NOT NULL CHECK (status IN ('running', 'done', 'failed', 'dry-run')),
    rows_total    integer NOT NULL DEFAULT 0,
    rows_rejected integer NOT NULL DEFAULT 0,
    values_accepted bigint NOT NULL DEFAULT 0,
    values_rejected bigint NOT NULL DEFAULT 0,
    values_flagged  bigint NOT NULL DEFAULT 0,
    values_changed  bigint NOT NULL DEFAULT 0,   -- revisions of values already stored
    message       text,
    started_at    timestamptz NOT NULL DEFAULT now(),
    finished_at   timestamptz,
    by_user       text NOT NULL
);
CREATE INDEX ingest_log_input ON ingest_log (raw_input_id);

CREATE TABLE ingest_reject (
    ingest_id bigint NOT NULL REFERENCES ingest_log (id) ON DELETE CASCADE,
    row_no    integer NOT NULL,          -- 1-based data row of the source file (header excluded)
    column_name text NOT NULL,
    value     text,
    reason    text NOT NULL
);
CREATE INDEX ingest_reject_ingest ON ingest_reject (ingest_id, row_no);

-- ---------------------------------------------------------------- observations (one family, all elements)
-- A series is one parameter at one place (site, or an enterprise outlet) at one interval kind.
CREATE TABLE series (
    id             serial PRIMARY KEY,
    site_id        bigint REFERENCES site (id),
    outlet_id      bigint REFERENCES outlet (id),
    parameter_code text NOT NULL REFERENCES parameter (code),
    interval_kind  text NOT NULL CHECK (interval_kind IN ('raw', 'minute', 'hour', 'day')),
    CHECK (num_nonnulls(site_id, outlet_id) = 1)
);
CREATE UNIQUE INDEX series_key ON series (coalesce(site_id, 0), coalesce(outlet_id, 0), parameter_code, interval_kind);
CREATE INDEX series_site ON series (site_id) WHERE site_id IS NOT NULL;

-- qc_flag: QARTOD vocabulary 1 good, 2 not evaluated, 3 suspect, 4 fail, 9 missing.
-- review_state: 0 preliminary (real-time, auto-QC), 1 reviewed (一审), 2 audited (二审), 3 released.
-- lineage: channel + raw_input_id (file/API batch) or packet id (HJ 212) + row_no + received_at.
CREATE TABLE observation (
    series_id    integer NOT NULL,
    t            timestamptz NOT NULL,
    value        double precision,
    data_flag    text,                   -- HJ 212 data flag as sent (N, F, M, S, D, C, T, B ...)
    qc_flag      smallint NOT NULL DEFAULT 2,
    review_state smallint NOT NULL DEFAULT 0,
    channel      text NOT NULL,
    source_id    bigint NOT NULL,
    row_no       integer,
    received_at  timestamptz NOT NULL DEFAULT now(),
    version      smallint NOT NULL DEFAULT 1,
    PRIMARY KEY (series_id, t)
) PARTITION BY RANGE (t);

-- Superseded versions of revised observations (a revision never destroys the old value).
CREATE TABLE observation_history (
    series_id     integer NOT NULL,
    t             timestamptz NOT NULL,
    value         double precision,
    data_flag     text,
    qc_flag       smallint NOT NULL,
    review_state  smallint NOT NULL,
    channel       text NOT NULL,
    source_id     bigint NOT NULL,
    row_no        integer,
    received_at   timestamptz NOT NULL,
    version       smallint NOT NULL,
    superseded_at timestamptz NOT NULL DEFAULT now(),
    superseded_by text NOT NULL
);
CREATE INDEX observation_history_key ON observation_history (series_id, t);

-- Monthly partitions are created on demand before data for a month is written.
CREATE FUNCTION ensure_observation_partitions(p_from timestamptz, p_to timestamptz) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    m date := date_trunc('month', p_from AT TIME ZONE 'UTC')::date;
    last date := date_trunc('month', p_to AT TIME ZONE 'UTC')::date;
    created integer := 0;
    name text;
BEGIN
    WHILE m <= last LOOP
        name := format('observation_%s', to_char(m, 'YYYYMM'));
        IF to_regclass(name) IS NULL THEN
            EXECUTE format(
                'CREATE TABLE %I PARTITION OF observation FOR VALUES FROM (%L) TO (%L)',
                name, (m::timestamp AT TIME ZONE 'UTC'), ((m + interval '1 month')::timestamp AT TIME ZONE 'UTC'));
            created := created + 1;
        END IF;
        m := (m + interval '1 month')::date;
    END LOOP;
    RETURN created;
END
$$;

-- Newest value per series, maintained on write, so "latest values" never scans observations.
CREATE TABLE latest_value (
    series_id    integer PRIMARY KEY REFERENCES series (id),
    t            timestamptz NOT NULL,
    value        double precision,
    data_flag    text,
    qc_flag      smallint NOT NULL,
    review_state smallint NOT NULL,
    updated_at   timestamptz NOT NULL DEFAULT now()
);

-- ---------------------------------------------------------------- aggregates (GB 3095 Table 4 validity)
-- kind: day (natural day, local time), day_max (max 1-h value of the day), o3_8h (8-h moving mean ending at t), o3_8h_max (daily max 8-h),
-- month, year. t is the period start (o3_8h: the end of the 8-h window). n = valid inputs, expected = inputs
-- a complete period has; valid = the standard's minimum is met (only valid aggregates enter evaluation).
CREATE TABLE aggregate (
    series_id   integer NOT NULL REFERENCES series (id),
    kind        text NOT NULL CHECK (kind IN ('day', 'day_max', 'o3_8h', 'o3_8h_max', 'month', 'year')),
    t           timestamptz NOT NULL,
    value       double precision,
    n           integer NOT NULL,
    expected    integer NOT NULL,
    valid       boolean NOT NULL,
    rule_set    text NOT NULL,          -- e.g. GB3095-2012 Table 4
    computed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (series_id, kind, t)
);

-- Periods whose aggregates must be rebuilt because late or revised data arrived.
CREATE TABLE aggregate_dirty (
    series_id integer NOT NULL,
    day       date NOT NULL,            -- local (Asia/Shanghai) calendar day
    PRIMARY KEY (series_id, day)
);
