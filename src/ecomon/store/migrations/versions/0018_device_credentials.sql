-- Device credentials changed in step with the device (1072) and scheduled SM4 rotation.
--
-- Why: an access password (HJ 212-2017 Table 9, CN 1072 `NewPW`) changed only on the platform or only on the device
-- locks the device out, so a change is a row of its own: the new password's argon2 hash is *pending* until the
-- device's 9012 ExeRtn=1 (or its first login with it) makes it the device's `password_hash`; the replaced hash stays
-- accepted for the change's grace period, so frames sent before the switch and a reply lost on the way lock nobody
-- out. The plain NewPW exists only sealed (AES-256-GCM under the installation key, like the SM4 keys of 0006) until
-- the change is settled, for the gateway to send it; then it is erased.
-- Scheduled SM4 rotation (HJ 212-2025 §6.4.3, at most 90 days) reuses device_key and the 1014 command; the
-- gateway records when it started one (`key_rotation_started`).

ALTER TABLE device_command DROP CONSTRAINT IF EXISTS device_command_origin_check;
ALTER TABLE device_command ADD CONSTRAINT device_command_origin_check
    CHECK (origin IN ('operator', 'time_calibration', 'gap', 'key_rotation', 'password_change'));

ALTER TABLE device_event DROP CONSTRAINT IF EXISTS device_event_kind_check;
ALTER TABLE device_event ADD CONSTRAINT device_event_kind_check
    CHECK (kind IN ('restart', 'clock_drift', 'key_activated', 'split_incomplete', 'key_rotation_started',
                    'password_change'));

-- pending:     1072 queued or in flight; the old and the new password are both accepted.
-- applied:     the device confirmed (9012 ExeRtn=1, or it logged in with the new password); the new hash is the
--              device's password_hash, the old one is accepted until grace_until.
-- failed:      the device refused or failed (9011 QnRtn≠1, 9012 ExeRtn≠1); only the old password is accepted.
-- unconfirmed: no final answer (timeout, cancelled); the old password stays, the new one is accepted until
--              grace_until, and a login with it within that time makes the change `applied`.
-- superseded:  replaced by a newer change before it was ever sent.
CREATE TABLE device_password_change (
    id              bigserial PRIMARY KEY,
    device_id       bigint NOT NULL REFERENCES device (id),
    command_id      bigint REFERENCES device_command (id),
    new_hash        text NOT NULL,
    old_hash        text NOT NULL,
    sealed_password bytea,                 -- 12-byte nonce + AES-GCM ciphertext of NewPW; NULL once settled
    grace           interval NOT NULL CHECK (grace >= interval '0'),
    state           text NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'applied', 'failed', 'unconfirmed', 'superseded')),
    grace_until     timestamptz,
    note            text,
    requested_by    text NOT NULL,
    requested_at    timestamptz NOT NULL DEFAULT now(),
    settled_at      timestamptz,
    settled_by      text,
    CHECK ((state = 'pending') = (sealed_password IS NOT NULL)),
    CHECK (state NOT IN ('applied', 'unconfirmed') OR grace_until IS NOT NULL)
);
CREATE UNIQUE INDEX device_password_change_one_pending ON device_password_change (device_id) WHERE state = 'pending';
CREATE UNIQUE INDEX device_password_change_command ON device_password_change (command_id);
CREATE INDEX device_password_change_device ON device_password_change (device_id, id DESC);
