"""Strings of the staff console: (Chinese, English)."""

STRINGS: dict[str, tuple[str, str]] = {
}
