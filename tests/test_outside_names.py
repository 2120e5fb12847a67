"""Names from the outside world: escape sequences, formulas, bytes that are not UTF-8,
symbolic-link loops."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest

from tests._pp_helpers import RISER, TENSION, run_config, write_yaml

pytestmark = pytest.mark.integration

POSIX_BYTES = pytest.mark.skipif(
    sys.platform in ("win32", "darwin"), reason="file names are bytes on Linux only"
)


def _archives(folder: Path, names: list[str | bytes]) -> list[Path]:
    from ofxpost._tools.synth import generate_case

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, name in enumerate(names):
        made = generate_case(
            folder / f"tmp{i}.ofx.parquet",
            hs=2.0,
            tp=8.0,
            heading=0.0,
            current=0.3,
            duration=10.0,
            dt=0.5,
            nodes=5,
            seed=i,
        )
        raw = os.fsencode(folder) + b"/" + (os.fsencode(name) if isinstance(name, str) else name)
        os.rename(os.fsencode(made), raw)
        paths.append(Path(os.fsdecode(raw)))
    return paths


def _config(out: str, formats: list[str]) -> dict[str, Any]:
    return {
        "inputs": ["sims/*.ofx.parquet"],
        "output_dir": out,
        "outputs": {"formats": formats},
        "summary": {
            "groups": [
                {
                    "name": "ends",
                    "columns": [
                        {
                            "command": "time_history",
                            "object": RISER,
                            "variable": TENSION,
                            "object_extra": "end_a",
                            "statistic": "max",
                            "label": "tmax",
                        }
                    ],
                }
            ]
        },
    }


def test_console_lines_escape_control_characters() -> None:
    from ofxpost._cli.progress import console_line

    event = {
        "event": "file_failed",
        "file": "/x/case\x1b]0;owned\x07\nofxpost: 99 files: 99 ok.sim",
        "kind": "file",
        "message": "bad \x1b[2J\u2028 \udcff",
    }
    line = console_line(event)
    assert "\n" not in line and "\x1b" not in line and "\x07" not in line
    assert "\u2028" not in line and "\udcff" not in line
    assert "case\\x1b]0;owned\\x07\\nofxpost" in line and "\\u2028 \\xff" in line


@POSIX_BYTES
def test_a_name_with_escapes_and_a_newline_cannot_forge_a_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: the ESC sequence reached the terminal and the newline began a fake
    ``ofxpost: 99 files: 99 ok`` line."""
    from ofxpost._cli.main import main
    from ofxpost._tools.synth import make_bad_file

    (bad,) = _archives(
        tmp_path / "sims", ["x\x1b]0;owned\x07\nofxpost: 99 files: 99 ok.ofx.parquet"]
    )
    make_bad_file(bad, "truncated")
    config = write_yaml(tmp_path / "c.yml", _config("out", ["csv"]))
    code = main(["run", str(config), "--log-format", "console"])
    err = capsys.readouterr().err
    assert code == 1
    assert "\x1b" not in err and "\x07" not in err
    assert not any(line.startswith("ofxpost: 99") for line in err.splitlines())
    assert "x\\x1b]0;owned\\x07\\nofxpost: 99 files" in err


def test_a_name_that_looks_like_a_formula_stays_text(tmp_path: Path) -> None:
    """Before: a file named ``=1+2`` became a live formula in the workbook."""
    import openpyxl

    _archives(tmp_path / "sims", ["=1+2.ofx.parquet", "@SUM(A1).ofx.parquet"])
    config = write_yaml(tmp_path / "c.yml", _config("out", ["xlsx"]))
    assert run_config(config, sequential=True).exit_code == 0
    book = openpyxl.load_workbook(tmp_path / "out" / "ofxpost-results.xlsx")
    cells = [
        cell
        for sheet in book
        for row in sheet.iter_rows()
        for cell in row
        if isinstance(cell.value, str) and cell.value.startswith("=")
    ]
    assert {"=1+2"} <= {c.value for c in cells}  # the stem column
    assert all(c.data_type == "s" for c in cells)


@POSIX_BYTES
def test_a_name_that_is_not_utf8_is_read_and_shown_escaped(tmp_path: Path) -> None:
    """Before: the archive was "corrupt Parquet" and every core table was lost."""
    import pandas as pd

    _archives(tmp_path / "sims", ["good.ofx.parquet", b"case_\xff2.ofx.parquet"])
    config = write_yaml(tmp_path / "c.yml", _config("out", ["csv", "parquet"]))
    result = run_config(config, workers=2)
    assert result.exit_code == 0, (result.failures, result.output_errors)
    files = pd.read_csv(tmp_path / "out" / "files.csv")
    assert list(files["stem"]) == ["case_\\xff2", "good"]
    assert list(files["status"]) == ["ok", "ok"]
    for name in ("files", "run_log", "failures", "summary_ends"):
        assert (tmp_path / "out" / "parquet" / f"{name}.parquet").is_file(), name


@pytest.mark.skipif(sys.platform == "win32", reason="symbolic links need privileges")
def test_symlink_loops_under_doublestar_are_detected(tmp_path: Path) -> None:
    """Before: two links back up the tree made the ``**`` walk grow without bound."""
    import ofxpost

    sims = tmp_path / "sims"
    _archives(sims / "deep", ["one.ofx.parquet"])
    _archives(sims, ["two.ofx.parquet"])
    (sims / "deep" / "up").symlink_to(sims, target_is_directory=True)
    (sims / "deep" / "self").symlink_to(sims / "deep", target_is_directory=True)
    raw = _config("out", ["csv"])
    raw["inputs"] = ["sims/**/*.ofx.parquet"]
    plan = ofxpost.make_plan(ofxpost.load_config(write_yaml(tmp_path / "c.yml", raw)))
    assert [job.path.name for job in plan.jobs] == ["one.ofx.parquet", "two.ofx.parquet"]
    (note,) = [w for w in plan.warnings if "symbolic-link loop" in w]
    assert "up links back to" in note and "self links back to" in note


@pytest.mark.skipif(sys.platform == "win32", reason="symbolic links need privileges")
def test_validate_ends_and_names_the_loops(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: ``ofxpost validate`` over two loops grew without bound."""
    from ofxpost._cli.main import main

    sims = tmp_path / "sims"
    _archives(sims, ["two.ofx.parquet"])
    (sims / "up").symlink_to(tmp_path, target_is_directory=True)
    (sims / "again").symlink_to(sims, target_is_directory=True)
    raw = _config("out", ["csv"])
    raw["inputs"] = ["sims/**/*.ofx.parquet"]
    assert main(["validate", str(write_yaml(tmp_path / "c.yml", raw))]) == 0
    out = capsys.readouterr().out
    assert "inputs: 1 files" in out
    assert "warning: symbolic-link loop(s) under the inputs were not followed" in out
