"""The fatigue plugin in real batches, tested with ofxpost's test kit."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import ofxpost
import pandas as pd
import pytest
from ofxpost.archive import ArchiveInfo, ObjectInfo, column_name, node_point, write_archive
from ofxpost.testing import BatchRunner

from ofxpost_fatigue import dnv_curve
from ofxpost_fatigue.section import SECONDS_PER_YEAR

AREA = 0.01  # m2
MODULUS = 0.001  # m3


def fatigue_config(**section: Any) -> dict[str, Any]:
    return {
        "inputs": ["sims/*.ofx.parquet"],
        "output_dir": "out",
        "load_matrix": "sims/load_matrix.csv",
        "fatigue": {
            "sn_curve": {"environment": "seawater_cp", "curve": "F", "thickness_mm": 40.0},
            "design_life_years": 20,
            "lines": [
                {
                    "label": "riser",
                    "object": "Riser",
                    "arc_lengths": [0.0, 60.0, 120.0],
                    "stress": {
                        "kind": "section",
                        "area": AREA,
                        "section_modulus": MODULUS,
                        "tension_variable": "Effective tension",
                        "moment_variable": "Bend moment",
                    },
                }
            ],
            **section,
        },
    }


@pytest.mark.integration
def test_fatigue_tables_and_plot(ofxpost_archives: Any, ofxpost_batch: BatchRunner) -> None:
    sims = ofxpost_archives(cases=3)
    run = ofxpost_batch.run(fatigue_config())
    assert run.result.exit_code == 0, run.result.output_errors
    damage = run.table("fatigue_damage")
    assert list(damage["index"]) == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    assert list(damage["arc_length"]) == [0.0, 60.0, 120.0] * 3
    assert (damage["damage"] > 0).all() and (damage["cycles"] > 0).all()
    # scaled to a year by the load case's probability and the counted duration
    matrix = pd.read_csv(sims.load_matrix)
    probability = dict(zip(matrix["file"], matrix["probability"], strict=True))
    for row in damage.itertuples():
        p = probability[Path(row.file).name.removesuffix(".ofx.parquet")]
        assert row.duration_s == pytest.approx(30.0)
        assert row.annual_damage == pytest.approx(row.damage * p * SECONDS_PER_YEAR / 30.0)
    life = run.table("fatigue_life")
    for row in life.itertuples():
        total = damage.loc[damage["arc_length"] == row.arc_length, "annual_damage"].sum()
        assert row.life_years == pytest.approx(1.0 / total)
        assert row.utilisation == pytest.approx(20.0 / row.life_years)
        assert row.complete and row.files_used == 3 and row.files_missing == 0
    png = run.output_dir / "fatigue_life_riser.png"
    assert png in run.result.outputs
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.integration
def test_fatigue_tables_identical_sequential_vs_parallel(
    ofxpost_archives: Any, ofxpost_batch: BatchRunner
) -> None:
    ofxpost_archives(cases=4)
    seq, par = ofxpost_batch.assert_same_tables(
        fatigue_config(), tables=["fatigue_damage", "fatigue_life"]
    )
    assert par.result.mode == "parallel"
    assert len(seq.table("fatigue_damage")) == 12


def _constant_amplitude_archive(path: Path, tension_range: float, cycles: int) -> Path:
    """A line whose effective tension is a cosine of ``tension_range`` kN (no bending)."""
    period, dt = 10.0, 0.25
    times = np.arange(0.0, cycles * period + dt / 2, dt)
    tension = 1000.0 + tension_range / 2 * np.cos(2 * np.pi * times / period)
    points = [node_point(1), node_point(2)]
    riser = ObjectInfo(
        "Riser", "Line", 6,
        results={"Effective tension": points, "Bend moment": points},
        static={"Effective tension": [1000.0, 1000.0], "Bend moment": [0.0, 0.0]},
        units={"Effective tension": "kN", "Bend moment": "kN.m"},
        node_arclengths=[0.0, 100.0], section_ends=[100.0], data={"Length": [100.0]},
    )  # fmt: skip
    info = ArchiveInfo(
        state=4, simulation_complete=True, start_time=0.0, stop_time=float(times[-1]),
        current_time=float(times[-1]), stage_durations=[0.0, float(times[-1])],
        log_sample_interval=dt, objects=[ObjectInfo("General", "General", 1), riser],
    )  # fmt: skip
    data = {"time": times}
    for point in points:
        data[column_name("Riser", "Effective tension", point)] = tension
        data[column_name("Riser", "Bend moment", point)] = np.zeros_like(times)
    return write_archive(path, info, data)


@pytest.mark.integration
def test_constant_amplitude_batch_damage_is_n_over_N(
    tmp_path: Path, ofxpost_batch: BatchRunner
) -> None:
    sims = tmp_path / "sims"
    cycles, tension_range = 30, 800.0  # kN -> 80 MPa on 0.01 m2
    _constant_amplitude_archive(sims / "case_001.ofx.parquet", tension_range, cycles)
    (sims / "load_matrix.csv").write_text("file,probability\ncase_001,1.0\n", encoding="utf-8")
    config = fatigue_config(sn_curve={"environment": "air", "curve": "D"})
    config["fatigue"]["lines"][0]["arc_lengths"] = [50.0]
    run = ofxpost_batch.run(config)
    assert run.result.exit_code == 0, run.result.output_errors
    row = run.table("fatigue_damage").iloc[0]
    stress_range = tension_range / AREA / 1000.0  # MPa
    n_to_failure = 10 ** (12.164 - 3 * math.log10(stress_range))  # D in air, S > knee
    assert row["cycles"] == cycles
    assert row["damage"] == pytest.approx(cycles / n_to_failure, rel=1e-9)
    assert row["max_range"] == pytest.approx(stress_range)
    # DEL convention: constant range S for n cycles -> S·(n/N_eq)^(1/m), m = 3, N_eq = 1e7
    assert row["del"] == pytest.approx(stress_range * (cycles / 1e7) ** (1 / 3))
    duration = cycles * 10.0
    assert row["annual_damage"] == pytest.approx(row["damage"] * 1.0 * SECONDS_PER_YEAR / duration)
    assert dnv_curve("D", "air").cycles_to_failure([stress_range])[0] == pytest.approx(n_to_failure)


@pytest.mark.integration
def test_missing_load_matrix_fails_only_the_fatigue_tables(
    ofxpost_archives: Any, ofxpost_batch: BatchRunner
) -> None:
    ofxpost_archives(cases=2)
    config = fatigue_config()
    del config["load_matrix"]
    run = ofxpost_batch.run(config)
    assert run.result.exit_code == 1
    assert any("load matrix" in e and "fatigue" in e for e in run.result.output_errors)
    assert "fatigue_life" not in run.tables and "files" in run.tables


@pytest.mark.integration
def test_a_file_without_a_load_case_is_an_error(
    ofxpost_archives: Any, ofxpost_batch: BatchRunner
) -> None:
    sims = ofxpost_archives(cases=2)
    header, first = sims.load_matrix.read_text().splitlines()[:2]
    # case_002 has no row; the one row left carries all the probability (sum 1)
    cells = dict(zip(header.split(","), first.split(","), strict=True))
    cells["probability"] = "1.0"
    sims.load_matrix.write_text(header + "\n" + ",".join(cells.values()) + "\n")
    run = ofxpost_batch.run(fatigue_config())
    assert run.result.exit_code == 1
    assert any("case_002" in e for e in run.result.output_errors)


@pytest.mark.integration
def test_failed_file_makes_life_incomplete(
    ofxpost_archives: Any, ofxpost_batch: BatchRunner
) -> None:
    ofxpost_archives(cases=3, faults={1: "truncated"})
    run = ofxpost_batch.run(fatigue_config())
    assert run.result.exit_code == 1
    life = run.table("fatigue_life")
    assert not life["complete"].any()
    assert list(life["files_missing"]) == [1, 1, 1]
    damage = run.table("fatigue_damage")
    assert list(damage.loc[damage["index"] == 1, "status"]) == ["no_result"] * 3


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"sn_curve": {"curve": "Z"}}, "fatigue.sn_curve.curve"),
        ({"dff": 0}, "fatigue.dff"),
        ({"lines": [{"label": "a b", "object": "Riser", "arc_lengths": [1.0],
                     "stress": {"kind": "variable", "variable": "X", "unit": "MPa"}}]},
         "fatigue.lines"),
        ({"lines": [{"label": "a", "object": "Riser", "arc_lengths": [1.0],
                     "stress": {"kind": "section", "area": 1.0}}]}, "section_modulus"),
    ],
)  # fmt: skip
def test_config_errors_name_the_key(tmp_path: Path, change: dict[str, Any], message: str) -> None:
    config = fatigue_config(**change)
    config["inputs"] = ["*.none"]
    with pytest.raises(ofxpost.ConfigError, match=message.replace(".", r"\.")):
        ofxpost.load_config(config, base_dir=tmp_path)


def test_ofxpost_plugins_lists_the_distribution(capsys: pytest.CaptureFixture[str]) -> None:
    assert ofxpost.main(["plugins"]) == 0
    out = capsys.readouterr().out
    assert "fatigue  [ofxpost-fatigue 0.1.0]" in out


def test_fatigue_workbook_sheets_and_report_section(
    ofxpost_archives: Any, ofxpost_batch: BatchRunner
) -> None:
    """A fatigue run's workbook has the fatigue sheets (each with its units row) and its
    report a "Fatigue lives" section with the required life, short lives flagged."""
    import re

    import openpyxl

    ofxpost_archives(cases=3)
    config = fatigue_config(dff=10.0)
    config["outputs"] = {"formats": ["parquet", "xlsx", "html"]}
    run = ofxpost_batch.run(config)
    assert run.result.exit_code == 0, run.result.output_errors
    workbook = openpyxl.load_workbook(run.output_dir / "ofxpost-results.xlsx")
    assert {"fatigue_damage", "fatigue_life"} <= set(workbook.sheetnames)
    for name in workbook.sheetnames:  # row 2 is the units row on every sheet
        rows = list(workbook[name].iter_rows(min_row=1, max_row=2, values_only=True))
        assert len(rows) == 2, name
    life_rows = list(workbook["fatigue_life"].iter_rows(values_only=True))
    header, units = life_rows[0], life_rows[1]
    assert units[header.index("life_years")] == "years"
    assert units[header.index("annual_damage")] == "1/year"
    damage_rows = list(workbook["fatigue_damage"].iter_rows(values_only=True))
    assert damage_rows[1][damage_rows[0].index("damage")] == "-"
    assert len(damage_rows) == 2 + 9
    life = run.table("fatigue_life")
    text = (run.output_dir / "report.html").read_text(encoding="utf-8")
    assert "<h2>Fatigue lives</h2>" in text
    assert "Required life = design life 20 years × DFF 10 = 200 years." in text
    section = text.split("<h2>Fatigue lives</h2>")[1].split("</section>")[0]
    flagged = len(re.findall(r'class="n flag"', section))
    short = int((life["life_years"] < 200.0).sum())
    assert flagged == 2 * short  # the life and its utilisation, on each short point
