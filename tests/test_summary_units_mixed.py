"""The summary never mixes units: archives in N and in kN give one table in one unit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

import ofxpost
from ofxpost._archive.format import ArchiveInfo, ObjectInfo, column_name, node_point
from ofxpost._archive.writer import write_archive
from ofxpost._builtin.support.unitmix import harmonise
from tests._pp_helpers import read_table, run_config, write_yaml

pytestmark = pytest.mark.integration  # runs whole batches

DT = 0.5
TIMES = np.arange(0.0, 200.0 + DT / 2, DT)
TENSION_KN = 900.0 + 150.0 * np.sin(2 * np.pi * TIMES / 9.0) + 20.0 * np.cos(TIMES / 3.1)


def _archive(path: Path, unit: str, scale: float) -> Path:
    """One point of ``Effective tension`` = TENSION_KN expressed in ``unit``."""
    point = node_point(1)
    riser = ObjectInfo(
        "Riser", "Line", 6, results={"Effective tension": [point]},
        static={"Effective tension": [0.0]}, units={"Effective tension": unit},
        node_arclengths=[0.0], section_ends=[100.0], data={"Length": [100.0]},
    )  # fmt: skip
    info = ArchiveInfo(
        state=4, simulation_complete=True, start_time=0.0, stop_time=float(TIMES[-1]),
        current_time=float(TIMES[-1]), stage_durations=[0.0, float(TIMES[-1])],
        log_sample_interval=DT, objects=[ObjectInfo("General", "General", 1), riser],
    )  # fmt: skip
    data = {"time": TIMES, column_name("Riser", "Effective tension", point): TENSION_KN * scale}
    return write_archive(path, info, data)


COLUMNS = [
    {
        "command": "time_history",
        "object": "Riser",
        "variable": "Effective tension",
        "object_extra": {"node": 1},
        "statistic": statistic,
        "label": statistic,
    }
    for statistic in ("max", "mean", "std", "mpm", "tz")
]


def _with(spec: dict[str, Any], column: dict[str, Any]) -> dict[str, Any]:
    """``spec`` with ``column``'s keys, except on ``tz`` (a period: no force unit)."""
    return spec if spec["statistic"] == "tz" else {**spec, **column}


def _run(root: Path, cases: list[tuple[str, str, float]], **column: Any) -> Any:
    for stem, unit, scale in cases:
        _archive(root / "sims" / f"{stem}.ofx.parquet", unit, scale)
    config = {
        "inputs": ["sims/*.ofx.parquet"],
        "output_dir": "out",
        "outputs": {"formats": ["csv", "parquet"]},
        "summary": {"groups": [{"name": "g", "columns": [_with(c, column) for c in COLUMNS]}]},
    }
    return run_config(write_yaml(root / "batch.yml", config), sequential=True)


def _units(out: Path) -> dict[str, str]:
    import pyarrow.parquet as pq

    schema = pq.read_schema(out / "parquet" / "summary_g.parquet")
    return {
        f.name: f.metadata[b"unit"].decode() for f in schema if f.metadata and b"unit" in f.metadata
    }


def test_archives_in_n_and_kn_give_the_same_summary(tmp_path: Path) -> None:
    result = _run(tmp_path, [("a_kn", "kN", 1.0), ("b_n", "N", 1000.0)])
    assert result.exit_code == 0
    table = read_table(tmp_path / "out", "summary_g").set_index("stem")
    assert _units(tmp_path / "out")["max"] == "kN"  # the first file's unit
    expected_max = float(TENSION_KN.max())
    assert table.loc["a_kn", "max"] == pytest.approx(expected_max, rel=1e-12)
    for label in ("max", "mean", "std", "mpm", "tz"):
        assert table.loc["b_n", label] == pytest.approx(table.loc["a_kn", label], rel=1e-12)
    assert _units(tmp_path / "out")["tz"] == "s"
    assert list(table["status"]) == ["ok", "ok"]


def test_configured_unit_converts_every_file(tmp_path: Path) -> None:
    result = _run(tmp_path, [("a_kn", "kN", 1.0), ("b_n", "N", 1000.0)], unit="N")
    assert result.exit_code == 0
    table = read_table(tmp_path / "out", "summary_g").set_index("stem")
    assert _units(tmp_path / "out")["mean"] == "N"
    for stem in ("a_kn", "b_n"):
        assert table.loc[stem, "mean"] == pytest.approx(float(TENSION_KN.mean()) * 1000, rel=1e-12)


def test_a_unit_of_another_dimension_fails_that_file_naming_the_units(tmp_path: Path) -> None:
    result = _run(tmp_path, [("a_kn", "kN", 1.0), ("b_m", "m", 1.0)])
    assert result.exit_code == 1  # a value left empty: exit 0 would promise a full table
    failures = result.output_failures
    assert failures and all(f.stage == "aggregator" for f in failures)
    assert all(f.target == "summary_errors" and "incomplete" in f.message for f in failures)
    assert all("b_m" in f.message for f in failures)
    table = read_table(tmp_path / "out", "summary_g").set_index("stem")
    assert table.loc["a_kn", "status"] == "ok" and table.loc["b_m", "status"] == "partial"
    assert np.isnan(table.loc["b_m", "max"])  # never written unconverted
    errors = read_table(tmp_path / "out", "summary_errors")
    message = errors[(errors["stem"] == "b_m") & (errors["label"] == "max")]["message"].iloc[0]
    assert "'m'" in message and "'kN'" in message and "column 'max'" in message


