"""Device status: HJ 212 data flags mapped to validity and to a QC flag.

HJ 212-2017 §6.6.4 (data flag `Flag=` of each factor): N normal, F stopped, M maintenance, S manually set
value, D fault, C calibration, T above the measuring upper limit, B communication failure between analyser
and data logger. HJ 818-2018 / HJ 817-2018 and HJ 75-2017 make data taken during checks, calibration,
maintenance, faults and stops invalid. HJ/T 212-2005 (still in the field) adds P power failure and uses F for
"source stopped".
"""

from __future__ import annotations

import numpy as np

from ecomon.quality.flags import FLAG_DTYPE, Flag

# flag code → (valid, QC flag, label). S is valid by the standard but is a hand-entered value, so it is
# SUSPECT for review (a manual value is exactly what 环发〔2015〕175号 Art. 4(8) and 4(13) ask to trace).
HJ212_2017: dict[str, tuple[bool, Flag, str]] = {
    "N": (True, Flag.GOOD, "正常 normal"),
    "S": (True, Flag.SUSPECT, "手工输入设定值 manually set value"),
    "F": (False, Flag.FAIL, "停运 instrument stopped"),
    "M": (False, Flag.FAIL, "维护 maintenance"),
    "D": (False, Flag.FAIL, "故障 fault"),
    "C": (False, Flag.FAIL, "校准 calibration"),
    "T": (False, Flag.FAIL, "超测上限 above measuring upper limit"),
    "B": (False, Flag.FAIL, "通讯异常 communication failure"),
}
# HJ/T 212-2005 data flags.
HJ212_2005: dict[str, tuple[bool, Flag, str]] = {
    **{k: HJ212_2017[k] for k in ("N", "S", "M", "D", "C", "T")},
    "F": (False, Flag.FAIL, "排放源停运 source stopped"),
    "P": (False, Flag.FAIL, "电源故障 power failure"),
}
PROTOCOLS = {"HJ212-2017": HJ212_2017, "HJ/T212-2005": HJ212_2005}


def _lookup(codes: np.ndarray, protocol: str, column: int) -> np.ndarray:
    if protocol not in PROTOCOLS:
        raise ValueError(f"unknown protocol {protocol!r}; known: {', '.join(PROTOCOLS)}")
    table = PROTOCOLS[protocol]
    arr = np.asarray(codes, dtype=object)
    uniq, inverse = np.unique(arr.astype(str), return_inverse=True)
    unknown = [u for u in uniq if u not in table]
    if unknown:
        pos = int(np.flatnonzero(arr.astype(str) == unknown[0])[0])
        raise ValueError(f"data flag {str(unknown[0])!r} at position {pos} is not an {protocol} flag "
                         f"(allowed: {', '.join(table)})")
    return np.array([table[u][column] for u in uniq])[inverse.reshape(arr.shape)]


def device_flag_test(codes: np.ndarray, protocol: str = "HJ212-2017") -> np.ndarray:
    """QC flag per data flag: N → GOOD, S → SUSPECT, every invalid state → FAIL.

    >>> device_flag_test(np.array(["N", "C", "S"])).tolist()
    [1, 4, 3]
    """
    return _lookup(codes, protocol, 1).astype(FLAG_DTYPE)


def is_valid(codes: np.ndarray, protocol: str = "HJ212-2017") -> np.ndarray:
    """Validity of each datum by its data flag (N and S valid, all other states invalid)."""
    return _lookup(codes, protocol, 0).astype(bool)
