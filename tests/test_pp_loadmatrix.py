"""Load matrices: matching by stem or pattern, CSV and XLSX, errors, the helper."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

import ofxpost
from ofxpost._builtin.loadmatrix import LoadMatrixSection, load_matrix_table
from ofxpost._builtin.support.loadcases import build_load_cases, load_cases, load_cases_or_empty
from ofxpost._core.records import FileRecord, FileStatus
from ofxpost.errors import LoadMatrixError


def _config(tmp_path: Path, section: object) -> ofxpost.Config:
    return ofxpost.load_config({"inputs": ["x"], "load_matrix": section}, base_dir=tmp_path)


def test_stem_matching_ignores_suffixes_folders_and_case(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "file": ["Hs2.5_Tp10.sim", "runs/Case_B", "case_c.ofx.parquet"],
            "hs": [2.5, 3.0, 4.0],
            "status": ["x", "y", "z"],
        }
    )
    cases = build_load_cases(frame, LoadMatrixSection(), "m.csv")
    assert cases.columns == ("hs", "lc_status")  # a reserved name is prefixed
    assert cases.for_path(Path("/d/Hs2.5_Tp10.ofx.parquet")) == {"hs": 2.5, "lc_status": "x"}
    assert cases.for_path(Path("case_b.sim"))["hs"] == 3.0
    assert cases.for_path(Path("CASE_C.ofx.parquet"))["hs"] == 4.0
    assert cases.for_path(Path("other.sim")) == {"hs": None, "lc_status": None}
    assert cases.row_for(Path("other.sim")) is None


def test_pattern_matching_first_row_wins() -> None:
    frame = pd.DataFrame({"pattern": ["*_Hs2*", "*_Hs*", "*"], "sea": ["two", "any", "all"]})
    cases = build_load_cases(frame, LoadMatrixSection(match="pattern"), "m.csv")
    assert cases.for_path(Path("r_Hs2.5.sim"))["sea"] == "two"
    assert cases.for_path(Path("r_Hs4.sim"))["sea"] == "any"
    assert cases.for_path(Path("calm.sim"))["sea"] == "all"


def test_duplicate_or_missing_keys_are_errors() -> None:
    with pytest.raises(LoadMatrixError, match="appears twice"):
        build_load_cases(pd.DataFrame({"file": ["a.sim", "A"]}), LoadMatrixSection(), "m.csv")
    with pytest.raises(LoadMatrixError, match="no key column"):
        build_load_cases(pd.DataFrame({"name": ["a"]}), LoadMatrixSection(), "m.csv")


def test_xlsx_with_sheet_and_key(tmp_path: Path) -> None:
    path = tmp_path / "cases.xlsx"
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        pd.DataFrame({"x": [1]}).to_excel(writer, sheet_name="notes", index=False)
        pd.DataFrame({"sim": ["a", "b"], "tp": [7.5, 9.0]}).to_excel(
            writer, sheet_name="cases", index=False
        )
    config = _config(tmp_path, {"path": "cases.xlsx", "sheet": "cases", "key": "sim"})
    cases = load_cases(config)
    assert cases.for_path(tmp_path / "b.sim") == {"tp": 9.0}


def test_keys_are_read_as_the_text_in_the_csv(tmp_path: Path) -> None:
    """Before: pandas read the key ``001`` as the number 1, which names no file (the
    files ``001.sim`` ... had no load case), and ``1.10`` and ``1.1`` as one number
    (refused as a key that appears twice)."""
    (tmp_path / "cases.csv").write_text(
        "file,hs,tp\n001,2.5,8\n002,3.0,9\n1.10,3.5,10\n1.1,4.0,11\nNA,4.5,12\n",
        encoding="utf-8",
    )
    cases = load_cases(_config(tmp_path, "cases.csv"))
    assert cases.keys == ("001", "002", "1.10", "1.1", "NA")
    assert cases.for_path(tmp_path / "001.sim") == {"hs": 2.5, "tp": 8}
    assert cases.for_path(tmp_path / "002.ofx.parquet")["hs"] == 3.0
    assert cases.for_path(tmp_path / "1.10.sim")["hs"] == 3.5
    assert cases.for_path(tmp_path / "1.1.sim")["hs"] == 4.0
    assert cases.for_path(tmp_path / "NA.sim")["hs"] == 4.5
    assert cases.for_path(tmp_path / "1.sim") == {"hs": None, "tp": None}
    assert [type(v) for v in cases.rows[0]] == [float, int]  # the other columns stay typed


def test_an_empty_key_cell_is_refused_naming_its_row(tmp_path: Path) -> None:
    (tmp_path / "cases.csv").write_text("file,hs\n001,2.5\n,3.0\n", encoding="utf-8")
    with pytest.raises(LoadMatrixError, match="row 3 has no 'file'"):
        load_cases(_config(tmp_path, "cases.csv"))


def test_xlsx_keys_are_read_as_text(tmp_path: Path) -> None:
    path = tmp_path / "cases.xlsx"
    pd.DataFrame({"file": ["001", 7], "hs": [2.5, 3.0]}).to_excel(path, index=False)
    cases = load_cases(_config(tmp_path, "cases.xlsx"))
    assert cases.keys == ("001", "7")
    assert cases.for_path(tmp_path / "001.sim") == {"hs": 2.5}
    assert cases.for_path(tmp_path / "7.sim") == {"hs": 3.0}


def test_missing_matrix_fails_the_table_but_not_the_helper(tmp_path: Path) -> None:
    config = _config(tmp_path, "nowhere.csv")
    with pytest.raises(LoadMatrixError, match="not found"):
        load_cases(config)
    assert not load_cases_or_empty(config).present


def test_short_form_and_activation() -> None:
    assert LoadMatrixSection.model_validate("m.csv").active
    assert not LoadMatrixSection().active
    assert LoadMatrixSection(enabled=True).active
    with pytest.raises(ofxpost.ConfigError, match=r"load_matrix\.match"):
        ofxpost.load_config({"inputs": ["x"], "load_matrix": {"path": "m.csv", "match": "regex"}})


def test_table_rows_follow_input_order_including_files_not_run(tmp_path: Path) -> None:
    (tmp_path / "m.csv").write_text("file,hs\nb,2.0\na,1.0\n", encoding="utf-8")
    config = _config(tmp_path, "m.csv")
    jobs = [SimpleNamespace(index=i, path=tmp_path / f"{s}.sim") for i, s in enumerate("abc")]
    records = [
        FileRecord(2, jobs[2].path, FileStatus.OK),
        FileRecord(0, jobs[0].path, FileStatus.OK),
    ]
    table = load_matrix_table(records, load_cases(config), jobs, tmp_path)
    assert list(table["file"]) == ["a.sim", "b.sim", "c.sim"]
    assert list(table["status"]) == ["ok", "not_run", "ok"]
    assert list(table["matched"]) == [True, True, False]
    assert table["hs"].tolist()[:2] == [1.0, 2.0]
