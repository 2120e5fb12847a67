"""Weibull and GPD peaks-over-threshold fits on archives (``ExtremeStatistics``).

Samples are drawn from a known distribution (seeded numpy), written into an
archive's tension column with pyarrow, and fitted through the archive reader;
every expected number comes from :mod:`tests._hand_extremes` (scipy's own fits,
scipy's inverse survival function, a searched mode, a finite-difference
covariance) or a published asymptotic formula -- never from ofxpost's code.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ofxpost import ofx
from ofxpost._archive import open_archive
from ofxpost._archive.format import END_A, column_name
from ofxpost.archive import (
    ExtremeStatistics,
    LikelihoodStatisticsQuery,
    LikelihoodStatisticsSpecification,
)
from tests._hand_extremes import (
    cluster_peaks_by_hand,
    covariance_by_hand,
    mode_excess_by_search,
    return_excess,
    scipy_fit,
    scipy_nll,
)

TENSION = "Effective tension"
THRESHOLD = 500.0
DT = 0.2
GAP = 5  # samples from one peak to the next
HOURS = 3.0
DISTRIBUTIONS = {
    "gpd": ofx.ExtremeValueDistribution.GPD,
    "weibull": ofx.ExtremeValueDistribution.Weibull,
}


def _excess(model: str, n: int, seed: int) -> Any:
    rng = np.random.default_rng(seed)
    if model == "gpd":  # inverse-CDF sampling of a GPD with sigma 40, xi 0.15
        return 40.0 / 0.15 * ((1.0 - rng.random(n)) ** -0.15 - 1.0)
    return 30.0 * rng.weibull(1.7, n)  # sigma 30, shape 1.7


def _archive_with(folder: Path, excess: Any) -> tuple[Path, Any]:
    """A synthetic archive whose End A tension is THRESHOLD - 100 except one peak
    ``THRESHOLD + excess[i]`` every GAP samples (each its own cluster)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from ofxpost._tools.synth import generate_case

    rows = GAP * len(excess) + 1
    duration = (rows - 1) * DT
    path = generate_case(
        folder / "pot.ofx.parquet",
        hs=2.0,
        tp=8.0,
        heading=0.0,
        current=0.0,
        duration=duration,
        dt=DT,
        nodes=3,
        seed=1,
        build_up=0.0,
    )
    table = pq.read_table(path)
    assert table.num_rows == rows, table.num_rows
    series = np.full(rows, THRESHOLD - 100.0)
    series[GAP // 2 :: GAP][: len(excess)] = THRESHOLD + np.asarray(excess)
    name = column_name("Riser", TENSION, END_A)
    index = table.schema.get_field_index(name)
    table = table.set_column(index, table.schema.field(index), pa.array(series))
    pq.write_table(table, path)
    return path, series


def _fit(
    path: Path, model: str, threshold: float = THRESHOLD, period: float = 0.0, tail: Any = None
) -> Any:
    extremes = open_archive(path)["Riser"].ExtremeStatistics(TENSION, None, ofx.oeEndA)
    extremes.Fit(LikelihoodStatisticsSpecification(DISTRIBUTIONS[model], threshold, period, tail))
    return extremes


@pytest.mark.parametrize("model", ["gpd", "weibull"])
def test_fit_matches_scipy_and_closed_forms(tmp_path: Path, model: str) -> None:
    excess = _excess(model, 200, seed=7)
    path, series = _archive_with(tmp_path, excess)
    answer = _fit(path, model).Query(LikelihoodStatisticsQuery(HOURS, 95))
    sigma, xi = scipy_fit(model, excess)
    assert answer.Sigma == pytest.approx(sigma, rel=1e-3)
    assert answer.Xi == pytest.approx(xi, rel=1e-3, abs=1e-4)
    # ofxpost's optimum is at least as good as scipy's (by scipy's own likelihood)
    assert scipy_nll(model, answer.Sigma, answer.Xi, excess) <= (
        scipy_nll(model, sigma, xi, excess) + 1e-7
    )
    # the storm return level: 1 - F(y) = 1 / (rate * D), rate = peaks per second
    rate = len(excess) / ((len(series) - 1) * DT)
    peaks = rate * HOURS * 3600.0
    expected = THRESHOLD + return_excess(model, answer.Sigma, answer.Xi, peaks)
    assert answer.ReturnLevel == pytest.approx(expected, rel=1e-9)
    scipy_level = THRESHOLD + return_excess(model, sigma, xi, peaks)
    assert answer.ReturnLevel - THRESHOLD == pytest.approx(scipy_level - THRESHOLD, rel=2e-3)
    # the most probable storm maximum: the mode of exp(-N (1 - F(y))), searched
    mode = mode_excess_by_search(model, answer.Sigma, answer.Xi, peaks)
    assert answer.MostProbableExtremeValue - THRESHOLD == pytest.approx(mode, rel=1e-6)
    # standard errors and the delta-method interval from an independent Hessian
    cov = covariance_by_hand(model, answer.Sigma, answer.Xi, excess)
    assert answer.SigmaStdError == pytest.approx(math.sqrt(cov[0, 0]), rel=1e-3)
    assert answer.XiStdError == pytest.approx(math.sqrt(cov[1, 1]), rel=1e-3)
    h = 1e-6
    grad = np.array(
        [
            (
                return_excess(model, answer.Sigma * (1 + h), answer.Xi, peaks)
                - return_excess(model, answer.Sigma * (1 - h), answer.Xi, peaks)
            )
            / (2 * h * answer.Sigma),
            (
                return_excess(model, answer.Sigma, answer.Xi + h, peaks)
                - return_excess(model, answer.Sigma, answer.Xi - h, peaks)
            )
            / (2 * h),
        ]
    )
    half = 1.959963984540054 * math.sqrt(float(grad @ cov @ grad))
    interval = answer.ConfidenceInterval
    assert answer.ReturnLevel - interval.Lower == pytest.approx(half, rel=1e-3)
    assert interval.Upper - answer.ReturnLevel == pytest.approx(half, rel=1e-3)
    assert math.isnan(answer.ExtremeValueWithRiskFactor)


def test_gpd_standard_errors_follow_the_asymptotic_covariance() -> None:
    # Smith (1984): n·Cov(σ, ξ) -> (1 + ξ)·[[2σ², σ], [σ, 1 + ξ]] for ξ > -1/2
    excess = _excess("gpd", 4000, seed=3)
    series = np.zeros(GAP * excess.size)
    series[::GAP] = THRESHOLD + excess
    extremes = ExtremeStatistics(series, DT)
    extremes.Fit(LikelihoodStatisticsSpecification(ofx.ExtremeValueDistribution.GPD, THRESHOLD, 0))
    answer = extremes.Query(LikelihoodStatisticsQuery(HOURS, 95))
    n, s, x = excess.size, answer.Sigma, answer.Xi
    assert answer.SigmaStdError == pytest.approx(math.sqrt(2 * s * s * (1 + x) / n), rel=0.1)
    assert answer.XiStdError == pytest.approx(math.sqrt((1 + x) ** 2 / n), rel=0.1)
    assert s == pytest.approx(40.0, rel=0.1) and x == pytest.approx(0.15, abs=0.06)


def test_declustering_keeps_the_largest_of_each_cluster() -> None:
    # bursts of three exceedances 1 s apart, bursts 20 s apart; a 5 s decluster period
    rng = np.random.default_rng(11)
    times = np.arange(0.0, 2000.0, 0.5)
    series = np.zeros(times.size)
    for start in np.arange(10.0, 1990.0, 20.0):
        for offset in (0.0, 1.0, 2.0):
            series[int((start + offset) / 0.5)] = THRESHOLD + 30.0 * rng.weibull(1.5)
    peaks = cluster_peaks_by_hand(list(times), list(series), THRESHOLD, 5.0, 0.5)
    assert len(peaks) == 99
    excess = [p - THRESHOLD for p in peaks]
    extremes = ExtremeStatistics(series, 0.5)
    spec = LikelihoodStatisticsSpecification(ofx.ExtremeValueDistribution.Weibull, THRESHOLD, 5.0)
    extremes.Fit(spec)
    answer = extremes.Query(LikelihoodStatisticsQuery(1.0, 90))
    sigma, xi = scipy_fit("weibull", excess)
    assert answer.Sigma == pytest.approx(sigma, rel=1e-3)
    assert answer.Xi == pytest.approx(xi, rel=1e-3)
    rate = len(peaks) / (times[-1] - times[0])
    expected = return_excess("weibull", answer.Sigma, answer.Xi, rate * 3600.0)
    assert answer.ReturnLevel == pytest.approx(THRESHOLD + expected, rel=1e-9)
    # a 0.5 s period splits each burst in three (its exceedances are 1 s >= 0.5 s apart)
    extremes.Fit(
        LikelihoodStatisticsSpecification(ofx.ExtremeValueDistribution.Weibull, THRESHOLD, 0.5)
    )
    split = cluster_peaks_by_hand(list(times), list(series), THRESHOLD, 0.5, 0.5)
    assert len(split) == 297
    sigma, xi = scipy_fit("weibull", [p - THRESHOLD for p in split])
    assert extremes.Query(LikelihoodStatisticsQuery(1.0, 90)).Sigma == pytest.approx(
        sigma, rel=1e-3
    )


@pytest.mark.parametrize("model", ["gpd", "weibull"])
def test_lower_tail_mirrors_the_upper(tmp_path: Path, model: str) -> None:
    excess = _excess(model, 60, seed=5)
    series = np.zeros(GAP * excess.size)
    series[::GAP] = THRESHOLD + excess
    upper = ExtremeStatistics(series, DT)
    upper.Fit(LikelihoodStatisticsSpecification(DISTRIBUTIONS[model], THRESHOLD, 0))
    lower = ExtremeStatistics(-series, DT)
    lower.Fit(
        LikelihoodStatisticsSpecification(
            DISTRIBUTIONS[model], -THRESHOLD, 0, ofx.DistributionTail.Lower
        )
    )
    query = LikelihoodStatisticsQuery(HOURS, 80)
    up, down = upper.Query(query), lower.Query(query)
    assert down.ReturnLevel == pytest.approx(-up.ReturnLevel, rel=1e-9)
    assert down.MostProbableExtremeValue == pytest.approx(-up.MostProbableExtremeValue, rel=1e-9)
    assert down.ConfidenceInterval.Lower == pytest.approx(-up.ConfidenceInterval.Upper, rel=1e-9)
    assert down.Sigma == pytest.approx(up.Sigma, rel=1e-9)


def test_too_few_peaks_unknown_distribution_and_bad_period(tmp_path: Path) -> None:
    excess = _excess("gpd", 9, seed=1)  # nine clusters: one short of the ten needed
    path, _ = _archive_with(tmp_path, excess)
    with pytest.raises(ofx.DLLError) as info:
        _fit(path, "gpd")
    assert info.value.status == ofx.StatusCode.ExtremeStatisticsFailed
    text = info.value.errorString
    assert "9 cluster peak(s) above the threshold 500" in text and "Riser" in text
    riser = open_archive(path)["Riser"]
    extremes = riser.ExtremeStatistics(TENSION, None, ofx.oeEndA)
    with pytest.raises(ofx.DLLError, match="unknown extreme-value distribution 7"):
        extremes.Fit(LikelihoodStatisticsSpecification(7, THRESHOLD, 0))
    with pytest.raises(ofx.DLLError, match=r"decluster period must be >= 0 s, not -1"):
        extremes.Fit(LikelihoodStatisticsSpecification(ofx.ExtremeValueDistribution.GPD, 0, -1))
    with pytest.raises(ofx.DLLError, match=r"Fit\(\.\.\.\) before Query"):
        extremes.Query(LikelihoodStatisticsQuery(3, 95))


def test_a_short_storm_and_a_bad_confidence_level_give_nan() -> None:
    excess = _excess("gpd", 50, seed=2)
    series = np.zeros(GAP * excess.size)
    series[::GAP] = THRESHOLD + excess
    extremes = ExtremeStatistics(series, DT)
    extremes.Fit(LikelihoodStatisticsSpecification(ofx.ExtremeValueDistribution.GPD, THRESHOLD, 0))
    # 50 peaks in 49.8 s: a 0.5 s storm has fewer than one peak
    short = extremes.Query(LikelihoodStatisticsQuery(0.5 / 3600, 95))
    assert math.isnan(short.ReturnLevel) and math.isnan(short.MostProbableExtremeValue)
    odd = extremes.Query(LikelihoodStatisticsQuery(3, 100))
    assert math.isfinite(odd.ReturnLevel) and math.isnan(odd.ConfidenceInterval.Lower)
