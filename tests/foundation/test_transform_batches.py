"""An import transforms its file in batches of whole UTC months (`time_batches`) while the loaders store the batch
before: the batches must give exactly the values, flags and rejects of one transform of the whole file. (This file
also caught a Polars panic on rejects of a CSV read in several chunks, pola-rs/polars#25187.)"""

from __future__ import annotations

import polars as pl

from ecomon.ingest.files.importer import read_table
from ecomon.ingest.files.mapping import load_mapping
from ecomon.ingest.files.transform import ParameterInfo, numbered, time_batches, transform
from ecomon.registry import catalogue, lookups
from tests.foundation.helpers import BEIJING, beijing_lines

MAPPING = load_mapping(BEIJING / "mapping.toml")


def _transform(frame: pl.DataFrame):
    table = catalogue.parameters()
    params = {p.code: ParameterInfo(p.code, p.unit) for p in table.all}
    sites = {"Aotizhongxin"}                                      # the other station's rows: unknown, rejected

    def resolve(name: str) -> str | None:
        try:
            return table.resolve(name)
        except KeyError:
            return None

    return transform(frame, MAPPING, sites, params, resolve, lookups.convert_units, lookups.decode_text)


def test_month_batches_equal_one_transform_of_the_whole_file():
    lines = beijing_lines(35_064 + 500)  # Aotizhongxin's three years, then the first rows of the next station
    header, body = lines[0], lines[1:1_500] + lines[-500:]
    wd = header.split(",").index("wd")
    cells = body[10].split(",")
    body[10] = ",".join([*cells[:wd], "NOPE", *cells[wd + 1:]])     # a compass text that is no direction
    body[20] = "2013,3,32," + body[20].split(",", 3)[3]           # no such day: a row whose time cannot be read
    body.append(body[1_000])                                      # the same station and hour twice
    frame = read_table((header + "".join(body)).encode(), "slice.csv", MAPPING)

    whole = _transform(frame)
    batches = time_batches(numbered(frame), MAPPING, 5_000)
    parts = [_transform(batch) for batch in batches]
    months = [part.values["t"].dt.truncate("1mo").unique().to_list() for part in parts if part.values.height]

    assert len(batches) >= 3 and sum(b.height for b in batches) == frame.height
    assert all(len(m) >= 1 for m in months) and len({x for m in months for x in m}) == sum(len(m) for m in months)
    assert batches[-1]["day"].to_list()[-1] == "32"               # unreadable times come last
    key = ["site", "parameter", "t"]
    assert pl.concat([p.values for p in parts]).sort(key).equals(whole.values.sort(key))
    assert pl.concat([p.rejects for p in parts]).sort("row_no", "column_name").equals(whole.rejects)
    assert sum(p.values_flagged for p in parts) == whole.values_flagged > 0
    reasons = " | ".join(whole.rejects["reason"].unique().to_list())
    for kind in ("duplicate of row", "not a valid date/time", "unknown station", "not a valid compass16 value"):
        assert kind in reasons, reasons
