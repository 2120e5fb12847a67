"""The summary feature: every statistic, period and object-extra form against numpy.

Expected values are computed from the archives read with pyarrow alone
(:class:`tests._pp_helpers.RawArchive`), never through ofxpost's archive reader.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from tests._pp_helpers import (
    BEND,
    RISER,
    TENSION,
    VESSEL,
    RawArchive,
    make_sims,
    read_table,
    run_config,
    write_yaml,
)

Expected = Callable[[RawArchive], float]


def _th(variable: str, point: str, statistic: str, obj: str = RISER) -> Expected:
    """Expected value of a whole-simulation time-history statistic."""

    def compute(raw: RawArchive) -> float:
        mask = raw.mask()
        values = raw.column(obj, variable, point)[mask]
        times = raw.times[mask]
        return {
            "max": lambda: values.max(),
            "min": lambda: values.min(),
            "mean": lambda: values.sum() / values.size,
            "std": lambda: math.sqrt(((values - values.mean()) ** 2).sum() / values.size),
            "abs_max": lambda: np.abs(values).max(),
            "rms": lambda: math.sqrt((values**2).sum() / values.size),
            "time_of_max": lambda: times[int(np.argmax(values))],
            "time_of_min": lambda: times[int(np.argmin(values))],
            "p95": lambda: np.quantile(values, 0.95),
            "p99.9": lambda: np.quantile(values, 0.999),
        }[statistic]()

    return compute


def _period(
    low: Callable[[RawArchive], float | None], high: Callable[[RawArchive], Any]
) -> Expected:
    """Expected max of End A tension over a period."""

    def compute(raw: RawArchive) -> float:
        return float(raw.column(RISER, TENSION, "end_a")[raw.mask(low(raw), high(raw))].max())

    return compute


def _interpolated_mean(arc: float) -> Expected:
    def compute(raw: RawArchive) -> float:
        arcs = raw.node_arcs()
        upper = next(i for i, a in enumerate(arcs) if a > arc)
        a0, a1 = arcs[upper - 1], arcs[upper]
        w = (arc - a0) / (a1 - a0)
        series = (1 - w) * raw.column(RISER, BEND, f"node={upper}") + w * raw.column(
            RISER, BEND, f"node={upper + 1}"
        )
        return float(series[raw.mask()].mean())

    return compute


def _range(variable: str, reduce: str, low: float = -math.inf, high: float = math.inf) -> Expected:
    """Expected range-graph statistic: per-node curves, then reduced along the line."""

    def compute(raw: RawArchive) -> float:
        chosen = raw.nodes_between(low, high)
        block = raw.node_block(variable, [n for _, n in chosen], raw.mask())
        arcs = np.array([a for a, _ in chosen])
        if reduce == "max_of_max":
            return float(block.max(axis=0).max())
        if reduce == "min_of_min":
            return float(block.min(axis=0).min())
        if reduce == "mean_of_mean":
            return float(block.mean(axis=0).mean())
        if reduce == "max_of_std":
            return float(block.std(axis=0).max())
        if reduce == "arc_of_max":
            return float(arcs[int(np.argmax(block.max(axis=0)))])
        raise AssertionError(reduce)

    return compute


def _sections(raw: RawArchive, first: int, last: int) -> tuple[float, float]:
    ends = raw.section_ends()
    return (0.0 if first == 1 else ends[first - 2]), ends[last - 1]


def _stage_max(stage: int) -> Expected:
    def compute(raw: RawArchive) -> float:
        low, high = raw.stage(stage)
        return float(raw.column(RISER, TENSION, "end_a")[raw.mask(low, high)].max())

    return compute


def _latest_wave_max(raw: RawArchive) -> float:
    low, high = raw.model["latest_wave"]
    return float(raw.column(VESSEL, "Z")[raw.mask(low, high)].max())


def _section_max(raw: RawArchive) -> float:
    low, high = _sections(raw, 2, 2)
    return _range(TENSION, "max_of_max", low, high)(raw)


TH = {"command": "time_history", "object": RISER, "variable": TENSION}
RG = {"command": "range_graph", "object": RISER, "variable": TENSION}

COLUMNS: list[tuple[dict[str, Any], Expected]] = [
    (
        {**TH, "object_extra": "end_a", "statistic": "max", "label": "max"},
        _th(TENSION, "end_a", "max"),
    ),
    (
        {**TH, "object_extra": "end_b", "statistic": "min", "label": "min"},
        _th(TENSION, "end_b", "min"),
    ),
    (
        {**TH, "object_extra": {"node": 3}, "statistic": "mean", "label": "mean"},
        _th(TENSION, "node=3", "mean"),
    ),
    (
        {**TH, "object_extra": "touchdown", "statistic": "std", "label": "std"},
        _th(TENSION, "touchdown", "std"),
    ),
    (
        {
            **TH,
            "variable": BEND,
            "object_extra": "touchdown",
            "statistic": "abs_max",
            "label": "abs_max",
        },
        _th(BEND, "touchdown", "abs_max"),
    ),
    (
        {
            "command": "time_history",
            "object": VESSEL,
            "variable": "Z",
            "statistic": "rms",
            "label": "rms",
        },
        _th("Z", "", "rms", VESSEL),
    ),
    (
        {**TH, "object_extra": "end_a", "statistic": "time_of_max", "label": "time_of_max"},
        _th(TENSION, "end_a", "time_of_max"),
    ),
    (
        {**TH, "object_extra": "end_a", "statistic": "time_of_min", "label": "time_of_min"},
        _th(TENSION, "end_a", "time_of_min"),
    ),
    (
        {**TH, "object_extra": "end_a", "statistic": "p95", "label": "p95"},
        _th(TENSION, "end_a", "p95"),
    ),
    (
        {**TH, "object_extra": "end_a", "statistic": "p99.9", "label": "p99.9"},
        _th(TENSION, "end_a", "p99.9"),
    ),
    (
        {
            **TH,
            "variable": BEND,
            "object_extra": {"arc_length": 50.0},
            "statistic": "mean",
            "label": "arc_50_mean",
        },
        _interpolated_mean(50.0),
    ),
    (
        {
            **TH,
            "object_extra": "end_a",
            "statistic": "max",
            "period": "static_state",
            "label": "static_state",
        },
        lambda raw: raw.static(RISER, TENSION, "end_a"),
    ),
    (
        {
            "command": "time_history",
            "object": VESSEL,
            "variable": "Z",
            "statistic": "max",
            "period": "latest_wave",
            "label": "latest_wave",
        },
        _latest_wave_max,
    ),
    (
        {**TH, "object_extra": "end_a", "statistic": "max", "period": 1, "label": "stage_int"},
        _stage_max(1),
    ),
    (
        {
            **TH,
            "object_extra": "end_a",
            "statistic": "max",
            "period": {"stage": 0},
            "label": "stage_0",
        },
        _stage_max(0),
    ),
    (
        {
            **TH,
            "object_extra": "end_a",
            "statistic": "max",
            "period": [5.0, 12.5],
            "label": "specified",
        },
        _period(lambda r: 5.0, lambda r: 12.5),
    ),
    (
        {
            **TH,
            "object_extra": "end_a",
            "statistic": "max",
            "period": [None, 4.0],
            "label": "from_start",
        },
        _period(lambda r: r.start, lambda r: 4.0),
    ),
    (
        {
            **TH,
            "object_extra": "end_a",
            "statistic": "max",
            "period": [10.0, None],
            "label": "to_stop",
        },
        _period(lambda r: 10.0, lambda r: r.stop),
    ),
    ({**RG, "statistic": "max", "label": "rg_max"}, _range(TENSION, "max_of_max")),
    ({**RG, "statistic": "min", "label": "rg_min"}, _range(TENSION, "min_of_min")),
    ({**RG, "statistic": "mean", "label": "rg_mean"}, _range(TENSION, "mean_of_mean")),
    (
        {**RG, "statistic": "max", "curve": "std_dev", "label": "rg_std_curve"},
        _range(TENSION, "max_of_std"),
    ),
    (
        {**RG, "statistic": "arc_length_of_max", "label": "rg_arc_of_max"},
        _range(TENSION, "arc_of_max"),
    ),
    (
        {**RG, "statistic": "max", "arclength_range": [100.0, 500.0], "label": "rg_range"},
        _range(TENSION, "max_of_max", 100.0, 500.0),
    ),
    (
        {**RG, "statistic": "max", "arclength_range": {"sections": [2, 2]}, "label": "rg_sections"},
        _section_max,
    ),
    (
        {
            "command": "static_result",
            "object": RISER,
            "variable": TENSION,
            "object_extra": "end_b",
            "label": "static_result",
        },
        lambda raw: raw.static(RISER, TENSION, "end_b"),
    ),
    (
        {"command": "data", "object": RISER, "variable": "Length", "index": 1, "label": "data"},
        lambda raw: float(raw.objects[RISER]["data"]["Length"][1]),
    ),
]
ERROR_COLUMNS: list[dict[str, Any]] = [
    {**TH, "object": "NoSuchLine", "statistic": "max", "label": "missing_object"},
    {
        **TH,
        "variable": "No such variable",
        "object_extra": "end_a",
        "statistic": "max",
        "label": "missing_variable",
    },
]


@pytest.fixture(scope="module")
def summary_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Three archives and a truncated one, post-processed sequentially."""
    from ofxpost._tools.synth import make_bad_file

    root = tmp_path_factory.mktemp("summary")
    paths = make_sims(root / "sims", cases=3)
    make_bad_file(root / "sims" / "case_002x.ofx.parquet", "truncated")
    columns = [spec for spec, _ in COLUMNS]
    columns.insert(3, ERROR_COLUMNS[0])
    columns.append(ERROR_COLUMNS[1])
    config = {
        "inputs": ["sims/*.ofx.parquet"],
        "output_dir": "out",
        "outputs": {"formats": ["csv"]},
        "load_matrix": "sims/load_matrix.csv",
        "summary": {"groups": [{"name": "all", "columns": columns}]},
    }
    result = run_config(write_yaml(root / "batch.yml", config), sequential=True)
    return {"root": root, "out": root / "out", "paths": paths, "result": result}


