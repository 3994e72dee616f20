-- HJ 212 session layer: device keys, connections, events and reports, remote commands, gap re-send requests.

-- 'auto': the version is read from each packet's Flag version bits (HJ 212-2017/2025 Table 3 / reference §3.2).
ALTER TABLE device DROP CONSTRAINT IF EXISTS device_protocol_version_check;
ALTER TABLE device ADD CONSTRAINT device_protocol_version_check
    CHECK (protocol_version IN ('auto', '2005', '2017', '2025'));

-- Per-device SM4 keys (HJ 212-2025 §6.4.2-6.4.3). The 16-byte key is sealed with AES-256-GCM under the installation
-- key in ECOMON_HOME/secrets; the database alone never reveals it. A rotation adds a 'pending' key that becomes
-- 'active' once the device confirms the 1014 set-key command (ExeRtn=1); the old key is then 'retired'.
CREATE TABLE device_key (
    id            bigserial PRIMARY KEY,
    device_id     bigint NOT NULL REFERENCES device (id),
    sealed        bytea NOT NULL,                -- 12-byte nonce + AES-GCM ciphertext and tag
    state         text NOT NULL CHECK (state IN ('pending', 'active', 'retired')),
    sk_create_time text,                         -- SKCreateTime sent with 1014 (17-digit ms timestamp)
    created_at    timestamptz NOT NULL DEFAULT now(),
    created_by    text NOT NULL,
    activated_at  timestamptz,
    retired_at    timestamptz
);
CREATE UNIQUE INDEX device_key_one_active ON device_key (device_id) WHERE state = 'active';
CREATE UNIQUE INDEX device_key_one_pending ON device_key (device_id) WHERE state = 'pending';

-- One row per authenticated TCP connection of a device. A session whose gateway died keeps disconnected_at NULL;
-- "online" therefore also needs last_seen within the offline timeout.
CREATE TABLE device_session (
    id              bigserial PRIMARY KEY,
    device_id       bigint NOT NULL REFERENCES device (id),
    connection_id   text NOT NULL UNIQUE,
    peer            text NOT NULL,
    connected_at    timestamptz NOT NULL DEFAULT now(),
    last_seen       timestamptz NOT NULL DEFAULT now(),
    frames          bigint NOT NULL DEFAULT 0,
    disconnected_at timestamptz,
    close_reason    text
);
CREATE INDEX device_session_device ON device_session (device_id, connected_at DESC);

-- What happened to a device beyond its data: restarts (2081), clock drift and time setting, key changes,
-- incomplete split packets.
CREATE TABLE device_event (
    id        bigserial PRIMARY KEY,
    device_id bigint NOT NULL REFERENCES device (id),
    at        timestamptz NOT NULL DEFAULT now(),
    kind      text NOT NULL CHECK (kind IN ('restart', 'clock_drift', 'key_activated', 'split_incomplete')),
    detail    jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX device_event_device ON device_event (device_id, at DESC);

-- Latest state/parameter report per device, command code and instrument (PolId): 2021 facility status,
-- 2041 run times, 3020 field-unit information, 1011/1061/1063/3017/3018/3019 answers.
CREATE TABLE device_report (
    device_id   bigint NOT NULL REFERENCES device (id),
    cn          text NOT NULL,
    pol_id      text NOT NULL DEFAULT '',
    data_time   text,
    cp          jsonb NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (device_id, cn, pol_id)
);

-- Platform → device commands (HJ 212-2017 §6.5.2 request flow): queued by an operator (CLI/API) or by the gateway
-- (time calibration, gap re-send, key rotation), sent by the gateway holding the device's connection, answered
-- 9011 (QnRtn), optional uploads with the request's CN (kept in `response`), then 9012 (ExeRtn).
CREATE TABLE device_command (
    id           bigserial PRIMARY KEY,
    device_id    bigint NOT NULL REFERENCES device (id),
    cn           text NOT NULL CHECK (cn ~ '^[0-9]{4}$'),
    cp           jsonb NOT NULL DEFAULT '{}',
    origin       text NOT NULL CHECK (origin IN ('operator', 'time_calibration', 'gap', 'key_rotation')),
    state        text NOT NULL DEFAULT 'queued'
                 CHECK (state IN ('queued', 'sent', 'accepted', 'refused', 'done', 'failed', 'timeout', 'cancelled')),
    qn           text,
    attempts     smallint NOT NULL DEFAULT 0,
    qn_rtn       text,
    exe_rtn      text,
    response     jsonb NOT NULL DEFAULT '{}',
    note         text,
    requested_by text NOT NULL,
    requested_at timestamptz NOT NULL DEFAULT now(),
    sent_at      timestamptz,
    finished_at  timestamptz,
    connection_id text
);
CREATE INDEX device_command_open ON device_command (device_id, id) WHERE state IN ('queued', 'sent', 'accepted');
CREATE UNIQUE INDEX device_command_qn ON device_command (device_id, qn) WHERE qn IS NOT NULL;
CREATE INDEX device_command_device ON device_command (device_id, requested_at DESC);

-- Missing minute/hour data noticed per device (window in the device's local time, HJ 212 DataTime), the history
-- request (2051/2061 with BeginTime/EndTime, §6.5.3) that asks for it, and whether the re-sent data filled it.
CREATE TABLE gap_request (
    id            bigserial PRIMARY KEY,
    device_id     bigint NOT NULL REFERENCES device (id),
    interval_kind text NOT NULL CHECK (interval_kind IN ('minute', 'hour')),
    begin_time    timestamp NOT NULL,
    end_time      timestamp NOT NULL CHECK (end_time >= begin_time),
    missing       integer NOT NULL,
    state         text NOT NULL DEFAULT 'requested' CHECK (state IN ('requested', 'filled', 'unfilled')),
    attempts      smallint NOT NULL DEFAULT 1,
    command_id    bigint REFERENCES device_command (id),
    detected_at   timestamptz NOT NULL DEFAULT now(),
    requested_at  timestamptz NOT NULL DEFAULT now(),
    closed_at     timestamptz,
    UNIQUE (device_id, interval_kind, begin_time, end_time)
);
CREATE INDEX gap_request_open ON gap_request (device_id) WHERE state = 'requested';
