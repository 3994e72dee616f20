"""Strings of QC, review, sign-off, alarms and audit pages: (Chinese, English)."""

STRINGS: dict[str, tuple[str, str]] = {
}