@pytest.mark.integration
@pytest.mark.parametrize(("spec", "expected"), COLUMNS, ids=[spec["label"] for spec, _ in COLUMNS])
def test_column_matches_numpy(
    summary_run: dict[str, Any], spec: dict[str, Any], expected: Expected
) -> None:
    table = read_table(summary_run["out"], "summary_all").set_index("stem")
    for path in summary_run["paths"]:
        raw = RawArchive(path)
        got = table.loc[path.name.removesuffix(".ofx.parquet"), spec["label"]]
        assert got == pytest.approx(expected(raw), rel=1e-9, abs=1e-9), spec["label"]


@pytest.mark.integration
def test_periods_differ_so_the_checks_mean_something(summary_run: dict[str, Any]) -> None:
    for _, row in read_table(summary_run["out"], "summary_all").dropna(subset=["max"]).iterrows():
        assert row["stage_0"] != row["stage_int"] and row["from_start"] != row["to_stop"]
        assert row["specified"] <= row["max"] and row["static_state"] != row["max"]


@pytest.mark.integration
def test_table_layout_and_failed_file_row(summary_run: dict[str, Any]) -> None:
    table = read_table(summary_run["out"], "summary_all")
    assert list(table.columns[:13]) == [
        "file",
        "stem",
        "case_id",
        "hs",
        "tp",
        "wave_heading",
        "current_speed",
        "probability",
        "status",
        "run_status",
        "simulation_complete",
        "start_time",
        "stop_time",
    ]
    assert list(table["stem"]) == ["case_001", "case_002", "case_002x", "case_003"]
    failed = table.iloc[2]
    assert failed["status"] == "failed" and pd.isna(failed["max"]) and pd.isna(failed["run_status"])
    good = table.iloc[0]
    raw = RawArchive(summary_run["paths"][0])
    assert good["run_status"] == "SimulationStopped" and bool(good["simulation_complete"])
    assert good["start_time"] == raw.start and good["stop_time"] == raw.stop
    assert good["hs"] == pd.read_csv(summary_run["root"] / "sims" / "load_matrix.csv")["hs"][0]
    assert summary_run["result"].exit_code == 1  # the truncated file failed


