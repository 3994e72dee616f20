"""Real Beijing data for the detector tests (loaded once per session)."""

from pathlib import Path

import polars as pl
import pytest

DATA = Path(__file__).resolve().parents[2] / "data" / "beijing-air"
PARAMS = ["PM2.5", "PM10", "SO2", "NO2", "CO", "O3"]


def beijing_long() -> pl.DataFrame:
    raw = pl.read_csv(DATA / "hourly-2013-03_2016-02.csv.gz", null_values="NA", infer_schema_length=None)
    raw = raw.with_columns(time=pl.datetime("year", "month", "day", "hour", time_zone="Asia/Shanghai")
                           .dt.convert_time_zone("UTC"), CO=pl.col("CO") / 1000)
    return raw.unpivot(index=["time", "station"], on=PARAMS, variable_name="parameter").drop_nulls("value")


@pytest.fixture(scope="session")
def beijing() -> pl.DataFrame:
    return beijing_long()


@pytest.fixture(scope="session")
def coords() -> dict[str, tuple[float, float]]:
    sites = pl.read_csv(DATA / "sites.csv")
    return {r["station"]: (r["lon"], r["lat"]) for r in sites.iter_rows(named=True)}
