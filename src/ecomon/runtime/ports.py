"""Stable local ports: chosen once per data directory, remembered, so URLs do not change between runs."""

from __future__ import annotations

import json
import socket
from pathlib import Path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def remembered_port(state_file: Path, name: str, configured: int = 0) -> int:
    """Return the configured port, else the one remembered in `state_file`, else a new free one."""
    if configured:
        return configured
    state = json.loads(state_file.read_text()) if state_file.exists() else {}
    if name not in state:
        state[name] = free_port()
        state_file.parent.mkdir(parents=True, exist_ok=True)
        state_file.write_text(json.dumps(state, indent=2))
    return int(state[name])
