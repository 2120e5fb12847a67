"""Time-series histograms and their summation across files, checked with numpy on
samples read with pyarrow alone."""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import ofxpost
from tests._pp_helpers import RISER, TENSION, VESSEL, RawArchive, make_sims, read_table, run_config
from tests._pp_helpers import write_yaml as _write_yaml

EDGES = np.linspace(-2.0, 2.0, 9)


def _group(**extra: Any) -> dict[str, Any]:
    return {
        "name": "motions",
        "period": [0.0, None],
        "columns": [
            {"object": VESSEL, "variable": "Z", "label": "heave"},
            {"object": RISER, "variable": TENSION, "object_extra": "end_a", "label": "tension"},
        ],
        **extra,
    }


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"summation": True}, "summation: adding histograms"),
        ({"histogram": {}, "summation": True}, "needs bins every file shares"),
        ({"histogram": {"bins": 0}}, "at least 1"),
        ({"histogram": {"bins": [0, 1], "range": [0, 1]}}, "not used with explicit"),
        ({"histogram": {"bins": 4, "range": [1, 0]}}, "low < high"),
    ],
)
def test_bad_histograms_are_config_errors(extra: dict[str, Any], message: str) -> None:
    with pytest.raises(ofxpost.ConfigError, match=message):
        ofxpost.load_config({"inputs": ["x"], "time_series": {"groups": [_group(**extra)]}})


def _run(tmp_path: Path, group: dict[str, Any], out: str, *more: Any, **options: Any) -> Path:
    config = {
        "inputs": ["sims/*.ofx.parquet"],
        "output_dir": out,
        "outputs": {"formats": ["csv", "parquet", "xlsx"]},
        "load_matrix": "sims/load_matrix.csv",
        "time_series": {"groups": [group, *more]},
    }
    result = run_config(_write_yaml(tmp_path / f"{out}.yml", config), **options)
    assert result.exit_code == 0
    return tmp_path / out


@pytest.mark.integration
def test_histogram_and_summation_match_numpy(tmp_path: Path) -> None:
    paths = make_sims(tmp_path / "sims", cases=3, seed=6)
    group = _group(histogram={"bins": 8, "range": [-2.0, 2.0]}, summation=True)
    out = _run(tmp_path, group, "out", sequential=True)
    with (tmp_path / "sims" / "load_matrix.csv").open(encoding="utf-8") as handle:
        probability = {row["file"]: float(row["probability"]) for row in csv.DictReader(handle)}

    import openpyxl

    sheets = openpyxl.load_workbook(out / "ofxpost-results.xlsx", read_only=True).sheetnames
    assert {"time_series_histogram_motions", "time_series_summation_motions"} <= set(sheets)
    table = read_table(out, "time_series_histogram_motions")
    heave = table[table["column"] == "heave"]
    total = np.zeros(EDGES.size - 1)
    total_time = np.zeros(EDGES.size - 1)
    long_term = np.zeros(EDGES.size - 1)
    samples = 0
    for path in paths:
        raw = RawArchive(path)
        z = raw.column(VESSEL, "Z")[raw.mask(0.0, None)]
        stem = path.name.removesuffix(".ofx.parquet")
        mine = heave[heave["stem"] == stem]
        counts, _ = np.histogram(z, bins=EDGES)
        outside = int(np.count_nonzero((z < -2.0) | (z > 2.0)))
        assert len(mine) == EDGES.size - 1 + (outside > 0)
        np.testing.assert_array_equal(mine["count"].to_numpy()[:8], counts)
        np.testing.assert_allclose(mine["bin_start"].to_numpy()[:8], EDGES[:-1])
        np.testing.assert_allclose(mine["bin_end"].to_numpy()[:8], EDGES[1:])
        fraction = counts / z.size
        np.testing.assert_allclose(mine["fraction"].to_numpy()[:8], fraction, rtol=1e-12)
        duration = raw.times[raw.mask(0.0, None)][-1] - 0.0
        np.testing.assert_allclose(mine["time"].to_numpy()[:8], fraction * duration, rtol=1e-12)
        total += counts
        total_time += fraction * duration
        long_term += fraction * probability[stem]
        samples += z.size
    assert total.sum() > 0

    summed = read_table(out, "time_series_summation_motions")
    heave_sum = summed[summed["column"] == "heave"]
    np.testing.assert_array_equal(heave_sum["count"].to_numpy()[:8], total)
    assert (heave_sum["files"] == 3).all()
    np.testing.assert_allclose(heave_sum["fraction"].to_numpy()[:8], total / samples, rtol=1e-12)
    np.testing.assert_allclose(heave_sum["time"].to_numpy()[:8], total_time, rtol=1e-12)
    np.testing.assert_allclose(heave_sum["long_term_fraction"].to_numpy()[:8], long_term)
    np.testing.assert_allclose(
        heave_sum["time_per_year"].to_numpy()[:8], long_term * 365.25 * 86400, rtol=1e-12
    )
    # tension (kN, far above 2) is all in the 'above' row
    tension = summed[summed["column"] == "tension"]
    assert math.isinf(tension["bin_end"].iloc[-1])
    assert tension["count"].iloc[-1] == samples


