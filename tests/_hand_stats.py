"""Statistics counted by hand (plain Python loops), to check ofxpost's numpy code."""

from __future__ import annotations

import math
from collections.abc import Sequence


def tz_by_hand(times: Sequence[float], x: Sequence[float]) -> float:
    """Mean time between up-crossings of the mean (crossing times interpolated)."""
    mean = sum(x) / len(x)
    ups = []
    for i in range(len(x) - 1):
        if x[i] < mean <= x[i + 1]:
            ups.append(times[i] + (mean - x[i]) / (x[i + 1] - x[i]) * (times[i + 1] - times[i]))
    return (ups[-1] - ups[0]) / (len(ups) - 1) if len(ups) > 1 else math.nan


def tc_by_hand(times: Sequence[float], x: Sequence[float]) -> float:
    """Mean time between local maxima (a run of equal samples counts once, first sample)."""
    runs: list[tuple[float, float]] = []
    for t, v in zip(times, x, strict=True):
        if not runs or v != runs[-1][1]:
            runs.append((t, v))
    crests = [
        runs[i][0]
        for i in range(1, len(runs) - 1)
        if runs[i][1] > runs[i - 1][1] and runs[i][1] > runs[i + 1][1]
    ]
    return (crests[-1] - crests[0]) / (len(crests) - 1) if len(crests) > 1 else math.nan


def mean_std_by_hand(x: Sequence[float]) -> tuple[float, float]:
    """Mean and population standard deviation."""
    mean = sum(x) / len(x)
    return mean, math.sqrt(sum((v - mean) ** 2 for v in x) / len(x))
