"""The real Beijing data (data/beijing-air, UCI, CC BY 4.0) replayed as its 12 stations speaking HJ 212, so the
live view moves with real values: each simulated hour sends the published hourly values of the same calendar hour
(2061), each minute a value between that hour and the next (2051).

The 12 devices are registered for the 12 registry sites with random 6-character passwords, kept only in
`<ECOMON_HOME>/secrets/hj212-beijing.json` (mode 0600) and as argon2 hashes in the registry.
"""

from __future__ import annotations

import csv
import json
import math
import os
import random
import secrets
import string
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import psycopg

from ecomon.ingest.hj212.simulator import Feed, Station, device_mn

MN_PREFIX = "B11000"  # hex, so the MN is a valid 24-character HJ 212-2017 MN; 110000 = Beijing (GB/T 2260)
SECRETS_FILE = "hj212-beijing.json"
FIRST_HOUR = datetime(2013, 3, 1)
# file column → (factor code, scale to the unit stations report, decimals); CO µg/m³ → mg/m³, PRES hPa → kPa.
COLUMNS = {"PM2.5": ("a34004", 1, 0), "PM10": ("a34002", 1, 0), "SO2": ("a21026", 1, 0), "NO2": ("a21004", 1, 0),
           "CO": ("a21005", 0.001, 2), "O3": ("a05024", 1, 0), "TEMP": ("a01001", 1, 1), "PRES": ("a01006", 0.1, 2),
           "WSPM": ("a01007", 1, 1)}
COMPASS = ("N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE", "S", "SSW", "SW", "WSW", "W", "WNW", "NW", "NNW")
_PW_ALPHABET = string.ascii_letters + string.digits


def station_codes(data_dir: Path) -> list[str]:
    """Site codes of the 12 stations, in the order of registry-sites.csv (their device numbers)."""
    with (data_dir / "registry-sites.csv").open(encoding="utf-8") as fh:
        return [row["code"] for row in csv.DictReader(fh)]


def register_beijing_devices(conn: psycopg.Connection, data_dir: Path, secrets_dir: Path,
                             actor: str) -> dict[str, tuple[str, str]]:
    """Site code → (MN, password) of the 12 replay devices, creating or re-binding them as needed (idempotent:
    a device whose password is already in the secrets file keeps it). Needs the 12 sites in the registry."""
    from ecomon.ingest.hj212.gateway.devices import hash_password

    path = secrets_dir / SECRETS_FILE
    known: dict[str, dict[str, str]] = json.loads(path.read_text()) if path.exists() else {}
    codes = station_codes(data_dir)
    sites = dict(conn.execute("SELECT code, id FROM site WHERE code = ANY(%s)", (codes,)).fetchall())
    missing = [c for c in codes if c not in sites]
    if missing:
        raise LookupError(f"sites not in the registry: {', '.join(missing)} (load them with `ecomon demo` or "
                          f"`ecomon registry load`)")
    devices = {}
    with conn.transaction():
        for number, code in enumerate(codes, start=1):
            mn = device_mn(MN_PREFIX, number)
            entry = known.get(code)
            present = conn.execute("SELECT site_id FROM device WHERE mn = %s", (mn,)).fetchone()
            if entry is None or entry.get("mn") != mn or present is None:
                password = "".join(secrets.choice(_PW_ALPHABET) for _ in range(6))
                conn.execute(
                    "INSERT INTO device (mn, password_hash, protocol_version, site_id, vendor, model, updated_by) "
                    "VALUES (%s, %s, '2017', %s, 'ecomon', 'Beijing replay', %s) ON CONFLICT (mn) DO UPDATE SET "
                    "password_hash = excluded.password_hash, site_id = excluded.site_id, "
                    "updated_by = excluded.updated_by, updated_at = now()",
                    (mn, hash_password(password), sites[code], actor))
                entry = {"mn": mn, "password": password}
            elif present[0] != sites[code]:
                conn.execute("UPDATE device SET site_id = %s, updated_by = %s, updated_at = now() WHERE mn = %s",
                             (sites[code], actor, mn))
            known[code] = entry
            devices[code] = (entry["mn"], entry["password"])
    secrets_dir.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(known, indent=1))
    os.chmod(tmp, 0o600)
    tmp.replace(path)
    return devices


