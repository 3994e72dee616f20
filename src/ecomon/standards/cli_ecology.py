"""`ecomon eval ecology`: the ecological status index EI of HJ 192-2015 on a CSV table of regions.

One row per region and period with the five sub-indices; every other column (region code, name, year …)
passes through unchanged. Bad input ends with one line on stderr naming the row and column, and exit code 2.
"""

from __future__ import annotations

import json
from typing import Annotated

import numpy as np
import polars as pl
import typer

from ecomon.standards import ecology
from ecomon.standards.cli_air import fail_on_input_error
from ecomon.standards.cli_env import SOURCE_ARGUMENT, _append, _numbers, _resolve
from ecomon.standards.tabular import InputError, numeric, read_csv, write_csv

FORMATS = ("csv", "json")

#: Published EI values (HJ 192-2015 reports of provinces and counties) carry two decimals; the grade and the
#: change degree are read from the rounded values, so a report and its grade never disagree.
EI_DECIMALS = 2

#: Sub-index column names: the English names of `ecology.WEIGHTS`, the Chinese names of HJ 192-2015 §5 and
#: the abbreviations used in provincial reports.
SUB_INDEX_ALIASES: dict[str, tuple[str, float]] = {
    **{name: (name, 1.0) for name in ecology.WEIGHTS},
    "生物丰度指数": ("biological_abundance", 1.0),
    "bai": ("biological_abundance", 1.0),
    "植被覆盖指数": ("vegetation_cover", 1.0),
    "vci": ("vegetation_cover", 1.0),
    "水网密度指数": ("water_network", 1.0),
    "wdi": ("water_network", 1.0),
    "土地胁迫指数": ("land_stress", 1.0),
    "lsi": ("land_stress", 1.0),
    "污染负荷指数": ("pollution_load", 1.0),
    "pli": ("pollution_load", 1.0),
}
DOWNGRADE_ALIASES: dict[str, tuple[str, float]] = {
    name: ("downgrade", 1.0) for name in ("downgrade", "restriction", "环境限制指数", "降级")
}
PREVIOUS_ALIASES: dict[str, tuple[str, float]] = {
    name: ("previous_EI", 1.0)
    for name in ("previous_ei", "ei_previous", "上期EI", "上年EI", "上年ei", "上期ei")
}

ECOLOGY_HELP = """按 HJ 192-2015 计算生态环境状况指数 EI / ecological status index EI by HJ 192-2015.

\b
Input columns, one row per region and period (indices on their 0-100 scales; an empty cell is a missing value):
  biological_abundance  生物丰度指数 | BAI     weight 0.35
  vegetation_cover      植被覆盖指数 | VCI     weight 0.25
  water_network         水网密度指数 | WDI     weight 0.15
  land_stress           土地胁迫指数 | LSI     weight 0.15, counted as 100 - index
  pollution_load        污染负荷指数 | PLI     weight 0.10, counted as 100 - index
  downgrade             restriction | 环境限制指数 | 降级 (optional): whole grades 0-4
                        the environmental restriction index lowers the grade by
  previous_EI           上年EI | 上期EI: EI of the previous period (optional)
Other columns (region code 行政区划代码, region name, year …) pass through unchanged.

\b
Output: the input columns, then
  EI       the index, two decimals (empty when a sub-index is missing)
  grade    优 (>= 75) | 良 (55-75) | 一般 (35-55) | 较差 (20-35) | 差 (< 20), after the downgrade
With previous_EI: delta_EI (EI - previous_EI), change_degree (无明显变化 |dEI| < 1,
略微变化 1-3, 明显变化 3-8, 显著变化 >= 8) and trend (变好 | 变差; empty without obvious change).
--format json writes a list of records (EI and delta_EI as numbers, null when missing).
"""


def register(app: typer.Typer) -> None:
    """Attach `ecology` to the `ecomon eval` group."""
    app.command("ecology", help=ECOLOGY_HELP)(eval_ecology)


