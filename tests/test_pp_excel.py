"""The Excel workbook: sheets, contents, names, determinism."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest

import ofxpost
from ofxpost._builtin import excel
from tests._pp_helpers import feature_config, make_sims, read_table, run_config, write_yaml


@pytest.fixture(scope="module")
def excel_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("excel")
    make_sims(root / "sims", cases=3, seed=8)
    config = {**feature_config(), "excel": {"name": "riser.xlsx"}}
    result = run_config(write_yaml(root / "batch.yml", config), sequential=True)
    return {"root": root, "out": root / "out", "result": result}


@pytest.mark.integration
def test_workbook_sheets_and_contents(excel_run: dict[str, Any]) -> None:
    path = excel_run["out"] / "riser.xlsx"
    assert path in excel_run["result"].outputs
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames == [
        "summary_main",
        "summary_main_statistics",
        "linked_statistics",
        "linked_statistics_statistics",
        "range_graph_envelope",
        "load_matrix",
        "weighted_statistics",
        "errors",
        "failures",
        "definitions",
    ]
    summary = read_table(excel_run["out"], "summary_main")
    sheet = workbook["summary_main"]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == list(summary.columns)
    # The summary carries units, so a units row stands under the header.
    column = list(summary.columns).index("max_tension")
    assert rows[1][column] == "kN"
    assert len(rows) == len(summary) + 2
    data = rows[2:]
    assert [r[column] for r in data] == pytest.approx(list(summary["max_tension"]), rel=1e-12)
    missing = list(summary.columns).index("missing_object")
    assert all(r[missing] is None for r in data)  # NaN → empty cell
    errors = list(workbook["errors"].iter_rows(values_only=True))
    assert list(errors[0]) == ["feature", "file", "stem", "group", "label", "message"]
    assert all(cell is None for cell in errors[1])  # the units row: no units here
    assert [r[0] for r in errors[2:]] == ["summary"] * 3
    assert not any(name.startswith("time_series") for name in workbook.sheetnames)
    assert workbook.properties.created == excel.FIXED_DATE


@pytest.mark.integration
def test_workbook_is_byte_identical_when_rewritten(
    excel_run: dict[str, Any], tmp_path: Path
) -> None:
    config = ofxpost.load_config(excel_run["root"] / "batch.yml")
    names = ["summary_main", "linked_statistics", "failures", "load_matrix"]
    tables = {name: read_table(excel_run["out"], name) for name in names}
    first = excel.ofxpost_write_outputs(tables, tmp_path, config, partial=False)
    assert first is not None
    data = first[0].read_bytes()
    second = excel.ofxpost_write_outputs(tables, tmp_path, config, partial=False)
    assert second is not None and second[0].read_bytes() == data


def test_long_names_are_cut_and_unique_and_partial_is_marked(tmp_path: Path) -> None:
    groups = [
        {
            "name": f"a_very_long_summary_group_name_{i}",
            "columns": [{"command": "data", "object": "o", "variable": "v"}],
        }
        for i in range(2)
    ]
    config = ofxpost.load_config(
        {"inputs": ["x"], "summary": {"groups": groups}}, base_dir=tmp_path
    )
    frame = pd.DataFrame({"a": [1.0, float("nan")], "b": ["x", None]})
    tables = {f"summary_{g['name']}": frame for g in groups}
    tables.update({f"summary_{g['name']}_statistics": frame for g in groups})
    written = excel.ofxpost_write_outputs(tables, tmp_path, config, partial=True)
    assert written is not None
    names = openpyxl.load_workbook(written[0]).sheetnames
    assert names[0] == "PARTIAL"
    assert len(names) == 6 and len(set(n.lower() for n in names)) == 6
    assert names[-1] == "definitions"
    assert all(len(n) <= 31 for n in names)


def test_no_workbook_without_xlsx_format(tmp_path: Path) -> None:
    config = ofxpost.load_config(
        {"inputs": ["x"], "outputs": {"formats": ["csv"]}}, base_dir=tmp_path
    )
    assert excel.ofxpost_write_outputs({}, tmp_path, config, partial=False) is None
    assert not list(tmp_path.glob("*.xlsx"))


@pytest.mark.parametrize("bad", ["results.xls", "sub/results.xlsx", "..\\r.xlsx"])
def test_workbook_name_is_validated(bad: str) -> None:
    with pytest.raises(ofxpost.ConfigError, match=r"excel\.name"):
        ofxpost.load_config({"inputs": ["x"], "excel": {"name": bad}})


def test_small_values_keep_four_significant_figures() -> None:
    probability = pd.Series([0.002589, 0.04859, 0.0])
    assert excel.number_format(probability) == "0.000000"  # 0.002589, not "0.003"
    assert excel.number_format(pd.Series([0.5, 0.25])) == "0.000"
    assert excel.number_format(pd.Series([1.5e-5, 2e-6])) == "0.000E+00"  # damages


def test_every_sheet_has_units_and_envelope_exceedances_are_flagged() -> None:
    from ofxpost.plugin import set_units

    envelope = pd.DataFrame(
        {"label": ["sag", "sag"], "x": [0.0, 10.0], "max": [120.0, 160.0],
         "allowable": [150.0, 150.0], "unit": ["kN.m", "kN.m"], "exceeds": [False, True]}
    )  # fmt: skip
    set_units(envelope, {"x": "m"})
    plugin = pd.DataFrame({"life_years": [12.0]})
    workbook = excel.build_workbook(
        [("range_graph_envelope", envelope), ("fatigue_life", plugin)], partial=False
    )
    for name in workbook.sheetnames:
        sheet = workbook[name]
        assert sheet.freeze_panes == "A3", name  # header and units rows frozen
    rows = list(workbook["range_graph_envelope"].iter_rows(values_only=True))
    assert rows[1] == (None, "m", None, None, None, None)
    flagged = [
        cell.coordinate
        for row in workbook["range_graph_envelope"].iter_rows(min_row=3)
        for cell in row
        if cell.fill.fill_type == "solid"
    ]
    assert flagged == ["F4"]  # the True "exceeds" of the point over its allowable


def test_a_sheet_is_built_without_rescanning_it_per_row(monkeypatch: pytest.MonkeyPatch) -> None:
    """openpyxl's ``max_row`` scans every cell; read after each appended row it made a
    sheet's cost grow with the square of its rows (4,000 rows x 21 columns: 12.8 s,
    against 0.44 s now). It is read only for a row holding a text that starts with
    ``=`` (kept as text, not a formula)."""
    from openpyxl.worksheet.worksheet import Worksheet

    reads: list[int] = []
    real = Worksheet.max_row

    def counted(sheet: Worksheet) -> int:
        reads.append(1)
        return int(real.fget(sheet))  # type: ignore[attr-defined]

    monkeypatch.setattr(Worksheet, "max_row", property(counted))
    rows = 300
    frame = pd.DataFrame({"file": [f"case_{i:03d}" for i in range(rows)], "x": range(rows)})
    frame.loc[7, "file"] = "=1+2"
    workbook = excel.build_workbook([("summary_x", frame)], False)
    assert len(reads) <= 3  # the "=1+2" row, not every row
    sheet = workbook["summary_x"]
    cell = sheet.cell(row=3 + 7, column=1)
    assert cell.value == "=1+2" and cell.data_type == "s"
    assert sheet.cell(row=3 + rows - 1, column=2).value == rows - 1
