"""D11/D12 CEMS tampering: O2 dilution or manipulation and flow/concentration decoupling at a stack.

Checks on minute or hourly CEMS records (columns time, outlet, O2 in %, flow in m³/h, and one pollutant
concentration `conc` in mg/m³, measured, before reference-O2 correction):
- dilution: O2 ≥ 19 % while flow is on (air in-leak or dilution air; HJ 75-2017 data review; fact-sheet D11);
- low O2: O2 below the outlet's own 10th percentile by more than 3 points while flow is normal — lowers the
  O2-corrected value C·(21 − O2_ref)/(21 − O2) (GB 13271-2014 §5.2 formula);
- flow decoupling: zero flow with non-zero concentration, or the reverse (fact-sheet D12: → fail).
Runs of at least `min_rows` consecutive rows become one event each.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from ecomon.quality.detectors.events import AlarmEvent, runs, score

DEFAULTS = {"dilution_o2": 19.0, "low_o2_margin": 3.0, "min_rows": 3}


def detect_cems_tamper(frame: pl.DataFrame, dilution_o2: float = DEFAULTS["dilution_o2"],
                       low_o2_margin: float = DEFAULTS["low_o2_margin"],
                       min_rows: int = DEFAULTS["min_rows"]) -> list[AlarmEvent]:
    """One event per run of suspicious rows and check, per outlet."""
    missing = [c for c in ("time", "outlet", "O2", "flow", "conc") if c not in frame.columns]
    if missing:
        raise ValueError(f"CEMS frame lacks column(s) {', '.join(missing)}")
    found = []
    for (outlet,), g in frame.sort("outlet", "time").group_by("outlet", maintain_order=True):
        o2, flow, conc = (g[c].cast(pl.Float64).to_numpy() for c in ("O2", "flow", "conc"))
        times = g["time"].to_numpy().astype("datetime64[s]")
        running = flow > 0
        p10 = np.nanquantile(o2[running], 0.1) if running.any() else np.nan
        with np.errstate(invalid="ignore"):
            checks = {
                "dilution": (running & (o2 >= dilution_o2), o2, dilution_o2),
                "low_o2": (running & (o2 < p10 - low_o2_margin), p10 - o2, low_o2_margin),
                "flow_decoupling": (((flow <= 0) & (conc > 0)) | ((flow > 0) & (conc <= 0)), None, None),
            }
        for check, (mask, stat, threshold) in checks.items():
            for a, b in zip(*runs(mask, min_rows)):
                value = float(np.nanmax(stat[a:b + 1])) if stat is not None else 1.0
                found.append(AlarmEvent("cems_tamper", str(outlet), "O2" if check != "flow_decoupling" else "flow",
                                        times[a], times[b], score(value, threshold) if threshold else 1.0,
                                        {"check": check, "rows": b - a + 1, "statistic": round(value, 3),
                                         "o2_p10": round(float(p10), 3)}))
    return found
