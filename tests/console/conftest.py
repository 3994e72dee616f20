"""Console fixtures: see console_world.py."""

from tests.console.console_world import app_client, console_url, sessions  # noqa: F401
