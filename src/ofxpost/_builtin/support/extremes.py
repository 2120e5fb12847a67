"""Storm extremes of a time history: the ``mpm`` and ``return_level*`` statistics.

==========================  ===================================================
``mpm``                     the most probable largest (``tail: lower``:
                            smallest) value in a storm of ``storm_duration``
                            hours, by ``extreme_model``
``return_level``            the level exceeded on average once in the storm
                            (``weibull``/``gpd`` only)
``return_level_lower``,     the bounds of its ``confidence_level`` % confidence
``return_level_upper``      interval (delta method; ``weibull``/``gpd`` only)
==========================  ===================================================

``extreme_model`` is ``rayleigh`` (default: ``mean ± σ·√(2·ln(D/Tz))``, Orcina's
Rayleigh formula, see :func:`most_probable_maximum`) or a peaks-over-threshold fit
``weibull``/``gpd`` of the cluster peaks beyond ``threshold`` (declustered with
``decluster_period`` seconds), whose definitions are in
:mod:`ofxpost._ofx.likelihood`. The fits import scipy when first made, in the
worker that makes them, never at import.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from ofxpost._ofx.stats import FloatArray

ExtremeModelName = Literal["rayleigh", "weibull", "gpd"]
"""The ``extreme_model`` of a column."""
Tail = Literal["upper", "lower"]
"""Which extremes are analysed: maxima (``upper``) or minima (``lower``)."""
EXTREME_STATISTICS: tuple[str, ...] = (
    "mpm",
    "return_level",
    "return_level_lower",
    "return_level_upper",
)
"""The storm-extreme statistics (time histories only)."""
LIKELIHOOD_STATISTICS: tuple[str, ...] = EXTREME_STATISTICS[1:]
"""The statistics only a ``weibull``/``gpd`` fit gives."""
INTERVAL_STATISTICS: tuple[str, ...] = ("return_level_lower", "return_level_upper")
"""The statistics that use ``confidence_level``."""
STORM_DURATION_HOURS = 3.0
"""Default storm duration, in hours (a 3-hour sea state)."""
CONFIDENCE_LEVEL = 95.0
"""Default confidence level of ``return_level_lower``/``_upper``, in percent."""


@dataclass(frozen=True)
class ExtremeModel:
    """How a column's storm extreme is estimated (the column's keys, validated)."""

    model: ExtremeModelName = "rayleigh"
    """``rayleigh``, ``weibull`` or ``gpd``."""
    threshold: float | None = None
    """``weibull``/``gpd``: the threshold, in the variable's units (after ``transform``)."""
    decluster_period: float | None = None
    """``weibull``/``gpd``: the shortest gap between clusters, in seconds (default 0)."""
    confidence_level: float = CONFIDENCE_LEVEL
    """``return_level_lower``/``_upper``: the confidence level in percent."""
    tail: Tail = "upper"
    """``upper`` (maxima) or ``lower`` (minima)."""


def most_probable_maximum(mean: float, sigma: float, tz: float, duration_s: float) -> float:
    """Rayleigh most probable maximum: ``mean + σ·√(2·ln(D/Tz))``.

    ``D/Tz`` is the number of cycles in the storm; fewer than one cycle (or an
    undefined ``Tz``) gives NaN. A negative ``sigma`` gives the most probable minimum.
    """
    if not (tz > 0) or not (duration_s > tz):
        return float("nan")
    return mean + sigma * math.sqrt(2.0 * math.log(duration_s / tz))


def storm_extreme(
    data: FloatArray,
    statistic: str,
    interval: float,
    storm_duration: float | None = None,
    extremes: ExtremeModel | None = None,
) -> float:
    """One storm-extreme statistic of evenly sampled ``data``.

    :param data: the samples.
    :param statistic: one of :data:`EXTREME_STATISTICS`.
    :param interval: the sample interval (s).
    :param storm_duration: the storm duration in hours (default 3).
    :param extremes: the model (default Rayleigh, upper tail).
    :raises ValueError: a likelihood statistic of the Rayleigh model, a missing
        threshold, or a fit that cannot be made (too few peaks: the message names
        the threshold).
    """
    settings = extremes or ExtremeModel()
    duration = (STORM_DURATION_HOURS if storm_duration is None else storm_duration) * 3600.0
    lower = settings.tail == "lower"
    if settings.model == "rayleigh":
        if statistic != "mpm":
            raise ValueError(f"statistic {statistic!r} needs extreme_model weibull or gpd")
        from ofxpost._ofx.stats import time_series_statistics

        found = time_series_statistics(data, interval)
        sigma = -found["StdDev"] if lower else found["StdDev"]
        return most_probable_maximum(found["Mean"], sigma, found["Tz"], duration)
    if settings.threshold is None:
        raise ValueError(f"extreme_model {settings.model!r} needs a 'threshold'")
    from ofxpost._ofx.likelihood import fit_tail

    fit = fit_tail(
        data,
        interval,
        settings.model,
        settings.threshold,
        settings.decluster_period,
        lower,
        "samples",
    )
    if statistic == "mpm":
        return fit.most_probable(duration)
    if statistic == "return_level":
        return fit.return_level(duration)
    bounds = fit.confidence_interval(duration, settings.confidence_level)
    value = bounds[0] if statistic == "return_level_lower" else bounds[1]
    return value if math.isfinite(value) else math.nan
