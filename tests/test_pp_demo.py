"""``ofxpost demo`` exercises every post-processing feature end to end."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from tests._pp_helpers import png_size, read_table

pytestmark = pytest.mark.integration  # starts processes or runs whole batches


def test_demo_runs_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from ofxpost._cli.main import main

    folder = tmp_path / "demo"
    assert main(["demo", "--cases", "4", "--out", str(folder), "--workers", "2"]) == 0
    out = folder / "results"
    summary = read_table(out, "summary_extremes")
    assert len(summary) == 4 and (summary["status"] == "ok").all()
    assert summary[["max_tension", "tdp_bend_moment_max", "section_1_length"]].notna().all().all()
    assert summary["hs"].notna().all()  # load-case columns from sims/load_matrix.csv
    assert read_table(out, "summary_errors").empty
    assert read_table(out, "load_matrix")["matched"].all()
    assert len(read_table(out, "linked_statistics")) == 4 * 3
    assert len(list(out.glob("time_series_top_case_*.csv"))) == 4
    workbook = openpyxl.load_workbook(out / "ofxpost-demo-results.xlsx")
    assert {
        "summary_extremes",
        "linked_statistics",
        "range_graph_envelope",
        "load_matrix",
        "failures",
    } <= set(workbook.sheetnames)
    plots = sorted((out / "plots").glob("*.png"))
    assert [p.name for p in plots] == [
        "range_graph_bend_moment.png",
        "range_graph_effective_tension.png",
    ]
    assert all(png_size(p) == (2000, 1200) for p in plots)  # 200 dpi
    report = capsys.readouterr().err
    assert "files: 4 (4 ok, 0 partial, 0 failed)" in report
    assert "failures: none" in report and "workbook:" in report and "plots: 2 PNG" in report
    assert "report: " in report and (out / "report.html").is_file()
