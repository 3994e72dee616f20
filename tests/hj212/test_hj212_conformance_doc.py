"""docs/hj212-conformance.md stays true: every catalogued command is listed, every frame shown verifies, and
every lenient warning the tests produce appears in the deviation table."""

import re
from pathlib import Path

from ecomon.ingest.hj212.codec import decode
from ecomon.ingest.hj212.codec.commands import COMMANDS

DOC = (Path(__file__).resolve().parents[2] / "docs" / "hj212-conformance.md").read_text(encoding="utf-8")


def test_every_command_code_of_the_catalogue_has_a_row() -> None:
    rows = set(re.findall(r"^\| (\d{4}) \|", DOC, flags=re.MULTILINE))
    assert rows == {c.cn for c in COMMANDS}


def test_every_frame_in_the_doc_verifies() -> None:
    frames = re.findall(r"##\d{4}[^\s`'\\]*", DOC)
    assert len(frames) >= 4
    for frame in frames:
        decode(frame.encode() + b"\r\n")


def test_deviation_table_names_the_warnings_of_the_lenient_tests() -> None:
    from test_hj212_lenient import CASES

    for name, raw, version, warning, _ in CASES:
        first_words = warning.split("'")[0].split(" 0")[0].strip()
        assert first_words in DOC, (name, first_words)
