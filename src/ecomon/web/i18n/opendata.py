"""Strings of the open-data catalogue, API-key sign-up and disclosure pages: (Chinese, English)."""

STRINGS: dict[str, tuple[str, str]] = {
}
