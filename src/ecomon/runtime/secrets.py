"""Secrets generated at set-up and kept in ECOMON_HOME/secrets (mode 0600), never in the repository."""

from __future__ import annotations

import os
import secrets as _secrets
from pathlib import Path


def secret(home: Path, name: str, nbytes: int = 24) -> str:
    """Return the named secret, creating a random one the first time."""
    directory = home / "secrets"
    directory.mkdir(parents=True, exist_ok=True)
    os.chmod(directory, 0o700)
    path = directory / name
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(_secrets.token_urlsafe(nbytes))
    return path.read_text().strip()
