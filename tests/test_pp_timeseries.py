"""Time series: per-file periods (no stop time leaking between files), values, names."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests._pp_helpers import (
    RISER,
    TENSION,
    VESSEL,
    RawArchive,
    read_table,
    run_config,
    write_yaml,
)

DURATIONS = {"a_long": 40.0, "b_short": 16.0, "c_mid": 28.0}
"""Input order puts the longest first (opp's bug gave later files its stop time)."""


def _write_cases(folder: Path) -> list[Path]:
    from ofxpost._tools.synth import generate_case

    return [
        generate_case(
            folder / f"{name}.ofx.parquet",
            hs=2.0 + i,
            tp=7.0 + i,
            heading=30.0 * i,
            current=0.4,
            duration=duration,
            dt=0.5,
            nodes=5,
            seed=40 + i,
        )
        for i, (name, duration) in enumerate(DURATIONS.items())
    ]


def _config(out: str) -> dict[str, Any]:
    return {
        "inputs": ["sims/*.ofx.parquet"],
        "output_dir": out,
        "outputs": {"formats": ["csv"]},
        "time_series": {
            "groups": [
                {
                    "name": "top",
                    "period": [0.0, None],
                    "columns": [
                        {
                            "object": RISER,
                            "variable": TENSION,
                            "object_extra": "end_a",
                            "label": "tension",
                        },
                        {"object": VESSEL, "variable": "Z", "label": "heave"},
                        {"object": VESSEL, "variable": "Nothing", "label": "broken"},
                    ],
                },
                {
                    "name": "whole",
                    "columns": [{"object": RISER, "variable": TENSION, "object_extra": "end_b"}],
                },
            ]
        },
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
                            "statistic": "time_of_max",
                            "period": [None, None],
                            "label": "t_max",
                        },
                    ],
                }
            ]
        },
    }


@pytest.fixture(scope="module")
def series_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("series")
    paths = _write_cases(root / "sims")
    run_config(write_yaml(root / "seq.yml", _config("seq")), sequential=True)
    run_config(write_yaml(root / "par.yml", _config("par")), workers=2)
    return {"root": root, "paths": paths}


@pytest.mark.integration
@pytest.mark.parametrize("mode", ["seq", "par"])
def test_each_file_ends_at_its_own_stop_time(series_runs: dict[str, Any], mode: str) -> None:
    out = series_runs["root"] / mode
    for path in series_runs["paths"]:
        raw = RawArchive(path)
        stem = path.name.removesuffix(".ofx.parquet")
        table = read_table(out, f"time_series_top_{stem}")
        assert list(table.columns) == ["time", "tension", "heave", "broken"]
        mask = raw.mask(0.0, None)
        np.testing.assert_allclose(table["time"], raw.times[mask])
        assert table["time"].iloc[-1] == pytest.approx(DURATIONS[stem])
        np.testing.assert_allclose(
            table["tension"], raw.column(RISER, TENSION, "end_a")[mask], rtol=1e-10
        )
        np.testing.assert_allclose(table["heave"], raw.column(VESSEL, "Z")[mask], atol=1e-11)
        assert table["broken"].isna().all()
        whole = read_table(out, f"time_series_whole_{stem}")
        assert list(whole.columns) == ["time", "Riser end_b Effective tension"]
        assert whole["time"].iloc[0] == pytest.approx(raw.start)
        assert whole["time"].iloc[-1] == pytest.approx(raw.stop)


@pytest.mark.integration
def test_summary_period_with_nulls_is_per_file(series_runs: dict[str, Any]) -> None:
    table = read_table(series_runs["root"] / "seq", "summary_ends").set_index("stem")
    for path in series_runs["paths"]:
        raw = RawArchive(path)
        values = raw.column(RISER, TENSION, "end_a")[raw.mask()]
        expected = raw.times[raw.mask()][int(np.argmax(values))]
        stem = path.name.removesuffix(".ofx.parquet")
        assert table.loc[stem, "t_max"] == pytest.approx(expected)
        assert table.loc[stem, "stop_time"] == DURATIONS[stem]


@pytest.mark.integration
def test_errors_table_and_identical_modes(series_runs: dict[str, Any]) -> None:
    root = series_runs["root"]
    errors = read_table(root / "seq", "time_series_errors")
    assert list(errors["stem"]) == ["a_long", "b_short", "c_mid"]
    assert set(errors["label"]) == {"broken"} and errors["message"].str.contains("Nothing").all()
    for name in sorted(p.name for p in (root / "seq").glob("time_series_*.csv")):
        assert (root / "seq" / name).read_bytes() == (root / "par" / name).read_bytes(), name


def test_table_names_are_safe_and_unique() -> None:
    import pandas as pd

    from ofxpost._builtin.timeseries import TimeSeriesSection, series_tables
    from ofxpost._core import codec
    from ofxpost._core.records import FileRecord, FileStatus

    section = TimeSeriesSection.model_validate(
        {"groups": [{"name": "g", "columns": [{"object": "o", "variable": "v", "label": "x"}]}]}
    )
    frame = pd.DataFrame({"time": [0.0, 1.0], "x": [1.0, 2.0]})
    result = {"time_series": {"g": {"frame": frame, "errors": []}}}
    records = [
        FileRecord(
            i, Path(folder) / "run 1 (a).ofx.parquet", FileStatus.OK, payload=codec.dumps(result)
        )
        for i, folder in enumerate(["one", "two"])
    ]
    tables = series_tables(records, section)
    assert list(tables) == [
        "time_series_g_run_1_a",
        "time_series_g_run_1_a~2",
        "time_series_errors",
    ]
