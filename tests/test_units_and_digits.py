"""CSV numbers keep their significant digits; ``SpecifiedPeriod(t)`` runs to the end."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ofxpost import ofx
from ofxpost._archive.format import ArchiveInfo, ObjectInfo, column_name, node_point
from ofxpost._archive.reader import open_archive
from ofxpost._archive.writer import write_archive
from ofxpost._builtin.outputs import OutputsSection
from ofxpost._builtin.support.tableunits import csv_text


def test_csv_floats_keep_significant_digits_never_rounded_to_zero() -> None:
    values = [6.9e-08, 1.2345678901234e-12, 3741.8123456789, -2.5e15, 0.0, 1.0 / 3.0]
    frame = pd.DataFrame({"damage": values, "name": list("abcdef")})
    digits = OutputsSection().csv_significant_digits
    assert digits >= 10
    back = pd.read_csv(io.StringIO(csv_text(frame, digits, "none")))
    np.testing.assert_allclose(back["damage"].to_numpy(), values, rtol=1e-9, atol=0)
    assert (back["damage"].to_numpy()[:4] != 0).all()
    assert csv_text(frame, digits, "none") == csv_text(frame.copy(), digits, "none")


def _archive(path: Path) -> Path:
    times = np.arange(0.0, 60.0 + 0.05, 0.1)
    point = node_point(1)
    riser = ObjectInfo(
        "Riser", "Line", 6, results={"Effective tension": [point]},
        static={"Effective tension": [1.0]}, units={"Effective tension": "kN"},
        node_arclengths=[0.0], section_ends=[10.0], data={"Length": [10.0]},
    )  # fmt: skip
    info = ArchiveInfo(
        state=4, simulation_complete=True, start_time=-10.0, stop_time=60.0,
        current_time=60.0, stage_durations=[10.0, 60.0], log_sample_interval=0.1,
        objects=[ObjectInfo("General", "General", 1), riser],
    )  # fmt: skip
    return write_archive(
        path, info, {"time": times, column_name("Riser", "Effective tension", point): times * 2}
    )


def test_one_argument_specified_period_runs_from_t_to_the_end(tmp_path: Path) -> None:
    model = open_archive(_archive(tmp_path / "a.ofx.parquet"))
    times = np.arange(0.0, 60.0 + 0.05, 0.1)
    want = times[times >= 30.0 - 1e-9]
    got = model.SampleTimes(ofx.SpecifiedPeriod(30.0))
    np.testing.assert_allclose(got, want)
    values = model["Riser"].TimeHistory(
        "Effective tension", ofx.SpecifiedPeriod(30), ofx.oeNodeNum(1)
    )
    np.testing.assert_allclose(values, want * 2)
    assert len(model.SampleTimes(ofx.SpecifiedPeriod(30.0, 40.0))) == 101
    with pytest.raises(ofx.DLLError, match="runs backwards"):
        model.SampleTimes(ofx.SpecifiedPeriod(30.0, 20.0))
