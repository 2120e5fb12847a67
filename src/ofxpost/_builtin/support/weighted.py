"""Probability-weighted across-file statistics of the per-file result tables.

When the load matrix has a probability column, :func:`weighted_statistics` weighs
each file's summary values by its load case's probability; the ``load_matrix``
plugin writes the result as ``weighted_statistics.csv`` /
``parquet/weighted_statistics.parquet`` and the workbook shows it as a sheet.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ofxpost._builtin.support import fileinfo
from ofxpost._builtin.support.loadcases import LoadCases, load_cases_or_empty
from ofxpost._builtin.support.numpy import np
from ofxpost._builtin.support.pandas import pd
from ofxpost._builtin.support.tableunits import column_allowables, column_units
from ofxpost.errors import LoadMatrixError

if TYPE_CHECKING:
    from ofxpost._config.model import Config

PROBABILITY_COLUMNS: tuple[str, ...] = ("probability", "prob", "occurrence", "weight")
"""Load-case columns taken as the probability of each case (first found, any case)."""

WEIGHTED_COLUMNS: list[str] = [
    "table",
    "column",
    "unit",
    "files",
    "probability",
    "weighted_mean",
    "weighted_std",
    "allowable_max",
    "allowable_min",
    "exceedance_probability",
]

_NOT_RESULTS = frozenset({"index", "file", "stem", "status", "matched", *fileinfo.FACT_COLUMNS})


def probability_column(columns: Sequence[str]) -> str | None:
    """The load-case probability column among ``columns`` (see :data:`PROBABILITY_COLUMNS`)."""
    lowered = {str(c).lower(): str(c) for c in columns}
    for name in PROBABILITY_COLUMNS:
        if name in lowered:
            return lowered[name]
    return None


def check_probabilities(cases: LoadCases, units: str, tolerance: float, where: str) -> None:
    """The matrix's probabilities (when it has a probability column) are numbers
    ``>= 0`` that sum to 1 (``units="fraction"``) or 100 (``"percent"``) within
    ``tolerance`` (as a fraction): a plan-time check, so a percent matrix read as
    fractions never scales a result by 100.

    :raises LoadMatrixError: naming the matrix, the column, the sum and the fix.
    """
    column = probability_column(cases.columns)
    if column is None or not cases.rows:
        return
    position = list(cases.columns).index(column)
    values: list[float] = []
    for key, row in zip(cases.keys, cases.rows, strict=True):
        value = row[position]
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = math.nan
        if not math.isfinite(number) or number < 0:
            raise LoadMatrixError(
                f"load matrix {where}: row {key!r}: {column!r} is {value!r}, not a "
                "probability (a number >= 0)"
            )
        values.append(number)
    total = math.fsum(values)
    scale = 0.01 if units == "percent" else 1.0
    if abs(total * scale - 1.0) <= tolerance:
        return
    hint = ""
    if units == "fraction" and abs(total / 100.0 - 1.0) <= tolerance:
        hint = "; they look like percentages: set load_matrix.probability_units: percent"
    elif units == "percent" and abs(total - 1.0) <= tolerance:
        hint = "; they look like fractions: remove load_matrix.probability_units: percent"
    raise LoadMatrixError(
        f"load matrix {where}: the {column!r} values of its {len(values)} rows sum to "
        f"{total:.10g}, not {1.0 / scale:g} ({units}, tolerance {tolerance:g}){hint}"
    )


def probability_scale(config: Config | None) -> float:
    """The factor that turns the load matrix's probabilities into fractions (0.01 for
    ``probability_units: percent``, else 1)."""
    if config is None:
        return 1.0
    try:
        section = config.section("load_matrix")
    except KeyError:
        return 1.0
    return 0.01 if getattr(section, "probability_units", "fraction") == "percent" else 1.0


def weighted_statistics(
    tables: Mapping[str, pd.DataFrame], case_columns: Sequence[str], scale: float = 1.0
) -> pd.DataFrame | None:
    """Probability-weighted across-file statistics of per-file result tables.

    The probability is the load-case column (one of ``case_columns``, the load
    matrix's columns) that :func:`probability_column` picks; a result column
    that happens to be called ``weight`` is never taken for it. For each table
    holding that column and each numeric result column (not the file, status,
    model-fact or load-case columns, not booleans): over the files with a value and a probability,
    ``probability`` = Σp (``p`` the matrix's value times ``scale``, which turns
    percentages into fractions), ``weighted_mean`` = Σp·x/Σp, ``weighted_std`` =
    √(Σp·(x − mean)²/Σp); with an allowable (``df.attrs["ofxpost.allowable"]``),
    ``exceedance_probability`` = Σp of the files beyond it (above ``max`` or below
    ``min``; empty, not 0, when no file has a value and a probability). ``None`` when
    no table has probabilities.
    """
    rows: list[dict[str, Any]] = []
    seen = False
    skip = _NOT_RESULTS | {str(c) for c in case_columns}
    column = probability_column([str(c) for c in case_columns])
    if column is None:
        return None
    for name in sorted(tables):
        frame = tables[name]
        if column not in frame.columns:
            continue
        seen = True
        weights = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float) * scale
        units = column_units(frame)
        limits = column_allowables(frame)
        for label in frame.columns:
            label = str(label)
            series = frame[label]
            if label in skip or label == column:
                continue
            if pd.api.types.is_bool_dtype(series) or not pd.api.types.is_numeric_dtype(series):
                continue
            values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
            usable = np.isfinite(values) & np.isfinite(weights) & (weights >= 0)
            p, x = weights[usable], values[usable]
            total = float(p.sum())
            mean = float((p * x).sum() / total) if total > 0 else np.nan
            std = float(np.sqrt((p * (x - mean) ** 2).sum() / total)) if total > 0 else np.nan
            limit = limits.get(label, {})
            high, low = limit.get("max"), limit.get("min")
            if limit and total > 0:
                beyond = np.zeros(x.shape, dtype=bool)
                if high is not None:
                    beyond |= x > high
                if low is not None:
                    beyond |= x < low
                exceed = float(p[beyond].sum())
            else:
                exceed = np.nan
            rows.append(
                {
                    "table": name,
                    "column": label,
                    "unit": units.get(label),
                    "files": int(usable.sum()),
                    "probability": total,
                    "weighted_mean": mean,
                    "weighted_std": std,
                    "allowable_max": high,
                    "allowable_min": low,
                    "exceedance_probability": exceed,
                }
            )
    if not seen:
        return None
    frame = pd.DataFrame(rows, columns=WEIGHTED_COLUMNS)
    for name in ("allowable_max", "allowable_min", "exceedance_probability"):
        frame[name] = frame[name].astype(float)
    return frame


WEIGHTED_TABLE = "weighted_statistics"
"""File name (``weighted_statistics.csv``, ``parquet/weighted_statistics.parquet``)
and workbook sheet of the probability-weighted statistics."""


def per_file_tables(tables: Mapping[str, pd.DataFrame], config: Config) -> dict[str, pd.DataFrame]:
    """The per-file result tables weighted statistics are taken of: ``summary_<group>``."""
    try:
        groups = [group.name for group in getattr(config.section("summary"), "groups", [])]
    except KeyError:
        return {}
    return {f"summary_{g}": tables[f"summary_{g}"] for g in groups if f"summary_{g}" in tables}


def weighted_table(tables: Mapping[str, pd.DataFrame], config: Config) -> pd.DataFrame | None:
    """:func:`weighted_statistics` of the configured per-file tables (``None``: no
    probabilities)."""
    return weighted_statistics(
        per_file_tables(tables, config),
        load_cases_or_empty(config).columns,
        probability_scale(config),
    )
