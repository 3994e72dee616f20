"""The pure part of QC on ingest: rows as loaded from the store → flags and per-test bitmasks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl

from ecomon.quality.pipeline import TEST_BITS, check
from ecomon.quality.rules.config import AIR_HOURLY

CODES = {"PM2.5": "a34004", "PM10": "a34002", "NO2": "a21004", "NOx": "a21002"}
SCHEMA = {"series_id": pl.Int32, "time": pl.Datetime("us", "UTC"), "value": pl.Float64, "flag": pl.String,
          "code": pl.String, "interval_kind": pl.String, "place_kind": pl.String, "station": pl.String,
          "site_type": pl.String}


def _rows(codes: list[str], hours: int = 48, flag: str | None = None) -> pl.DataFrame:
    t0 = datetime(2024, 1, 1, tzinfo=UTC)
    rows = [(n, t0 + timedelta(hours=h), 50.0 + h % 7, flag, code, "hour", "site", "S1", "urban")
            for n, code in enumerate(codes) for h in range(hours)]
    return pl.DataFrame(rows, schema=SCHEMA, orient="row")


def test_pair_partner_without_thresholds_is_not_checked_and_does_not_fail_the_batch() -> None:
    out = check(_rows(list(CODES.values())), AIR_HOURLY, CODES)
    assert out.height == 3 * 48 and set(out["series_id"].unique()) == {0, 1, 2}
    assert (out["qc_flag"] == 1).all() and (out["fail"] == 0).all()


def test_unknown_device_flag_counts_as_fault_and_sets_the_device_bit() -> None:
    out = check(_rows(["a34004"], flag="Z"), AIR_HOURLY, CODES)
    assert (out["qc_flag"] == 4).all()
    assert (out["fail"] & (1 << TEST_BITS.index("device")) != 0).all()


def test_pm25_above_pm10_sets_the_pair_bit_on_both() -> None:
    rows = _rows(["a34004", "a34002"]).with_columns(
        value=pl.when((pl.col("code") == "a34004") & (pl.col("time").dt.hour() == 5)).then(400.0)
        .otherwise(pl.col("value")))
    out = check(rows, AIR_HOURLY, CODES)
    hit = out.filter(pl.col("t").dt.hour() == 5)
    assert (hit["fail"] & (1 << TEST_BITS.index("pair")) != 0).all() and hit.height == 4
