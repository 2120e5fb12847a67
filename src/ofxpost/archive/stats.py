"""Statistics of sampled results, as the archive reader computes them.

OrcaFlex computes these in its DLL; the formulas here are documented
re-implementations (``docs/archive-format.md``), checked against plain numpy in
the tests -- not against OrcaFlex output.
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


def time_series_statistics(values: Any, sample_interval: float) -> dict[str, float]:
    """``Mean, StdDev, m0, m2, m4, Tz, Tc, Bandwidth, RMS`` of equally spaced samples.

    * ``Mean`` = mean(x); ``StdDev`` = population standard deviation (divide by n);
    * spectral moments in cycles per second (Hz): ``m0`` = StdDev²,
      ``m2`` = var(x′)/(2π)², ``m4`` = var(x″)/(2π)⁴, where x′ = diff(x)/dt and
      x″ = diff(x, 2)/dt² (population variances);
    * ``Tz`` = √(m0/m2) (mean zero up-crossing period), ``Tc`` = √(m2/m4) (mean
      crest period), ``Bandwidth`` = √(1 − m2²/(m0·m4));
    * ``RMS`` = √mean(x²).

    Undefined values (fewer than 3 samples, a constant signal) are NaN.
    """
    x = as_values(values)
    dt = float(sample_interval)
    mean = float(x.mean()) if x.size else math.nan
    m0 = _variance(x)
    two_pi = 2.0 * math.pi
    m2 = _variance(np.diff(x) / dt) / two_pi**2 if x.size >= 2 and dt > 0 else math.nan
    m4 = _variance(np.diff(x, 2) / dt**2) / two_pi**4 if x.size >= 3 and dt > 0 else math.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        tz = math.sqrt(m0 / m2) if m2 > 0 else math.nan
        tc = math.sqrt(m2 / m4) if m4 > 0 else math.nan
        ratio = m2 * m2 / (m0 * m4) if m0 > 0 and m4 > 0 else math.nan
    bandwidth = math.sqrt(max(0.0, 1.0 - ratio)) if not math.isnan(ratio) else math.nan
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
