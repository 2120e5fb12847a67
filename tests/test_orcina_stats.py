"""Statistics as Orcina defines them, and period boundaries, checked against hand counts.

Orcina (OrcaFlex help, "Results: Linked statistics"): Tz is the mean time between
successive up-crossings of the mean, Tc the mean time between successive local
maxima; m0 = σ², m2 = m0/Tz², m4 = m2/Tc², bandwidth = √(1 − (Tc/Tz)²).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from ofxpost import ofx
from ofxpost._archive import open_archive
from ofxpost._archive.stats import local_maxima, mean_up_crossings, time_series_statistics

DT = 0.5
BLOCK = [-1.0, 3.0, 1.0, 2.0, -2.0, -3.0]
"""Mean 0 over a block. Per block: one up-crossing of the mean (-1 -> 3, a quarter
of the way: at sample 0.25) and two local maxima (3 at sample 1, 2 at sample 3)."""


def test_tz_and_tc_by_hand_count() -> None:
    x = np.array(BLOCK * 3)
    # up-crossings at samples 0.25, 6.25, 12.25 -> times 0.125, 3.125, 6.125 s
    np.testing.assert_allclose(mean_up_crossings(x, DT), [0.125, 3.125, 6.125])
    # maxima at samples 1, 3, 7, 9, 13, 15 (the last sample, -3, is not one)
    np.testing.assert_allclose(local_maxima(x, DT), np.array([1, 3, 7, 9, 13, 15]) * DT)
    stats = time_series_statistics(x, DT)
    assert stats["Tz"] == pytest.approx(6 * DT)  # (6.125 - 0.125) / 2 crossings apart
    assert stats["Tc"] == pytest.approx(14 / 5 * DT)  # (15 - 1) samples / 5 gaps
    m0 = sum(v * v for v in BLOCK) / len(BLOCK)  # population variance (mean 0) = 28/6
    assert stats["m0"] == pytest.approx(28 / 6)
    assert stats["StdDev"] == pytest.approx(math.sqrt(28 / 6))
    assert stats["m2"] == pytest.approx(m0 / (6 * DT) ** 2)
    assert stats["m4"] == pytest.approx(m0 / (6 * DT) ** 2 / (2.8 * DT) ** 2)
    assert stats["Bandwidth"] == pytest.approx(math.sqrt(1 - (2.8 / 6) ** 2))
    assert stats["Bandwidth"] == pytest.approx(
        math.sqrt(1 - stats["m2"] ** 2 / (stats["m0"] * stats["m4"]))
    )
    assert stats["Mean"] == pytest.approx(0.0, abs=1e-15)
    assert stats["RMS"] == pytest.approx(math.sqrt(28 / 6))
    # the module-level OrcFxAPI function gives the same
    assert ofx.TimeSeriesStatistics(x, DT).asDict() == pytest.approx(stats, nan_ok=True)


def test_stddev_is_the_population_one() -> None:
    x = np.array([1.0, 2.0, 3.0, 4.0])
    assert time_series_statistics(x, 1.0)["StdDev"] == pytest.approx(math.sqrt(1.25))  # n, not n-1


def test_plateaus_count_once_and_steps_are_not_maxima() -> None:
    flat_top = np.array([0.0, 2.0, 2.0, 0.0, -2.0, -2.0, 0.0, 2.0, 2.0, 0.0, -2.0])
    np.testing.assert_allclose(local_maxima(flat_top, 1.0), [1.0, 7.0])
    step = np.array([0.0, 1.0, 1.0, 2.0, 0.0])
    np.testing.assert_allclose(local_maxima(step, 1.0), [3.0])
    assert time_series_statistics(flat_top, 1.0)["Tc"] == pytest.approx(6.0)


def test_undefined_periods_are_nan() -> None:
    one_crossing = np.array([-1.0, 1.0, 1.0])
    stats = time_series_statistics(one_crossing, 1.0)
    assert math.isnan(stats["Tz"]) and math.isnan(stats["m2"]) and math.isnan(stats["Bandwidth"])
    constant = time_series_statistics(np.ones(10), 1.0)
    assert math.isnan(constant["Tz"]) and math.isnan(constant["Tc"]) and constant["StdDev"] == 0


# --------------------------------------------------------------- period boundaries


@pytest.fixture(scope="module")
def offset_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build-up 1.1 s at dt 0.25: samples at -1.1, -0.85, ... 0.15, 0.4 ... (none at 0)."""
    from ofxpost._tools.synth import generate_case

    path = tmp_path_factory.mktemp("periods") / "offset.ofx.parquet"
    return generate_case(
        path,
        hs=2.0,
        tp=8.0,
        heading=0.0,
        current=0.5,
        duration=5.0,
        dt=0.25,
        nodes=3,
        build_up=1.1,
    )


def test_period_boundaries_include_exactly_from_to(offset_archive: Path) -> None:
    with open_archive(offset_archive) as model:
        times = model.SampleTimes(ofx.PeriodNum.WholeSimulation)
        assert times[0] == pytest.approx(-1.1) and times[-1] == pytest.approx(4.9)
        # stage 1 runs 0 - 5 s: first sample 0.15 (-0.1 is outside), last 4.9
        stage1 = model.SampleTimes(1)
        np.testing.assert_allclose(stage1[[0, -1]], [0.15, 4.9])
        assert len(stage1) == 20  # 0.15, 0.40, ..., 4.90
        # the build-up, -1.1 - 0 s: -1.1 ... -0.1 (5 samples; 0.15 is outside)
        np.testing.assert_allclose(model.SampleTimes(0), [-1.1, -0.85, -0.6, -0.35, -0.1])
        # a specified period picks only samples inside it
        np.testing.assert_allclose(
            model.SampleTimes(ofx.SpecifiedPeriod(0.15, 0.9)), [0.15, 0.4, 0.65, 0.9]
        )
        np.testing.assert_allclose(model.SampleTimes((0.2, 0.9)), [0.4, 0.65, 0.9])
        assert model.SampleCount(ofx.SpecifiedPeriod(0.45, 0.6)) == 0  # between samples
        riser = model["Riser"]
        assert riser.TimeHistory("Effective tension", (0.45, 0.6), ofx.oeEndA).size == 0
        values = riser.TimeHistory("Effective tension", (0.2, 0.9), ofx.oeEndA)
        whole = riser.TimeHistory("Effective tension", None, ofx.oeEndA)
        inside = (times >= 0.2) & (times <= 0.9)
        np.testing.assert_array_equal(values, whole[inside])
        with pytest.raises(ofx.DLLError) as excinfo:
            model.SampleTimes((4.95, 6.0))
        assert int(excinfo.value.status) == int(ofx.StatusCode.PeriodNotYetStarted)


def test_a_stage_boundary_on_a_sample_is_in_both_stages(tmp_path: Path) -> None:
    from ofxpost._tools.synth import generate_case

    path = generate_case(
        tmp_path / "on_grid.ofx.parquet",
        hs=2.0,
        tp=8.0,
        heading=0.0,
        current=0.5,
        duration=2.0,
        dt=0.25,
        nodes=3,
        build_up=1.0,
    )
    with open_archive(path) as model:
        assert model.SampleTimes(0)[-1] == 0.0
        assert model.SampleTimes(1)[0] == 0.0
        assert model.SampleCount(0) == 5 and model.SampleCount(1) == 9
