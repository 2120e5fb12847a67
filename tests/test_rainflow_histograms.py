"""Rainflow histograms: the core counter against ASTM E1049-85 and the ``rainflow``
package; the feature's tables against an independent count of the raw samples."""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rainflow as rainflow_package  # type: ignore[import-untyped]

import ofxpost
from ofxpost._core.rainflow import count_cycles
from tests._pp_helpers import RISER, RawArchive, make_sims, read_table, run_config, write_yaml


def _summed(ranges: Any, counts: Any) -> dict[float, float]:
    out: dict[float, float] = {}
    for r, c in zip(ranges, counts, strict=True):
        out[float(r)] = out.get(float(r), 0.0) + float(c)
    return out


def test_astm_e1049_worked_example() -> None:
    ranges, counts = count_cycles([-2, 1, -3, 5, -1, 3, -4, 4, -2])
    assert _summed(ranges, counts) == {3.0: 0.5, 4.0: 1.5, 6.0: 0.5, 8.0: 1.0, 9.0: 0.5}


def test_counter_matches_the_rainflow_package_on_random_series() -> None:
    rng = np.random.default_rng(7)
    for _ in range(100):
        x = rng.normal(size=int(rng.integers(2, 300))).round(int(rng.integers(0, 3)))
        ours = sorted(zip(*count_cycles(x), strict=True))
        theirs = sorted(
            (float(r), float(c)) for r, _m, c, _s, _e in rainflow_package.extract_cycles(x.tolist())
        )
        np.testing.assert_allclose(np.array(ours).reshape(-1, 2), np.array(theirs).reshape(-1, 2))


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"bins": 0}, "at least 1"),
        ({"bins": [0, 5, 5]}, "increasing"),
        ({"bins": 4, "range": [10, 0]}, "low < high"),
        ({"bins": [0, 1], "range": [0, 1]}, "not used with explicit"),
    ],
)
def test_bad_sections_are_config_errors(section: dict[str, Any], message: str) -> None:
    column = {"object": RISER, "variable": "Wall tension", "object_extra": "end_a"}
    with pytest.raises(ofxpost.ConfigError, match=message):
        ofxpost.load_config({"inputs": ["x"], "rainflow": {**section, "columns": [column]}})


@pytest.mark.integration
def test_histograms_match_an_independent_count(tmp_path: Path) -> None:
    paths = make_sims(tmp_path / "sims", cases=3, seed=4)
    edges = np.linspace(0.0, 200.0, 9)
    config = {
        "inputs": ["sims/*.ofx.parquet"],
        "output_dir": "out",
        "outputs": {"formats": ["csv", "parquet"]},
        "load_matrix": "sims/load_matrix.csv",
        "rainflow": {
            "bins": 8,
            "range": [0.0, 200.0],
            "columns": [
                {
                    "object": RISER,
                    "variable": "Wall tension",
                    "object_extra": "end_a",
                    "label": "wt",
                }
            ],
        },
    }
    result = run_config(write_yaml(tmp_path / "batch.yml", config), sequential=True)
    assert result.exit_code == 0
    with (tmp_path / "sims" / "load_matrix.csv").open(encoding="utf-8") as handle:
        probability = {row["file"]: float(row["probability"]) for row in csv.DictReader(handle)}
    cycles = np.zeros(edges.size - 1)
    per_year = np.zeros(edges.size - 1)
    above = above_year = 0.0
    for path in paths:
        raw = RawArchive(path)
        x = raw.column(RISER, "Wall tension", "end_a")
        found = list(rainflow_package.extract_cycles(x.tolist()))
        ranges = np.array([c[0] for c in found])
        counts = np.array([c[2] for c in found])
        inside, _ = np.histogram(ranges, bins=edges, weights=counts)
        big = float(counts[ranges > 200.0].sum())
        scale = probability[path.name.removesuffix(".ofx.parquet")] * 365.25 * 86400
        scale /= raw.times[-1] - raw.times[0]
        cycles += inside
        per_year += inside * scale
        above += big
        above_year += big * scale
    table = read_table(tmp_path / "out", "rainflow_wt")
    rows = edges.size - 1 + (1 if above > 0 else 0)
    assert len(table) == rows
    np.testing.assert_allclose(table["bin_start"][: edges.size - 1], edges[:-1])
    np.testing.assert_allclose(table["cycles"][: edges.size - 1], cycles, rtol=1e-12)
    np.testing.assert_allclose(table["cycles_per_year"][: edges.size - 1], per_year, rtol=1e-9)
    if above > 0:
        assert math.isinf(table["bin_end"].iloc[-1])
        assert table["cycles_per_year"].iloc[-1] == pytest.approx(above_year, rel=1e-9)
    assert cycles.sum() > 0


@pytest.mark.integration
def test_files_in_n_and_kn_count_alike_and_another_dimension_is_refused(tmp_path: Path) -> None:
    from tests.test_summary_units_mixed import TENSION_KN, _archive

    for stem, unit, scale in (("a_kn", "kN", 1.0), ("b_n", "N", 1000.0), ("c_m", "m", 1.0)):
        _archive(tmp_path / "sims" / f"{stem}.ofx.parquet", unit, scale)
    column = {"object": RISER, "variable": "Effective tension", "object_extra": {"node": 1}}
    config = {
        "inputs": ["sims/*.ofx.parquet"],
        "output_dir": "out",
        "outputs": {"formats": ["csv", "parquet"]},
        "rainflow": {"bins": [0.0, 100.0, 200.0, 400.0], "columns": [{**column, "label": "t"}]},
    }
    run_config(write_yaml(tmp_path / "batch.yml", config), sequential=True)
    found = list(rainflow_package.extract_cycles(TENSION_KN.tolist()))
    ranges = np.array([c[0] for c in found])
    counts = np.array([c[2] for c in found])
    one_file, _ = np.histogram(ranges, bins=[0.0, 100.0, 200.0, 400.0], weights=counts)
    table = read_table(tmp_path / "out", "rainflow_t")
    np.testing.assert_allclose(table["cycles"][:3], 2 * one_file, rtol=1e-12)
    assert "cycles_per_year" not in table.columns  # no load matrix: no probabilities
    errors = read_table(tmp_path / "out", "rainflow_errors")
    assert list(errors["stem"]) == ["c_m"]
    assert "'m'" in errors["message"].iloc[0] and "'kN'" in errors["message"].iloc[0]
