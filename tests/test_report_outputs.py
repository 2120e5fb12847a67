"""Report-ready outputs: units in every format, the workbook's formats, flags and
definitions, load-matrix mismatches and probability-weighted statistics.

Feature tables carry ``df.attrs["ofxpost.units"]``/``["ofxpost.allowable"]``; the
tables here carry them directly, so the rendering is tested on its own.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pyarrow.parquet as pq
import pytest

import ofxpost
from ofxpost._builtin import excel, outputs
from ofxpost._builtin.loadmatrix import FILE_WITHOUT_ROW, ROW_WITHOUT_FILE, weighted_statistics
from ofxpost._builtin.support.tableunits import csv_text
from tests._pp_helpers import make_sims, read_table, run_config, write_yaml
from tests.conftest import EventLog


def _summary() -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "file": ["a.ofx.parquet", "b.ofx.parquet", "c.ofx.parquet"],
            "stem": ["a", "b", "c"],
            "probability": [0.5, 0.3, 0.2],
            "status": ["ok", "ok", "ok"],
            "max_tension": [1200.5, 2100.25, 900.0],
            "max_tension exceeds": [False, True, False],
            "curvature": [0.0012, 0.0031, 0.0009],
            "cases": [1, 2, 3],
        }
    )
    frame.attrs["ofxpost.units"] = {"max_tension": "kN", "curvature": "rad/m"}
    frame.attrs["ofxpost.allowable"] = {"max_tension": {"max": 2000.0}}
    return frame


def _config(tmp_path: Path, **outputs_section: Any) -> Any:
    groups = [{"name": "main", "columns": [{"command": "data", "object": "o", "variable": "v"}]}]
    raw: dict[str, Any] = {"inputs": ["x"], "summary": {"groups": groups}}
    if outputs_section:
        raw["outputs"] = outputs_section
    return ofxpost.load_config(raw, base_dir=tmp_path)


# --------------------------------------------------------------------- CSV, Parquet


def test_csv_units_header_row_and_none() -> None:
    frame = _summary()
    header = next(csv.reader(io.StringIO(csv_text(frame, 10, "header"))))
    assert header[4] == "max_tension [kN]" and header[6] == "curvature [rad/m]"
    assert header[0] == "file" and header[5] == "max_tension exceeds"  # no unit: plain
    parsed = pd.read_csv(io.StringIO(csv_text(frame, 10, "header")))
    assert parsed["max_tension [kN]"].tolist() == [1200.5, 2100.25, 900.0]  # still numeric
    lines = csv_text(frame, 10, "row").splitlines()
    assert lines[0].split(",")[4] == "max_tension"
    assert lines[1].split(",")[4] == "kN" and lines[1].split(",")[0] == ""
    assert lines[2].split(",")[4] == "1200.5"  # significant digits, no padding
    plain = csv_text(frame, 10, "none").splitlines()[0].split(",")
    assert plain == [str(c) for c in frame.columns]
    unitless = pd.DataFrame({"a": [1.5], "b": ["x"]})
    assert csv_text(unitless, 10, "row").splitlines() == ["a,b", ",", "1.5,x"]
    assert csv_text(unitless, 10, "header").splitlines() == ["a,b", "1.5,x"]


def test_a_long_table_is_written_in_chunks_with_the_bytes_of_one_piece(tmp_path: Path) -> None:
    """``write_csv`` streams the table to the file a chunk of rows at a time (the
    controller's peak memory at 10,000 files); the bytes are those pandas writes in
    one piece."""
    from ofxpost._builtin.outputs import write_csv
    from ofxpost._builtin.support.tableunits import CSV_CHUNK_ROWS

    rows = 2 * CSV_CHUNK_ROWS + 7
    frame = pd.DataFrame(
        {
            "file": [f"sims/c{i:05d}.sim" for i in range(rows)],
            "max_tension": [1000.0 + i / 3.0 for i in range(rows)],
            "count": list(range(rows)),
        }
    )
    frame.attrs["ofxpost.units"] = {"max_tension": "kN"}
    for units in ("header", "row", "none"):
        path = write_csv(frame, tmp_path / f"{units}.csv", 10, units)  # type: ignore[arg-type]
        whole = frame.to_csv(index=False, float_format="%.10g", lineterminator="\n")
        body = whole.split("\n", 1)[1]
        text = path.read_text(encoding="utf-8")
        assert text.endswith(body) and text.count("\n") == rows + (2 if units == "row" else 1)


def test_outputs_section_units_option(tmp_path: Path) -> None:
    tables = {"summary_main": _summary()}
    config = _config(tmp_path, units="row", formats=["csv", "parquet"])
    written = outputs.ofxpost_write_outputs(tables, tmp_path, config)
    text = (tmp_path / "summary_main.csv").read_text(encoding="utf-8").splitlines()
    assert text[1].split(",")[4] == "kN"
    schema = pq.read_schema(tmp_path / "parquet" / "summary_main.parquet")
    field = schema.field("max_tension")
    assert field.metadata[b"unit"] == b"kN" and field.metadata[b"allowable_max"] == b"2000.0"
    assert schema.field("curvature").metadata[b"unit"] == b"rad/m"
    assert not schema.field("file").metadata  # no unit, no metadata
    assert len(written) == 2
    with pytest.raises(ofxpost.ConfigError, match="units"):
        _config(tmp_path, units="footer")


def test_default_csv_header_carries_units(tmp_path: Path) -> None:
    outputs.ofxpost_write_outputs({"summary_main": _summary()}, tmp_path, _config(tmp_path))
    header = (tmp_path / "summary_main.csv").read_text(encoding="utf-8").splitlines()[0]
    assert "max_tension [kN]" in header.split(",")


@pytest.mark.parametrize("formats", [["csv", "parquet"], ["csv"]])
def test_test_helper_reads_plain_names_back(tmp_path: Path, formats: list[str]) -> None:
    frame = _summary().rename(columns={"cases": "Length [1]"})
    config = _config(tmp_path, formats=formats)
    outputs.ofxpost_write_outputs({"summary_main": frame}, tmp_path, config)
    assert list(read_table(tmp_path, "summary_main").columns) == list(frame.columns)


# ------------------------------------------------------------------------ workbook


def _workbook(tmp_path: Path, tables: dict[str, pd.DataFrame]) -> Path:
    config = _config(tmp_path)
    written = excel.ofxpost_write_outputs(tables, tmp_path, config, partial=False)
    assert written is not None
    return written[0]


def test_workbook_units_formats_widths_and_flags(tmp_path: Path) -> None:
    path = _workbook(tmp_path, {"summary_main": _summary()})
    sheet = openpyxl.load_workbook(path)["summary_main"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][4] == "max_tension" and rows[1][4] == "kN" and rows[1][6] == "rad/m"
    assert rows[1][0] is None  # no unit
    assert rows[2][4] == 1200.5  # data start under the units row
    assert sheet.freeze_panes == "A3"
    assert sheet["E3"].number_format == "#,##0.0"  # kN values in the thousands
    assert sheet["G3"].number_format == "0.000E+00"  # small curvature
    assert sheet["H3"].number_format == "0"  # integers
    assert sheet.column_dimensions["A"].width >= len("a.ofx.parquet")
    # 2100.25 > allowable max 2000: flagged; the others not
    flagged = sheet["E4"]
    assert flagged.fill.fgColor.rgb == "FFFFC7CE" and flagged.font.bold
    assert sheet["E3"].fill.fill_type is None and sheet["E5"].fill.fill_type is None
    assert rows[3][5] is True  # the boolean column from the feature is kept


def test_workbook_definitions_sheet(tmp_path: Path) -> None:
    from ofxpost._version import __version__

    files = pd.DataFrame(
        {"file": ["sims/a.ofx.parquet", "sims/b.ofx.parquet"], "status": ["ok", "failed"]}
    )
    path = _workbook(tmp_path, {"summary_main": _summary(), "files": files})
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames[-1] == "definitions"
    rows = list(workbook["definitions"].iter_rows(values_only=True))
    assert rows[0] == ("section", "item", "definition")
    assert ("ofxpost", "version", f"ofxpost {__version__}") in rows
    assert ("source file", "sims/b.ofx.parquet", "failed") in rows
    sections = {r[0] for r in rows[1:]}
    assert {"period", "statistic", "sign convention", "unit", "allowable"} <= sections
    assert ("unit", "summary_main: max_tension", "kN") in rows
    assert ("allowable", "summary_main: max_tension", "max 2000") in rows
    inclusion = next(r for r in rows if r[1] == "sample inclusion")
    assert "from <= t <= to" in inclusion[2]
    std = next(r for r in rows if r[1] == "std")
    assert "population" in std[2]


def test_workbook_stays_byte_deterministic(tmp_path: Path) -> None:
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    first = _workbook(tmp_path / "one", {"summary_main": _summary()}).read_bytes()
    second = _workbook(tmp_path / "two", {"summary_main": _summary()}).read_bytes()
    assert first == second


# ------------------------------------------------------- probability-weighted stats


def test_no_file_with_a_probability_exceeds_nothing_it_is_unknown() -> None:
    """Before: ``exceedance_probability`` 0 (nothing exceeds) when no file had a
    probability -- a number an engineer would sign, computed from no file."""
    unknown = _summary().assign(probability=float("nan"))
    table = weighted_statistics({"summary_main": unknown}, ["case_id", "probability"])
    assert table is not None
    row = table.set_index("column").loc["max_tension"]
    assert row["files"] == 0 and row["probability"] == 0
    assert pd.isna(row["exceedance_probability"]) and pd.isna(row["weighted_mean"])


def test_weighted_statistics_by_hand() -> None:
    table = weighted_statistics({"summary_main": _summary()}, ["case_id", "probability"])
    assert table is not None
    row = table.set_index("column").loc["max_tension"]
    mean = 0.5 * 1200.5 + 0.3 * 2100.25 + 0.2 * 900.0
    assert row["weighted_mean"] == pytest.approx(mean)
    variance = 0.5 * (1200.5 - mean) ** 2 + 0.3 * (2100.25 - mean) ** 2 + 0.2 * (900 - mean) ** 2
    assert row["weighted_std"] == pytest.approx(variance**0.5)
    assert row["exceedance_probability"] == pytest.approx(0.3)  # only b exceeds 2000
    assert row["unit"] == "kN" and row["files"] == 3 and row["probability"] == pytest.approx(1.0)
    assert set(table["column"]) == {"max_tension", "curvature", "cases"}  # no booleans, no leads
    assert pd.isna(table.set_index("column").loc["curvature", "exceedance_probability"])
    no_probability = _summary().drop(columns=["probability"])
    assert weighted_statistics({"summary_main": no_probability}, ["probability"]) is None
    assert weighted_statistics({"summary_main": _summary()}, ["case_id"]) is None  # no column
    weight_result = _summary().rename(columns={"probability": "weight"})
    assert weighted_statistics({"summary_main": weight_result}, ["case_id"]) is None


# ----------------------------------------------------------- load-matrix mismatches


@pytest.mark.integration
def test_load_matrix_mismatches_table_and_warning(tmp_path: Path) -> None:
    make_sims(tmp_path / "sims", cases=3)
    matrix = pd.read_csv(tmp_path / "sims" / "load_matrix.csv")
    extra = matrix.iloc[[0]].assign(case_id=99, file="case_099")
    pd.concat([matrix.iloc[1:], extra]).to_csv(tmp_path / "lm.csv", index=False)
    config = {
        "inputs": ["sims/*.ofx.parquet"],
        "output_dir": "out",
        "load_matrix": "lm.csv",
        "summary": {
            "groups": [
                {
                    "name": "main",
                    "columns": [
                        {
                            "command": "time_history",
                            "object": "Riser",
                            "variable": "Effective tension",
                            "statistic": "max",
                            "object_extra": "end_a",
                            "label": "max_tension",
                        }
                    ],
                }
            ]
        },
        "outputs": {"formats": ["csv", "parquet", "xlsx"]},
        "parallel_processing": {"enabled": False},
    }
    events = EventLog()
    result = run_config(write_yaml(tmp_path / "batch.yml", config), on_event=events)
    # case_001 has no probability: the weighted statistics leave it out, so the batch
    # may not exit 0 (before: exit 0, the weighted mean over two files of three)
    assert result.exit_code == 1
    problems = [f.message for f in result.output_failures]
    assert len(problems) == 1, problems
    assert "sims/case_001.ofx.parquet" in problems[0] and "probability" in problems[0]
    assert "weighted statistics leave them out" in problems[0]
    table = pd.read_csv(tmp_path / "out" / "load_matrix_mismatches.csv")
    assert list(table["kind"]) == [ROW_WITHOUT_FILE, FILE_WITHOUT_ROW]
    assert list(table["key"]) == ["case_099", "case_001"]
    assert table.loc[0, "matrix_row"] == 4  # the header is line 1; case_099 is line 4
    assert pd.isna(table.loc[0, "file"]) and pd.isna(table.loc[1, "matrix_row"])
    assert table.loc[1, "file"] == "sims/case_001.ofx.parquet"
    messages = [e["message"] for e in events.named("warning")]
    assert any("case_099" in m and "match no input file" in m for m in messages)
    assert any("case_001" in m and "match no load-matrix row" in m for m in messages)
    workbook = openpyxl.load_workbook(tmp_path / "out" / "ofxpost-results.xlsx")
    assert "load_matrix_mismatches" in workbook.sheetnames
    assert "weighted_statistics" in workbook.sheetnames
    weighted = pd.read_excel(
        tmp_path / "out" / "ofxpost-results.xlsx", sheet_name="weighted_statistics"
    )
    row = weighted.set_index("column").loc["max_tension"]
    assert row["files"] == 2  # case_001 has no probability
    from_csv = pd.read_csv(tmp_path / "out" / "weighted_statistics.csv")
    assert from_csv.set_index("column").loc["max_tension", "weighted_mean"] == pytest.approx(
        row["weighted_mean"]
    )
    assert (tmp_path / "out" / "parquet" / "weighted_statistics.parquet").is_file()


@pytest.mark.integration
def test_a_file_without_a_row_of_a_matrix_without_probabilities_is_a_warning(
    tmp_path: Path,
) -> None:
    make_sims(tmp_path / "sims", cases=3)
    matrix = pd.read_csv(tmp_path / "sims" / "load_matrix.csv").drop(columns=["probability"])
    matrix.iloc[1:].to_csv(tmp_path / "lm.csv", index=False)  # case_001 has no row
    config = {
        "inputs": ["sims/*.ofx.parquet"],
        "output_dir": "out",
        "load_matrix": "lm.csv",
        "outputs": {"formats": ["csv"]},
        "parallel_processing": {"enabled": False},
    }
    events = EventLog()
    result = run_config(write_yaml(tmp_path / "batch.yml", config), on_event=events)
    assert result.exit_code == 0, result.output_failures  # nothing is weighted
    messages = [e["message"] for e in events.named("warning")]
    assert any("case_001" in m and "match no load-matrix row" in m for m in messages)