def _humidity(temp: np.ndarray, dew_point: np.ndarray) -> np.ndarray:
    """Relative humidity % from temperature and dew point (Magnus formula, WMO-No. 8 Annex 4.B)."""
    return 100 * np.exp(17.625 * dew_point / (243.04 + dew_point)) / np.exp(17.625 * temp / (243.04 + temp))


class BeijingFeed(Feed):
    """One station's hourly series indexed by hours since 2013-03-01; simulated time t reads the same calendar
    hour of 2015 (March-December) or 2016 (January-February), so every day of the year has real values."""

    def __init__(self, mn: str, hours: dict[str, np.ndarray], decimals: dict[str, int]) -> None:
        self.mn, self.hours, self.decimals = mn, hours, decimals

    def _row(self, when: datetime) -> dict[str, float] | None:
        source = when.replace(year=2015 if when.month >= 3 else 2016, minute=0, second=0, microsecond=0)
        i = int((source - FIRST_HOUR) / timedelta(hours=1))
        row = {code: float(series[i]) for code, series in self.hours.items()
               if 0 <= i < len(series) and not math.isnan(series[i])}
        return row or None

    def hour(self, start: datetime) -> dict[str, float] | None:
        row = self._row(start)
        return None if row is None else {code: round(v, self.decimals[code]) for code, v in row.items()}

    def minute(self, when: datetime) -> dict[str, float] | None:
        """Between this hour's and the next hour's value, with ±3 % noise seeded by MN and time (a re-sent
        minute has the same values)."""
        this, following = self._row(when), self._row(when + timedelta(hours=1))
        if this is None:
            return None
        share = when.minute / 60
        rng = random.Random(f"{self.mn}{when:%Y%m%d%H%M}")
        values = {}
        for code, value in this.items():
            if code != "a01008" and following and code in following:
                value += (following[code] - value) * share
                value *= 1 + rng.uniform(-0.03, 0.03)
            values[code] = round(max(value, 0.0) if code != "a01001" else value, self.decimals[code])
        return values


def beijing_stations(data_dir: Path, devices: dict[str, tuple[str, str]]) -> list[Station]:
    """Stations replaying the hourly file for the registered devices (site code → (MN, password))."""
    numbers = {column: pl.Float64 for column in (*COLUMNS, "DEWP")}
    frame = pl.read_csv(data_dir / "hourly-2013-03_2016-02.csv.gz", null_values=["NA", ""],
                        schema_overrides=numbers,
                        columns=["year", "month", "day", "hour", *numbers, "wd", "station"])
    frame = frame.with_columns(
        hour_index=((pl.datetime("year", "month", "day", "hour") - pl.lit(FIRST_HOUR)).dt.total_hours()))
    decimals = {code: d for code, _, d in COLUMNS.values()} | {"a01002": 0, "a01008": 0}
    stations = []
    for code, (mn, password) in devices.items():
        rows = frame.filter(pl.col("station") == code).sort("hour_index")
        if rows.is_empty():
            continue
        size = int(rows["hour_index"].max()) + 1
        index = rows["hour_index"].to_numpy()

        def series(values: np.ndarray, size: int = size, index: np.ndarray = index) -> np.ndarray:
            out = np.full(size, np.nan)
            out[index] = values
            return out

        hours = {factor: series(rows[column].to_numpy() * scale)
                 for column, (factor, scale, _) in COLUMNS.items()}
        hours["a01002"] = series(_humidity(rows["TEMP"].to_numpy(),
                                           rows["DEWP"].to_numpy()))
        compass = {name: i * 22.5 for i, name in enumerate(COMPASS)}
        hours["a01008"] = series(np.array([compass.get(w, np.nan) if w else np.nan for w in rows["wd"].to_list()]))
        stations.append(Station(mn, password, "air", BeijingFeed(mn, hours, decimals)))
    return stations
