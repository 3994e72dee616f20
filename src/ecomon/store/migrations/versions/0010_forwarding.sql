-- HJ 212 upward forwarding: targets, MN mapping and the ordered store-and-forward queue.
-- Four-level transmission (county → city → province → nation): an upper-level platform receives the data of the
-- sites it is entitled to as HJ 212 packets under the MN/PW it registered for each device.

CREATE TABLE forward_target (
    id            bigserial PRIMARY KEY,
    name          text NOT NULL UNIQUE,
    host          text NOT NULL,
    port          integer NOT NULL CHECK (port BETWEEN 1 AND 65535),
    version       text NOT NULL DEFAULT '2017' CHECK (version IN ('2017', '2025')),  -- what we send
    password      text NOT NULL CHECK (length(password) = 6),  -- PW the upper platform expects (HJ 212 Table 3)
    await_ack     boolean NOT NULL DEFAULT true,   -- Flag asks for a 9014 and a packet counts as sent on it
    ack_timeout_s real NOT NULL DEFAULT 10 CHECK (ack_timeout_s > 0),
    enabled       boolean NOT NULL DEFAULT true,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    updated_by    text NOT NULL
);

-- Which sites a target receives.
CREATE TABLE forward_site (
    target_id bigint NOT NULL REFERENCES forward_target (id) ON DELETE CASCADE,
    site_id   bigint NOT NULL REFERENCES site (id),
    PRIMARY KEY (target_id, site_id)
);

-- MN/PW under which a device is known upstream; a device without a row keeps its MN and uses the target's PW.
CREATE TABLE forward_mn (
    target_id bigint NOT NULL REFERENCES forward_target (id) ON DELETE CASCADE,
    device_mn text NOT NULL,
    upper_mn  text NOT NULL CHECK (upper_mn ~ '^[0-9A-F]{24}$'),
    upper_pw  text CHECK (length(upper_pw) = 6),
    PRIMARY KEY (target_id, device_mn)
);

-- One row per (target, stored data frame), filled by the writer in the transaction that archives the frame, so
-- nothing acknowledged to a device can miss its forwarding. Sent in id order per target; `sent_at` is set when the
-- upper platform acknowledged (9014) the packet, `error` when the frame cannot be re-encoded strictly.
CREATE TABLE forward_queue (
    id              bigserial PRIMARY KEY,
    target_id       bigint NOT NULL REFERENCES forward_target (id) ON DELETE CASCADE,
    raw_frame_id    bigint NOT NULL REFERENCES raw_frame (id),
    data_key        text NOT NULL,   -- MN|CN|DataTime|PNO: a device's re-sent packet is forwarded once
    enqueued_at     timestamptz NOT NULL DEFAULT now(),
    attempts        integer NOT NULL DEFAULT 0,
    last_attempt_at timestamptz,
    sent_at         timestamptz,
    error           text,
    UNIQUE (target_id, data_key)
);
CREATE INDEX forward_queue_pending ON forward_queue (target_id, id) WHERE sent_at IS NULL AND error IS NULL;
