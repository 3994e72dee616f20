"""Reuse the API test world (tests/api/ecomon_api_world.py)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "api"))

from ecomon_api_world import client, wdb, world  # noqa: F401
