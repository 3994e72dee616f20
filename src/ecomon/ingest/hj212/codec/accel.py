"""Which implementation of the codec's hot path runs: the C accelerator `_speedups` (built from _speedups.c by
`pip install`, optional) or the pure-Python reference. Both give identical results (tests/hj212/test_hj212_speedups.py);
the C one is several times faster (docs/performance.md). `ECOMON_HJ212_PURE_PYTHON=1` forces the reference, e.g. to rule the C code out when
investigating a frame, like msgpack's MSGPACK_PUREPYTHON.
"""

from __future__ import annotations

import os
from types import ModuleType


def _load() -> ModuleType | None:
    if os.environ.get("ECOMON_HJ212_PURE_PYTHON", "").strip().lower() in ("1", "true", "yes"):
        return None
    try:
        from ecomon.ingest.hj212.codec import _speedups
    except ImportError:  # built without a compiler: the pure-Python path serves
        return None
    return _speedups


speedups = _load()
ACTIVE_PATH = "C (_speedups)" if speedups is not None else "pure Python"
