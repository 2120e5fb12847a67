"""Statistics: one number from a time history or a range-graph curve, and across files.

Statistic names (the ``statistic`` key of a column):

==================  ===========================================================
``max``, ``min``    largest / smallest value
``mean``            arithmetic mean
``std``             population standard deviation (``ddof=0``, as OrcaFlex)
``abs_max``         largest absolute value
``rms``             root mean square
``time_of_max``     time of the (first) largest value -- time histories only
``time_of_min``     time of the (first) smallest value -- time histories only
``arc_length_of_max``, ``arc_length_of_min``
                    arc length of the largest / smallest value -- range graphs only
``pNN``, ``pNN.N``  percentile NN (0-100), numpy's linear interpolation
``tz``              mean up-crossing period (s), Orcina's definition -- time histories only
``tc``              mean crest period (s), Orcina's definition -- time histories only
``mpm``             most probable maximum over a storm of ``storm_duration`` hours:
                    Rayleigh ``mean + σ·√(2·ln(D/Tz))`` (narrow band) by default,
                    or a Weibull/GPD peaks-over-threshold fit -- time histories only
``return_level``,   the storm return level of a Weibull/GPD fit and its confidence
``return_level_lower``, ``return_level_upper``
                    bounds -- time histories only
==================  ===========================================================

``tz``, ``tc`` and the storm extremes need the sample times (a constant sample
interval is taken from them); ``tz``/``tc`` follow
:func:`ofxpost._ofx.stats.time_series_statistics`, the storm extremes
:mod:`ofxpost._builtin.support.extremes`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Annotated, Any

from pydantic import AfterValidator

from ofxpost._builtin.support.extremes import EXTREME_STATISTICS, ExtremeModel, storm_extreme
from ofxpost._builtin.support.numpy import np
from ofxpost._builtin.support.pandas import pd

BASIC_STATISTICS: tuple[str, ...] = ("max", "min", "mean", "std", "abs_max", "rms")
"""Statistics valid for time histories and range-graph curves alike."""
TIME_STATISTICS: tuple[str, ...] = ("time_of_max", "time_of_min", "tz", "tc", *EXTREME_STATISTICS)
"""Statistics that only a time history has."""
ARC_STATISTICS: tuple[str, ...] = ("arc_length_of_max", "arc_length_of_min")
"""Statistics that only a range graph has."""
PERIOD_STATISTICS: tuple[str, ...] = ("tz", "tc")
"""Time-history statistics that are periods (units: s)."""
_PERCENTILE = re.compile(r"^p(\d{1,3}(?:\.\d+)?)$")


def percentile_of(statistic: str) -> float | None:
    """The percentile of a ``pNN`` statistic, or ``None`` for any other name."""
    match = _PERCENTILE.match(statistic)
    return float(match.group(1)) if match else None


def check_statistic(value: str) -> str:
    """Validate a statistic name (pydantic after-validator)."""
    known = (*BASIC_STATISTICS, *TIME_STATISTICS, *ARC_STATISTICS)
    if value in known:
        return value
    pct = percentile_of(value)
    if pct is not None:
        if 0.0 <= pct <= 100.0:
            return value
        raise ValueError(f"percentile {value!r} is outside p0-p100")
    raise ValueError(
        f"unknown statistic {value!r}: expected one of {', '.join(known)} or pNN (e.g. p95, p99.9)"
    )


Statistic = Annotated[str, AfterValidator(check_statistic)]
"""A validated statistic name."""


def sample_interval(times: Any) -> float:
    """The constant sample interval of ``times`` (s).

    :raises ValueError: for fewer than two samples or uneven sampling.
    """
    axis = np.asarray(times, dtype=float).ravel()
    if axis.size < 2:
        raise ValueError("fewer than two samples: no sample interval")
    steps = np.diff(axis)
    dt = float(np.mean(steps))
    if dt <= 0 or float(np.max(np.abs(steps - dt))) > 1e-6 * dt + 1e-9:
        raise ValueError("the samples are not evenly spaced in time")
    return dt


def evaluate(
    values: Any,
    statistic: str,
    axis_values: Any = None,
    storm_duration: float | None = None,
    extremes: ExtremeModel | None = None,
) -> float:
    """Reduce ``values`` to one number with ``statistic``.

    :param values: 1-D samples (a time history, or a range-graph curve).
    :param statistic: a validated statistic name.
    :param axis_values: times (``time_of_*``, ``tz``, ``tc``, storm extremes) or arc
        lengths (``arc_length_of_*``) matching ``values``.
    :param storm_duration: storm extremes only: the storm duration in hours (default 3).
    :param extremes: storm extremes only: the model (default Rayleigh, upper tail).
    :raises ValueError: for an empty sample, a missing axis or a fit that cannot be made.
    """
    data = np.asarray(values, dtype=float).ravel()
    if data.size == 0:
        raise ValueError("no samples in the requested period/range")
    if statistic == "max":
        return float(np.max(data))
    if statistic == "min":
        return float(np.min(data))
    if statistic == "mean":
        return float(np.mean(data))
    if statistic == "std":
        return float(np.std(data))
    if statistic == "abs_max":
        return float(np.max(np.abs(data)))
    if statistic == "rms":
        return float(np.sqrt(np.mean(np.square(data))))
    if statistic in ("tz", "tc", *EXTREME_STATISTICS):
        if axis_values is None:
            raise ValueError(f"statistic {statistic!r} needs the sample times")
        interval = sample_interval(axis_values)
        if statistic in EXTREME_STATISTICS:
            return storm_extreme(data, statistic, interval, storm_duration, extremes)
        from ofxpost._ofx.stats import time_series_statistics

        found = time_series_statistics(data, interval)
        return float(found["Tz"] if statistic == "tz" else found["Tc"])
    if statistic in (*TIME_STATISTICS, *ARC_STATISTICS):
        if axis_values is None:
            raise ValueError(f"statistic {statistic!r} needs the sample axis")
        axis = np.asarray(axis_values, dtype=float).ravel()
        if axis.size != data.size:
            raise ValueError(f"{axis.size} axis values for {data.size} samples")
        at = int(np.argmax(data)) if statistic.endswith("_max") else int(np.argmin(data))
        return float(axis[at])
    pct = percentile_of(statistic)
    if pct is None:
        raise ValueError(f"unknown statistic {statistic!r}")
    return float(np.percentile(data, pct, method="linear"))


ACROSS_FILES: tuple[str, ...] = ("min", "max", "mean", "std")
"""Across-file statistics, in row order."""


def numeric_columns(frame: pd.DataFrame, columns: Sequence[str]) -> list[str]:
    """Those of ``columns`` holding numbers (not booleans)."""
    out = []
    for name in columns:
        series = frame[name]
        if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
            out.append(name)
    return out


def across_files(
    frame: pd.DataFrame,
    columns: Sequence[str],
    statistics: Sequence[str] = ACROSS_FILES,
    keys: Sequence[str] = (),
) -> pd.DataFrame:
    """Statistics of ``columns`` over the rows of ``frame`` (one row per statistic).

    ``std`` is the sample standard deviation (``ddof=1``) of the per-file values;
    missing values (failed files or columns) are skipped. With ``keys``, the
    statistics are taken within each group of equal key values (in first-seen
    order) and the key values lead each row.
    """
    wanted = [s for s in ACROSS_FILES if s in statistics]
    out_columns = [*keys, "statistic", *columns]
    rows: list[dict[str, Any]] = []
    if keys:
        groups = [(k, g) for k, g in frame.groupby(list(keys), sort=False, dropna=False)]
    else:
        groups = [((), frame)]
    for key, group in groups:
        key_values = key if isinstance(key, tuple) else (key,)
        values = {  # each column's numbers once, for every statistic
            name: pd.to_numeric(group[name], errors="coerce").astype(float).dropna()
            for name in columns
        }
        for statistic in wanted:
            row: dict[str, Any] = dict(zip(keys, key_values, strict=True))
            row["statistic"] = statistic
            for name in columns:
                series = values[name]
                if series.empty:
                    row[name] = np.nan
                elif statistic == "min":
                    row[name] = float(series.min())
                elif statistic == "max":
                    row[name] = float(series.max())
                elif statistic == "mean":
                    row[name] = float(series.mean())
                else:
                    row[name] = float(series.std(ddof=1)) if series.size > 1 else np.nan
            rows.append(row)
    result = pd.DataFrame(rows, columns=out_columns)
    for name in columns:
        result[name] = result[name].astype(float)
    return result