@pytest.mark.integration
def test_missing_object_and_variable_fail_only_that_column(summary_run: dict[str, Any]) -> None:
    table = read_table(summary_run["out"], "summary_all")
    # a failed column makes its file partial (not ok), and the rest of the row stays
    ran = table[table["status"] == "partial"]
    assert len(ran) == 3
    assert ran["missing_object"].isna().all() and ran["missing_variable"].isna().all()
    assert ran["max"].notna().all() and ran["data"].notna().all()  # the rest of each row intact
    errors = read_table(summary_run["out"], "summary_errors")
    assert list(errors.columns) == ["file", "stem", "group", "label", "message"]
    assert list(errors["stem"]) == [
        "case_001",
        "case_001",
        "case_002",
        "case_002",
        "case_002x",
        "case_003",
        "case_003",
    ]
    by_label = errors.groupby("label")["message"].first()
    assert "no object named 'NoSuchLine'" in by_label["missing_object"]
    assert "No such variable" in by_label["missing_variable"]
    # the failed file is accounted for once per group, with its reason
    assert by_label["(file)"].startswith("file failed (file): ")
    failures = read_table(summary_run["out"], "failures")
    columns = failures[failures["kind"] == "extractor"]
    assert len(columns) == 6 and (columns["plugin"] == "ofxpost.builtin.summary").all()
    assert columns["message"].str.contains("column 'missing_object'").sum() == 3


