"""`ecomon hj212 decode|encode|crc`: the integrators' contract (one frame / JSON object per line)."""

import json
from pathlib import Path

from hj212_vectors import S2017_A1, S2017_C40, frame
from typer.testing import CliRunner

from ecomon.cli import app

runner = CliRunner()
GOOD = b"##0101" + S2017_A1.encode() + b"1C80"


def lines(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def test_decode_reports_valid_and_crc_errors_per_line_with_exit_0() -> None:
    stdin = GOOD + b"\r\n" + GOOD.replace(b"1062", b"1063") + b"\n"
    result = runner.invoke(app, ["hj212", "decode", "-"], input=stdin)
    assert result.exit_code == 0
    good, bad = lines(result.stdout)
    assert good == {"valid": True, "error": None, "warnings": [],
                    "header": {"QN": "20160801085857223", "ST": "32", "CN": "1062", "PW": "100000",
                               "MN": "010000A8900016F000169DC0", "Flag": "5"},
                    "cp": {"RtdInterval": "30"}}
    assert bad["valid"] is False and "CRC" in bad["error"]


def test_decode_length_error_names_the_length() -> None:
    result = runner.invoke(app, ["hj212", "decode"], input=frame(S2017_A1, length=100))
    (row,) = lines(result.stdout)
    assert row["valid"] is False and "length" in row["error"]


def test_decode_lenient_reports_warnings() -> None:
    result = runner.invoke(app, ["hj212", "decode", "--lenient", "-"], input=GOOD.replace(b"1C80", b"1c80"))
    (row,) = lines(result.stdout)
    assert row["valid"] and row["warnings"] == ["CRC written in lower-case hex"]


def test_decode_unreadable_file_exits_2(tmp_path: Path) -> None:
    assert runner.invoke(app, ["hj212", "decode", str(tmp_path / "missing.txt")]).exit_code == 2


def test_decode_file_then_encode_gives_the_frames_back(tmp_path: Path) -> None:
    source = tmp_path / "frames.txt"
    source.write_bytes(GOOD + b"\r\n" + frame(S2017_C40))
    decoded = runner.invoke(app, ["hj212", "decode", str(source)])
    encoded = runner.invoke(app, ["hj212", "encode", "-"], input=decoded.stdout)
    assert encoded.exit_code == 0
    assert encoded.stdout_bytes == GOOD + b"\r\n" + frame(S2017_C40)


def test_encode_reports_bad_lines_and_exits_1() -> None:
    result = runner.invoke(app, ["hj212", "encode"], input='{"header": {"CN": "2011"}, "cp": {}}\nnot json\n')
    assert result.exit_code == 1 and "line 1" in result.stderr and "line 2" in result.stderr


def test_crc_of_segments() -> None:
    result = runner.invoke(app, ["hj212", "crc", S2017_A1, ""])
    assert result.stdout.split() == ["1C80", "FFFF"]
