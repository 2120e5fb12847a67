"""Statistics of sampled results, as OrcFxAPI's statistics functions give them.

The archive reader and the pure-Python OrcFxAPI names (:mod:`ofxpost._ofx.fallback`:
``TimeSeriesStatistics``, ``AnalyseExtrema``) both compute them here; this module
imports only numpy, and sits below both (``docs/architecture.md``, "Layers").

OrcaFlex computes these in its DLL; the formulas here follow Orcina's documented
definitions (``docs/archive-format.md``) and are checked against hand counts and
plain numpy in the tests -- not against OrcaFlex output.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


def as_values(values: Any) -> FloatArray:
    """``values`` as a 1-D float64 array."""
    return np.ascontiguousarray(np.asarray(values, dtype=np.float64).ravel())


def _variance(values: FloatArray) -> float:
    if values.size == 0:
        return math.nan
    return float(np.mean((values - values.mean()) ** 2))


def mean_up_crossings(values: Any, sample_interval: float) -> FloatArray:
    """Times (s from the first sample) of the up-crossings of the mean of ``values``.

    An up-crossing lies between samples ``i`` and ``i+1`` when
    ``x[i] < mean <= x[i+1]``; its time is interpolated linearly between them.
    """
    x = as_values(values)
    if x.size < 2:
        return np.empty(0, dtype=np.float64)
    mean = float(x.mean())
    below = x[:-1] < mean
    at_or_above = x[1:] >= mean
    where = np.flatnonzero(below & at_or_above)
    rise = x[where + 1] - x[where]
    fraction = (mean - x[where]) / rise
    return (where + fraction) * float(sample_interval)


def local_maxima(values: Any, sample_interval: float) -> FloatArray:
    """Times (s from the first sample) of the local maxima of ``values``.

    A local maximum is a sample higher than its neighbours; a run of equal
    samples counts once, at its first sample, when it is higher than the samples
    on both sides of the run. The first and last samples are never maxima.
    """
    x = as_values(values)
    if x.size < 3:
        return np.empty(0, dtype=np.float64)
    keep = np.concatenate([[True], np.diff(x) != 0])
    index = np.flatnonzero(keep)  # first sample of each run of equal values
    runs = x[index]
    peaks = np.flatnonzero((runs[1:-1] > runs[:-2]) & (runs[1:-1] > runs[2:])) + 1
    return index[peaks].astype(np.float64) * float(sample_interval)


def _mean_gap(times: FloatArray) -> float:
    """Mean time between successive events (NaN for fewer than two)."""
    if times.size < 2:
        return math.nan
    return float(times[-1] - times[0]) / float(times.size - 1)


def time_series_statistics(values: Any, sample_interval: float) -> dict[str, float]:
    """``Mean, StdDev, m0, m2, m4, Tz, Tc, Bandwidth, RMS`` as Orcina defines them.

    Orcina's definitions (OrcaFlex help, "Results: Linked statistics"):

    * ``Mean`` = mean(x); ``StdDev`` = σ, the **population** standard deviation
      (divide by n; Orcina does not say n or n−1, ofxpost uses n);
    * ``Tz``, the mean up-crossing period: the mean time between successive
      up-crossings of the mean (:func:`mean_up_crossings`; (last − first) /
      (count − 1));
    * ``Tc``, the mean crest period: the mean time between successive local
      maxima (:func:`local_maxima`);
    * ``m0`` = σ², ``m2`` = m0 / Tz², ``m4`` = m2 / Tc² (spectral moments in Hz);
    * ``Bandwidth`` = √(1 − m2²/(m0·m4)) = √(1 − (Tc/Tz)²);
    * ``RMS`` = √mean(x²).

    Undefined values (fewer than two up-crossings or maxima, a constant signal)
    are NaN.
    """
    x = as_values(values)
    dt = float(sample_interval)
    mean = float(x.mean()) if x.size else math.nan
    m0 = _variance(x)
    tz = _mean_gap(mean_up_crossings(x, dt)) if dt > 0 else math.nan
    tc = _mean_gap(local_maxima(x, dt)) if dt > 0 else math.nan
    m2 = m0 / (tz * tz) if tz > 0 else math.nan
    m4 = m2 / (tc * tc) if tc > 0 and not math.isnan(m2) else math.nan
    bandwidth = math.sqrt(max(0.0, 1.0 - (tc / tz) ** 2)) if tz > 0 and tc > 0 else math.nan
    rms = float(np.sqrt(np.mean(x * x))) if x.size else math.nan
    return {
        "Mean": mean,
        "StdDev": math.sqrt(m0) if not math.isnan(m0) else math.nan,
        "m0": m0,
        "m2": m2,
        "m4": m4,
        "Tz": tz,
        "Tc": tc,
        "Bandwidth": bandwidth,
        "RMS": rms,
    }


def analyse_extrema(values: Any) -> dict[str, Any]:
    """``Min, Max, IndexOfMin, IndexOfMax`` (0-based, first occurrence) of ``values``."""
    x = as_values(values)
    if x.size == 0:
        raise ValueError("no samples to analyse")
    low = int(np.argmin(x))
    high = int(np.argmax(x))
    return {"Min": float(x[low]), "Max": float(x[high]), "IndexOfMin": low, "IndexOfMax": high}


def range_statistics(block: FloatArray) -> dict[str, FloatArray]:
    """``Min, Max, Mean, StdDev`` (population) over the rows of ``block``, per column."""
    if block.shape[0] == 0:
        nan = np.full(block.shape[1], np.nan)
        return {"Min": nan, "Max": nan.copy(), "Mean": nan.copy(), "StdDev": nan.copy()}
    return {
        "Min": block.min(axis=0),
        "Max": block.max(axis=0),
        "Mean": block.mean(axis=0),
        "StdDev": block.std(axis=0),
    }


def linked_query(times: FloatArray, primary: FloatArray, linked: FloatArray) -> dict[str, float]:
    """OrcFxAPI ``LinkedStatistics.Query`` fields for one pair of sampled variables.

    ``ValueAtMax``/``TimeOfMax`` are the first maximum of ``primary``, and
    ``LinkedValueAtMax`` is ``linked`` at that sample (likewise for the minimum);
    ``Mean``/``StdDev`` (population) are of ``primary``.
    """
    if primary.size == 0:
        raise ValueError("no samples in the period")
    high = int(np.argmax(primary))
    low = int(np.argmin(primary))
    return {
        "StdDev": float(primary.std()),
        "Mean": float(primary.mean()),
        "TimeOfMax": float(times[high]),
        "ValueAtMax": float(primary[high]),
        "LinkedValueAtMax": float(linked[high]),
        "TimeOfMin": float(times[low]),
        "ValueAtMin": float(primary[low]),
        "LinkedValueAtMin": float(linked[low]),
    }
