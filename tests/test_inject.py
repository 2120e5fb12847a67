"""``inject_into``: results written into named cells and a sheet of the client's own
workbook, keeping its formatting; from opp's ``inject_into``."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from openpyxl.styles import Font, PatternFill
from openpyxl.workbook.defined_name import DefinedName

import ofxpost
from ofxpost._builtin import inject
from ofxpost.plugin import set_allowables


def client_workbook(path: Path) -> Path:
    workbook = openpyxl.Workbook()
    cover = workbook.active
    assert cover is not None
    cover.title = "Cover"
    cover["A1"] = "Riser strength"
    cover["A1"].font = Font(bold=True, size=16)
    cover["B4"].number_format = "0.0"
    cover["B4"].fill = PatternFill(fill_type="solid", start_color="FFFFFF00")
    cover["C4"] = "=B4*2"
    cover.column_dimensions["B"].width = 33
    workbook.defined_names["MaxTension"] = DefinedName("MaxTension", attr_text="Cover!$B$4")
    workbook.defined_names["MinTension"] = DefinedName("MinTension", attr_text="Cover!$B$5")
    workbook.save(path)
    return path


def summary() -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "file": ["a.sim", "b.sim", "c.sim"],
            "stem": ["a", "b", "c"],
            "status": ["ok"] * 3,
            "max_tension": [810.5, 885.7, 790.0],
            "min_tension": [240.0, 232.3, 250.0],
        }
    )
    set_allowables(frame, {"min_tension": {"min": 100.0}})
    return frame


def test_values_go_into_named_cells_and_a_sheet_keeping_the_formatting(tmp_path: Path) -> None:
    source = client_workbook(tmp_path / "client.xlsx")
    before = source.read_bytes()
    entry = inject.InjectEntry(
        workbook="client.xlsx",
        table="summary_extremes",
        sheet="ofxpost",
        cell="B2",
        names={"MaxTension": "max_tension", "MinTension": "min_tension"},
    )
    out = inject.inject(entry, summary(), source, tmp_path / "out.xlsx")
    assert source.read_bytes() == before  # the client's file is never changed
    book = openpyxl.load_workbook(out)
    cover = book["Cover"]
    assert cover["B4"].value == 885.7  # the governing (largest) value
    assert cover["B5"].value == 232.3  # a min allowable: the smallest governs
    assert cover["B4"].number_format == "0.0" and cover["B4"].fill.start_color.rgb == "FFFFFF00"
    assert cover["A1"].font.bold and cover["A1"].font.size == 16
    assert cover["C4"].value == "=B4*2" and cover.column_dimensions["B"].width == 33
    sheet = book["ofxpost"]
    assert [c.value for c in sheet[2]][1:6] == [
        "file",
        "stem",
        "status",
        "max_tension",
        "min_tension",
    ]
    assert [c.value for c in sheet[4]][1:6] == ["b.sim", "b", "ok", 885.7, 232.3]
    again = inject.inject(entry, summary(), source, tmp_path / "again.xlsx")
    assert again.read_bytes() == out.read_bytes()  # deterministic


def test_explicit_choices_and_errors(tmp_path: Path) -> None:
    frame = summary()
    assert inject.named_value(frame, "max_tension:min") == 790.0
    assert inject.named_value(frame, "stem:first") == "a"
    with pytest.raises(KeyError, match="no column 'nope'"):
        inject.named_value(frame, "nope")
    source = client_workbook(tmp_path / "client.xlsx")
    entry = inject.InjectEntry(workbook="client.xlsx", table="t", names={"Absent": "max_tension"})
    with pytest.raises(KeyError, match="no defined name 'Absent'"):
        inject.inject(entry, frame, source, tmp_path / "out.xlsx")
    with pytest.raises(ofxpost.ConfigError, match="cell"):
        ofxpost.load_config(
            {"inputs": ["x"], "inject_into": [{"workbook": "a.xlsx", "table": "t", "cell": "1A"}]}
        )


def test_a_missing_workbook_is_made(tmp_path: Path) -> None:
    entry = inject.InjectEntry(workbook="absent.xlsx", table="summary_extremes")
    out = inject.inject(entry, summary(), tmp_path / "absent.xlsx", tmp_path / "absent.xlsx")
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["summary_extremes"]
    assert book["summary_extremes"]["D2"].value == 810.5
