"""An opp-layout config runs, gives the tables of its native translation, and fixes opp's bugs."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import ofxpost
from ofxpost._builtin.opp.translate import translate_opp_config
from tests._pp_helpers import (
    RISER,
    TENSION,
    RawArchive,
    make_sims,
    opp_config,
    read_table,
    run_config,
    write_yaml,
)
from tests.conftest import table_bytes

pytestmark = pytest.mark.integration  # starts processes or runs whole batches


@pytest.fixture(scope="module")
def opp_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("opp")
    paths = make_sims(root / "sims", cases=3, seed=21)
    old = write_yaml(root / "old.yml", opp_config(out="results_opp"))
    config = ofxpost.load_config(old)
    opp_result = run_config(old, sequential=True)
    native = translate_opp_config(opp_config(out="results_opp"), old)
    native["output_dir"] = "results_native"
    native_result = run_config(write_yaml(root / "native.yml", native), sequential=True)
    return {
        "root": root,
        "paths": paths,
        "notices": config.notices,
        "results": (opp_result, native_result),
    }


def test_opp_config_is_recognised_with_a_notice(opp_runs: dict[str, Any]) -> None:
    translated, ignored = opp_runs["notices"]
    assert "opp layout" in translated
    # the keys with no meaning here are listed once, in their own notice
    assert ignored.startswith("ignored opp keys")
    assert "orcaflex.postprocess.visualization" in ignored and "ObjectType" in ignored
    assert all(r.exit_code == 0 for r in opp_runs["results"])


def test_opp_and_native_translation_give_identical_tables(opp_runs: dict[str, Any]) -> None:
    root = opp_runs["root"]
    opp = table_bytes(root / "results_opp")
    native = table_bytes(root / "results_native")
    assert "summary_dynamics.csv" in opp and "time_series_top_case_001.csv" in opp
    assert opp == native
    assert (root / "results_opp" / "ofxpost-results.xlsx").read_bytes() == (
        root / "results_native" / "ofxpost-results.xlsx"
    ).read_bytes()


def test_opp_bugs_are_fixed_in_the_outputs(opp_runs: dict[str, Any]) -> None:
    out = opp_runs["root"] / "results_opp"
    summary = read_table(out, "summary_dynamics").set_index("stem")
    for path in opp_runs["paths"]:
        raw = RawArchive(path)
        stem = path.name.removesuffix(".ofx.parquet")
        top = raw.column(RISER, TENSION, "end_a")
        # integer SimulationPeriod is stage 1 (not ignored)
        low, high = raw.stage(1)
        expected = top[raw.mask(low, high)].mean()
        assert summary.loc[stem, "TopTensionStage1"] == pytest.approx(expected, rel=1e-9)
        # ArcLength [0, 60] on a range graph is a range: only nodes within it
        nodes = [n for _, n in raw.nodes_between(0.0, 60.0)]
        block = raw.node_block(TENSION, nodes, raw.mask())
        assert summary.loc[stem, "RGMaxTension"] == pytest.approx(block.max(), rel=1e-9)
        # the stop time is the simulation stop time, and the period [null, null] is per file
        assert summary.loc[stem, "stop_time"] == raw.stop
        assert summary.loc[stem, "TopTensionMax"] == pytest.approx(top[raw.mask()].max(), rel=1e-9)
    # every AdditionalData curve kept
    graph = read_table(out, "range_graph")
    assert graph[["min", "max", "mean", "std_dev"]].notna().all().all()
    # statistics once, in their own table
    stats = read_table(out, "summary_dynamics_statistics")
    assert list(stats["statistic"]) == ["min", "max", "mean", "std"]
    assert "statistic" not in summary.columns and len(summary) == 3
    # the load matrix is saved
    matrix = read_table(out, "load_matrix")
    assert list(matrix["stem"]) == ["case_001", "case_002", "case_003"]
    assert (matrix["run_status"] == "SimulationStopped").all()
    # time series of every file, each to its own stop time, the first one included
    for path in opp_runs["paths"]:
        stem = path.name.removesuffix(".ofx.parquet")
        series = read_table(out, f"time_series_top_{stem}")
        assert series["time"].iloc[0] == 0.0 and series["time"].iloc[-1] == RawArchive(path).stop
    linked = read_table(out, "linked_statistics")
    assert list(linked["linked_variable"].unique()) == ["Bend moment", "Curvature"]
    assert np.isfinite(linked["value_at_max"]).all()
