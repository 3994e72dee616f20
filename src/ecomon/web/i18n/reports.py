"""Strings of evaluation results and reports: (Chinese, English)."""

STRINGS: dict[str, tuple[str, str]] = {
}
