"""Tunables of the session layer, with the standard's defaults where it has them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SessionConfig:
    # HJ 212-2017 §6.2 Table 1: reply timeout and retries for GPRS/CDMA/LTE links (ADSL: 5 s); settable by 1000.
    reply_timeout_s: float = 10.0
    retries: int = 3
    # Execution timeout after 9011 (§6.2); any answer from the device (an upload, a sub-packet) restarts it.
    exec_timeout_s: float = 120.0
    command_poll_s: float = 1.0
    # Clock: a device more than `clock_bound_s` off is set (1012), at most once per `time_set_every_s`.
    clock_bound_s: float = 60.0
    time_set_every_s: float = 3600.0
    # Sub-packets of a split set not completed within this time are given up (gap detection asks again).
    split_hold_s: float = 120.0
    # Gap detection: scan period, look-back from the newest datum, window size per request, attempts.
    gap_scan_s: float = 300.0
    gap_lookback_minutes: int = 24 * 60
    gap_lookback_hours: int = 7 * 24
    gap_max_minutes: int = 60
    gap_max_hours: int = 24
    gap_attempts: int = 3
    gap_settle_s: float = 30.0  # after the history command finished, the re-sent data is given this long to land
    touch_every_s: float = 30.0  # last-seen of sessions; "online" allows minutes of silence, so this is ample
    # SM4 keys (HJ 212-2025 §6.4.3: replaced at least every 90 days): connected devices whose active key is older
    # than `key_rotation_age_days` get a 1014 rotation, checked every `key_check_s`; a rotation that did not
    # succeed is started again at the earliest `key_retry_s` later (Settings: hj212_key_rotation_days, …_check_s).
    key_rotation_age_days: float = 80.0
    key_check_s: float = 3600.0
    key_retry_s: float = 6 * 3600.0
