"""``obj.ExtremeStatistics(...)`` on archives: the Rayleigh model against closed forms.

Expected values come from the samples read with pyarrow alone and hand counts of
Tz (:mod:`tests._hand_stats`), never through ofxpost's reader or statistics.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from ofxpost import ofx
from ofxpost._archive import open_archive
from ofxpost._archive.format import END_A, column_name
from ofxpost.archive import (
    LikelihoodStatisticsQuery,
    LikelihoodStatisticsSpecification,
    RayleighStatisticsQuery,
    RayleighStatisticsSpecification,
)
from tests._archive_helpers import small_archive
from tests._hand_stats import mean_std_by_hand, tz_by_hand

__all__ = ["small_archive"]

TENSION = "Effective tension"


def _raw(path: Path) -> tuple[list[float], list[float]]:
    import pyarrow.parquet as pq

    frame = pq.read_table(path).to_pandas()
    start = 0.0  # the whole simulation after the build-up is the period used below
    keep = frame["time"] >= start - 1e-9
    return (
        [float(t) for t in frame["time"][keep]],
        [float(v) for v in frame[column_name("Riser", TENSION, END_A)][keep]],
    )


@pytest.mark.parametrize(("hours", "risk"), [(3.0, 1.0), (0.5, 10.0)])
def test_rayleigh_upper_tail_matches_closed_form(
    small_archive: Path, hours: float, risk: float
) -> None:
    times, x = _raw(small_archive)
    mean, sigma = mean_std_by_hand(x)
    peaks = hours * 3600.0 / tz_by_hand(times, x)
    riser = open_archive(small_archive)["Riser"]
    extremes = riser.ExtremeStatistics(TENSION, ofx.SpecifiedPeriod(0.0, times[-1]), ofx.oeEndA)
    extremes.Fit(RayleighStatisticsSpecification())
    answer = extremes.Query(RayleighStatisticsQuery(StormDurationHours=hours, RiskFactor=risk))
    assert answer.MostProbableExtremeValue == pytest.approx(
        mean + sigma * math.sqrt(2 * math.log(peaks)), rel=1e-9
    )
    # the storm maximum exceeds the risk-factor value with probability risk %:
    # P(max <= v) = (1 - exp(-(v - mean)^2 / (2 sigma^2)))^N = 1 - risk/100
    h = answer.ExtremeValueWithRiskFactor - mean
    assert (1 - math.exp(-(h * h) / (2 * sigma * sigma))) ** peaks == pytest.approx(
        1 - risk / 100, rel=1e-9
    )
    assert answer.Sigma == pytest.approx(sigma, rel=1e-12)
    assert math.isnan(answer.Xi) and math.isnan(answer.ConfidenceInterval.Lower)


def test_rayleigh_lower_tail_mirrors(small_archive: Path) -> None:
    times, x = _raw(small_archive)
    mean, sigma = mean_std_by_hand(x)
    peaks = 3 * 3600.0 / tz_by_hand(times, x)
    riser = open_archive(small_archive)["Riser"]
    extremes = riser.ExtremeStatistics(TENSION, ofx.SpecifiedPeriod(0.0, times[-1]), ofx.oeEndA)
    extremes.Fit(RayleighStatisticsSpecification(ofx.DistributionTail.Lower))
    answer = extremes.Query(RayleighStatisticsQuery(3, 1))
    assert answer.MostProbableExtremeValue == pytest.approx(
        mean - sigma * math.sqrt(2 * math.log(peaks)), rel=1e-9
    )


def test_a_threshold_above_every_sample_and_early_queries_are_refused(
    small_archive: Path,
) -> None:
    # the Weibull/GPD fits themselves are checked in test_likelihood_extremes.py
    riser = open_archive(small_archive)["Riser"]
    extremes = riser.ExtremeStatistics(TENSION, None, ofx.oeEndA)
    with pytest.raises(ofx.DLLError, match=r"Fit\(\.\.\.\) before Query"):
        extremes.Query(RayleighStatisticsQuery(3, 1))
    _, x = _raw(small_archive)
    spec = LikelihoodStatisticsSpecification(ofx.ExtremeValueDistribution.GPD, max(x) + 1, 10.0)
    with pytest.raises(ofx.DLLError, match=r"0 cluster peak\(s\) above the threshold") as info:
        extremes.Fit(spec)
    assert "Riser" in str(info.value) and TENSION in str(info.value)
    assert info.value.status == ofx.StatusCode.ExtremeStatisticsFailed
    assert LikelihoodStatisticsQuery(3, 95).ConfidenceLevel == 95