def eval_ecology(
    source: Annotated[str, SOURCE_ARGUMENT] = "-",
    output: Annotated[str | None, typer.Option(help="write to this file instead of stdout")] = None,
    output_format: Annotated[str, typer.Option("--format", help=" | ".join(FORMATS))] = "csv",
) -> None:
    if output_format not in FORMATS:
        raise typer.BadParameter(
            f"{output_format!r} is not one of {', '.join(FORMATS)}", param_hint="--format"
        )
    fail_on_input_error(lambda: _emit(ecology_table(read_csv(source)), output, output_format))


def _index_column(frame: pl.DataFrame, column: str) -> np.ndarray:
    """A 0-100 index column; a value outside the scale names its row."""
    values = numeric(frame, column, allow_negative=True)
    outside = (values < 0) | (values > 100)
    if outside.any():
        row = int(np.argmax(outside))
        raise InputError(
            f"{frame.get_column(column)[row]!r} is outside the index scale 0-100", row=row + 1, column=column
        )
    return values


def _downgrades(frame: pl.DataFrame, column: str) -> np.ndarray:
    """Whole grades 0..4 (empty = 0): HJ 192-2015 lets the restriction index lower the grade, never raise it."""
    values = np.nan_to_num(numeric(frame, column, allow_negative=True))
    wrong = (values != np.round(values)) | (values < 0) | (values >= len(ecology.GRADES))
    if wrong.any():
        row = int(np.argmax(wrong))
        raise InputError(
            f"{frame.get_column(column)[row]!r} is not a number of grades 0-{len(ecology.GRADES) - 1}",
            row=row + 1,
            column=column,
        )
    return values.astype(np.int64)


def ecology_table(frame: pl.DataFrame) -> pl.DataFrame:
    """The input frame with EI, grade and (with a previous EI) the change columns appended."""
    sub = _resolve(frame, SUB_INDEX_ALIASES)
    missing = [name for name in ecology.WEIGHTS if name not in sub]
    if missing:
        raise InputError(
            f"no column for the sub-index {missing[0]} "
            f"(needs all of {', '.join(ecology.WEIGHTS)}, or their Chinese names / abbreviations)"
        )
    values = {name: _index_column(frame, column) for name, (column, _) in sub.items()}
    ei = np.round(ecology.ecological_index(**values), EI_DECIMALS)
    downgrade_column = _resolve(frame, DOWNGRADE_ALIASES).get("downgrade")
    downgrade = _downgrades(frame, downgrade_column[0]) if downgrade_column else 0
    added: dict[str, object] = {
        "EI": _numbers(ei, EI_DECIMALS),
        "grade": ecology.grade_words(ei, downgrade),
    }
    previous_column = _resolve(frame, PREVIOUS_ALIASES).get("previous_EI")
    if previous_column:
        delta = np.round(ei - _index_column(frame, previous_column[0]), EI_DECIMALS) + 0.0  # no -0.00
        known = ~np.isnan(delta)
        degree = ecology.change_words(np.nan_to_num(delta))
        obvious = known & (np.abs(np.nan_to_num(delta)) >= ecology.CHANGE_BOUNDS[0])
        added["delta_EI"] = _numbers(delta, EI_DECIMALS)
        added["change_degree"] = np.where(known, degree, "")
        added["trend"] = np.where(obvious, np.where(delta > 0, "变好", "变差"), "")
    return _append(frame, added)


def _emit(frame: pl.DataFrame, output: str | None, output_format: str) -> None:
    """CSV (as every `ecomon eval` command) or JSON records, to stdout or to the --output file."""
    if output is None and output_format == "csv":
        write_csv(frame)
        return
    if output_format == "csv":
        text = frame.with_columns(pl.col(pl.Utf8).replace("", None)).write_csv(null_value="")
    else:
        numbers = [name for name in ("EI", "delta_EI") if name in frame.columns]
        records = frame.with_columns(pl.col(pl.Utf8).replace("", None)).with_columns(
            pl.col(numbers).cast(pl.Float64)
        )
        text = json.dumps(records.to_dicts(), ensure_ascii=False, indent=1) + "\n"
    if output is None:
        typer.echo(text, nl=False)
        return
    try:
        with open(output, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
    except OSError as exc:
        raise InputError(f"cannot write {output}: {exc.strerror}") from None
