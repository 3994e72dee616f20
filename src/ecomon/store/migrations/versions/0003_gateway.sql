-- HJ 212 gateway: the unaltered archive of every received frame and the per-device connection state.

-- Every frame a device sent, exactly as received (HJ 212-2017 §6.1: the packet is the unit of transmission),
-- accepted or not; observations point here through (channel 'hj212', source_id = raw_frame.id, row_no).
CREATE TABLE raw_frame (
    id            bigserial PRIMARY KEY,
    received_at   timestamptz NOT NULL,
    peer          text NOT NULL,           -- ip:port of the sender
    connection_id text NOT NULL,           -- gateway run + connection counter
    device_id     bigint REFERENCES device (id),
    mn            text,                    -- as sent (also for unknown devices)
    cn            text,
    frame         bytea NOT NULL,          -- the bytes up to and including CR LF
    reject_reason text,                    -- NULL: accepted
    note          text,                    -- accepted with remarks (lenient decoding warnings, skipped factors)
    stored_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX raw_frame_device_time ON raw_frame (device_id, received_at);
CREATE INDEX raw_frame_rejected ON raw_frame (received_at) WHERE reject_reason IS NOT NULL;

-- Bus messages already committed: a redelivered JetStream message (writer killed between commit and ack)
-- is recognised here and only acknowledged, so each frame is archived once.
CREATE TABLE gateway_batch (
    batch_key  text PRIMARY KEY,
    frames     integer NOT NULL,
    stored_at  timestamptz NOT NULL DEFAULT now()
);

-- Last known state of each device's link, updated by the writer from the frames it stores.
CREATE TABLE device_state (
    device_id      bigint PRIMARY KEY REFERENCES device (id),
    last_seen      timestamptz NOT NULL,
    last_peer      text NOT NULL,
    last_cn        text,
    frames_total   bigint NOT NULL DEFAULT 0,
    frames_rejected bigint NOT NULL DEFAULT 0
);