@pytest.mark.integration
def test_statistics_table_is_separate_and_single(summary_run: dict[str, Any]) -> None:
    table = read_table(summary_run["out"], "summary_all")
    stats = read_table(summary_run["out"], "summary_all_statistics")
    assert list(stats["statistic"]) == ["min", "max", "mean", "std"]
    assert "missing_object" in stats.columns and stats["missing_object"].isna().all()
    values = table["max"].dropna()
    assert stats.set_index("statistic").loc["max", "max"] == pytest.approx(values.max())
    assert stats.set_index("statistic").loc["std", "max"] == pytest.approx(values.std(ddof=1))
    assert "statistic" not in table.columns and len(table) == 4


@pytest.mark.integration
def test_load_matrix_table(summary_run: dict[str, Any]) -> None:
    table = read_table(summary_run["out"], "load_matrix")
    assert list(table["stem"]) == ["case_001", "case_002", "case_002x", "case_003"]
    assert list(table["matched"]) == [True, True, False, True]
    assert list(table["status"]) == ["partial", "partial", "failed", "partial"]  # failed columns
    assert table.loc[2, "error_kind"] == "file" and "truncated" in table.loc[2, "error_message"]
    assert list(table["case_id"].dropna().astype(int)) == [1, 2, 3]
    assert "duration_s" not in table.columns and "worker_pid" not in table.columns


def test_column_label_defaults_and_validation(tmp_path: Path) -> None:
    import ofxpost

    column = {
        "command": "time_history",
        "object": RISER,
        "variable": TENSION,
        "object_extra": {"arc_length": 12.5},
        "statistic": "p90",
        "period": {"stage": 1},
    }
    config = ofxpost.load_config(
        {"inputs": ["x"], "summary": {"groups": [{"name": "g", "columns": [column]}]}}
    )
    assert (
        config.section("summary").groups[0].columns[0].name
        == "Riser @12.5 Effective tension p90 stage 1"
    )
    duplicate = {
        "inputs": ["x"],
        "summary": {"groups": [{"name": "g", "columns": [column, column]}]},
    }
    with pytest.raises(ofxpost.ConfigError, match=r"summary\.groups\[0\].*labelled"):
        ofxpost.load_config(duplicate)
