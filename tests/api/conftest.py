"""Fixtures shared with tests/security: see ecomon_api_world.py."""

from ecomon_api_world import client, wdb, world  # noqa: F401
