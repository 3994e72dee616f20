-- HJ 212 upward forwarding of what the archived frame alone does not give, and of enterprise outlets.
-- A frame whose CP the gateway decrypted (SM4, HJ 212-2025 §6.4) or reassembled from sub-packets (PNUM/PNO) is
-- forwarded from the decoded packet the writer received with it: `decoded` = {"header": {...}, "cp": {...}}.
-- NULL: the archived frame itself is decoded and re-encoded strictly (as before).
ALTER TABLE forward_queue ADD COLUMN decoded jsonb;

-- Which enterprise outlets (CEMS devices) a target receives, beside its sites.
CREATE TABLE forward_outlet (
    target_id bigint NOT NULL REFERENCES forward_target (id) ON DELETE CASCADE,
    outlet_id bigint NOT NULL REFERENCES outlet (id),
    PRIMARY KEY (target_id, outlet_id)
);