@pytest.mark.integration
def test_per_file_bins_without_a_range_are_numpys_and_workers_write_the_same_bytes(
    tmp_path: Path,
) -> None:
    paths = make_sims(tmp_path / "sims", cases=3, seed=7)
    group = _group(histogram={"bins": 5})
    fixed = {**_group(histogram={"bins": [-1.0, 0.0, 0.5, 1.0]}, summation=True), "name": "fixed"}
    one = _run(tmp_path, group, "one", fixed, sequential=True)
    two = _run(tmp_path, group, "two", fixed, workers=2)
    for name in (
        "time_series_histogram_motions.csv",
        "parquet/time_series_histogram_motions.parquet",
        "time_series_histogram_fixed.csv",
        "time_series_summation_fixed.csv",
        "parquet/time_series_summation_fixed.parquet",
    ):
        assert (one / name).read_bytes() == (two / name).read_bytes()
    assert not (one / "time_series_summation_motions.csv").exists()
    table = read_table(one, "time_series_histogram_motions")
    for path in paths:
        raw = RawArchive(path)
        x = raw.column(RISER, TENSION, "end_a")[raw.mask(0.0, None)]
        counts, edges = np.histogram(x, bins=5)
        mine = table[(table["stem"] == path.name.removesuffix(".ofx.parquet"))]
        mine = mine[mine["column"] == "tension"]
        np.testing.assert_array_equal(mine["count"], counts)
        np.testing.assert_allclose(mine["bin_start"], edges[:-1], rtol=1e-12)
        np.testing.assert_allclose(mine["bin_end"], edges[1:], rtol=1e-12)


def _opp(series: dict[str, Any], feature: dict[str, Any] | None = None) -> dict[str, Any]:
    column = {
        "Command": "TimeHistory",
        "ObjectName": VESSEL,
        "Variable": "Z",
        "Label": "heave",
        "SimulationPeriod": [0.0, None],
    }
    return {
        "orcaflex": {"postprocess": {"time_series": {"flag": True, **(feature or {})}}},
        "time_series_settings": {
            "data": True,
            **series,
            "groups": [{"Label": "motions", "Columns": [column]}],
        },
    }


@pytest.mark.parametrize(
    ("series", "feature", "expected", "notice"),
    [
        ({"histogram": False, "summation": False}, None, {}, None),
        ({"histogram": True}, None, {"histogram": {}}, None),
        (
            {"histogram": {"flag": True, "bins": 8, "range": [-2, 2]}, "summation": {"flag": True}},
            None,
            {"histogram": {"bins": 8, "range": [-2, 2]}, "summation": True},
            None,
        ),
        ({"histogram": {"flag": False, "bins": 8}, "summation": False}, None, {}, None),
        (
            {},
            {"histogram": {"flag": True, "bins": [0, 1, 2]}, "summation": True},
            {"histogram": {"bins": [0, 1, 2]}, "summation": True},
            None,
        ),
        ({"histogram": True, "summation": True}, None, {"histogram": {}}, "summation"),
        ({"summation": True}, None, {}, "summation"),
    ],
)
def test_opp_histogram_and_summation_translate(
    series: dict[str, Any],
    feature: dict[str, Any] | None,
    expected: dict[str, Any],
    notice: str | None,
) -> None:
    from ofxpost._builtin.opp.translate import translate_with_notices

    native, notices = translate_with_notices(_opp(series, feature), None)
    (group,) = native["time_series"]["groups"]
    assert {k: group[k] for k in ("histogram", "summation") if k in group} == expected
    text = " ".join(notices)
    if notice is None:
        assert "histogram" not in text and "summation" not in text
    else:
        assert "time_series_settings.summation (adding histograms across files needs" in text
    ofxpost.load_config({**native, "inputs": ["x"]})  # the native config is valid


@pytest.mark.parametrize(
    ("series", "message"),
    [
        ({"histogram": {"flag": True, "bin": 8}}, "unknown key 'bin'"),
        ({"histogram": "yes"}, "expected true/false"),
        ({"summation": {"flag": True, "range": [0, 1]}}, "unknown key 'range'"),
        ({"histogram": {"flag": True, "bins": 4, "range": [3, 1]}}, "histogram.*low < high"),
    ],
)
def test_bad_opp_histogram_keys_name_the_key(series: dict[str, Any], message: str) -> None:
    from ofxpost._builtin.opp.translate import translate_opp_config

    with pytest.raises(ofxpost.ConfigError, match=message) as info:
        translate_opp_config(_opp(series), None)
    assert "time_series_settings" in str(info.value)
