"""Content-addressed archive of raw inputs: files are kept unaltered, named by their SHA-256."""

from __future__ import annotations

import os
from pathlib import Path


def archive_bytes(root: Path, data: bytes, sha256: str, name: str) -> str:
    """Store `data` once under root/files/<aa>/<sha256><suffix>; return the path relative to root."""
    suffix = "".join(Path(name).suffixes[-2:]) if name and name != "-" else ""
    relative = Path("files") / sha256[:2] / f"{sha256}{suffix}"
    target = root / relative
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + ".part")
        with tmp.open("wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
        os.chmod(target, 0o444)
    return str(relative)