def test_harmonise_by_hand() -> None:
    rows = [{"t": 2.0}, {"t": 3000.0}, {"t": 5.0}, {"t": float("nan")}]
    problems = harmonise(rows, [["kN"], ["N"], [None], ["N"]], ["t"], ["kN"], "here")
    assert [r["t"] for r in rows[:3]] == [2.0, 3.0, None]
    assert len(problems) == 1 and problems[0].row == 2 and "states no unit" in problems[0].message


def test_unknown_configured_unit_is_a_config_error() -> None:
    spec = {**COLUMNS[0], "unit": "furlong-ish"}
    with pytest.raises(ofxpost.ConfigError) as info:
        ofxpost.load_config(
            {"inputs": ["x"], "summary": {"groups": [{"name": "g", "columns": [spec]}]}}
        )
    assert "summary.groups[0].columns[0]" in str(info.value) and "furlong-ish" in str(info.value)


@pytest.mark.parametrize("name", ["alerts", "errors", "riser_statistics"])
def test_a_group_may_not_take_the_name_of_another_summary_table(name: str) -> None:
    with pytest.raises(ofxpost.ConfigError) as info:
        ofxpost.load_config(
            {"inputs": ["x"], "summary": {"groups": [{"name": name, "columns": [COLUMNS[0]]}]}}
        )
    assert "summary.groups[0].name" in str(info.value) and "alerts" in str(info.value)


def test_alerts_compare_each_file_in_the_allowables_unit(tmp_path: Path) -> None:
    """A file in N is compared with an allowable in kN after conversion: its raw
    number (1000 times larger) never raises a false alert, and a real breach is
    reported in the allowable's unit."""
    peak = float(TENSION_KN.max())  # kN, the same tension in every file
    for stem, unit, scale in [("a_kn", "kN", 1.0), ("b_n", "N", 1000.0)]:
        _archive(tmp_path / "sims" / f"{stem}.ofx.parquet", unit, scale)

    def alerts(limit_kn: float, folder: str) -> Any:
        column = {**COLUMNS[0], "allowable": {"max": limit_kn, "unit": "kN"}}
        config = {
            "inputs": ["sims/*.ofx.parquet"],
            "output_dir": folder,
            "outputs": {"formats": ["csv", "parquet"]},
            "summary": {"groups": [{"name": "g", "columns": [column]}]},
        }
        run_config(write_yaml(tmp_path / f"{folder}.yml", config), sequential=True)
        return read_table(tmp_path / folder, "summary_alerts")

    assert alerts(peak * 1.01, "under").empty  # b_n's raw value is ~1000x the limit
    over = alerts(peak * 0.99, "over").set_index("stem")
    assert sorted(over.index) == ["a_kn", "b_n"]
    for stem in over.index:
        assert over.loc[stem, "value"] == pytest.approx(peak, rel=1e-9)
        assert over.loc[stem, "allowable"] == pytest.approx(peak * 0.99, rel=1e-12)
        assert over.loc[stem, "unit"] == "kN"


def test_a_histogram_summation_never_adds_bins_of_two_units(tmp_path: Path) -> None:
    """The same tension stored in kN and in N: binned on one range, the two files'
    counts mean different things, so the N file is left out of the summation (named
    in time_series_errors) and the batch exits 1; each histogram row states its unit."""
    for stem, unit, scale in [("a_kn", "kN", 1.0), ("b_n", "N", 1000.0)]:
        _archive(tmp_path / "sims" / f"{stem}.ofx.parquet", unit, scale)
    column = {k: v for k, v in COLUMNS[0].items() if k not in ("command", "statistic")}
    group = {
        "name": "g",
        "columns": [column],
        "histogram": {"bins": 4, "range": [700.0, 1100.0]},
        "summation": True,
    }
    config = {
        "inputs": ["sims/*.ofx.parquet"],
        "output_dir": "out",
        "outputs": {"formats": ["csv", "parquet"]},
        "time_series": {"groups": [group]},
    }
    result = run_config(write_yaml(tmp_path / "batch.yml", config), sequential=True)
    assert result.exit_code == 1
    assert [f.target for f in result.output_failures] == ["time_series_errors"]
    histogram = read_table(tmp_path / "out", "time_series_histogram_g")
    assert dict(zip(histogram["stem"], histogram["unit"], strict=True)) == {
        "a_kn": "kN",
        "b_n": "N",
    }
    summation = read_table(tmp_path / "out", "time_series_summation_g")
    assert set(summation["files"]) == {1} and set(summation["unit"]) == {"kN"}
    expected, _ = np.histogram(TENSION_KN, bins=4, range=(700.0, 1100.0))
    inside = summation[np.isfinite(summation["bin_start"]) & np.isfinite(summation["bin_end"])]
    assert list(inside["count"]) == list(expected)
    errors = read_table(tmp_path / "out", "time_series_errors")
    (message,) = errors[errors["stem"] == "b_n"]["message"]
    assert "samples in N," in message and "first file's in kN" in message
