"""A column's governing value, file and load case, and its utilisation against the
allowables (what the HTML report's tables of governing values say).

**Which extreme governs.** A column with only a ``max`` allowable is governed by
its largest value, with only a ``min`` allowable by its smallest. With both, the
side with the larger utilisation governs (a side past its allowable always wins).
With neither, the statistic decides: ``min``, ``time_of_min`` and
``arc_length_of_min`` columns and lower-tail extremes (``mpm``, ``return_level``...
with ``tail: lower``) are governed by their smallest value, every other column by
its largest. (Read back by ``ofxpost report`` from a folder without
``report_columns``, a column whose name has the word ``min`` counts as a min
statistic.) Ties go to the first file in input order.

**Utilisation.** Against a ``max`` allowable: ``value / allowable``. Against a
``min`` allowable: ``allowable / value`` when both are positive (1 or more: at or
below the limit); otherwise there is no ratio, and the value is flagged when it
is below the allowable. A utilisation of 1 or more is flagged.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ofxpost._builtin.support.numpy import np
from ofxpost._builtin.support.pandas import pd
from ofxpost._builtin.support.tableunits import column_allowables, column_units

MIN_STATISTICS: frozenset[str] = frozenset({"min", "time_of_min", "arc_length_of_min"})

LOWER_TAIL = "of the lower tail"
"""How ``report_columns`` ends the statistic of a lower-tail extreme (``mpm``,
``return_level``... with ``tail: lower``): such a column is governed by its smallest value."""
"""Statistics whose smallest value governs when a column has no allowable."""


@dataclass(frozen=True)
class Governing:
    """A column's governing value and where it comes from."""

    table: str
    column: str
    unit: str
    side: str
    """``max`` or ``min``: which extreme governs."""
    value: float | None
    file: str | None
    stem: str | None
    load_case: dict[str, Any] = field(default_factory=dict)
    allowable: float | None = None
    utilisation: float | None = None
    exceeded: bool = False
    """Past its allowable (utilisation >= 1, or below a ``min`` allowable)."""
    files: int = 0
    """Files with a value."""
    reason: str = ""
    """Why this side governs."""

    @property
    def flagged(self) -> bool:
        """Whether the report flags it."""
        return self.exceeded or (self.utilisation is not None and self.utilisation >= 1.0)


def utilisation(value: float, side: str, allowable: float) -> float | None:
    """The utilisation of ``value`` against a ``side`` (max/min) allowable (module doc)."""
    if side == "max":
        return value / allowable if allowable != 0 else None
    if value > 0 and allowable > 0:
        return allowable / value
    return None


def _side_of(
    values: np.ndarray[Any, Any], limits: Mapping[str, float], statistic: str, column: str = ""
) -> tuple[str, str]:
    high, low = limits.get("max"), limits.get("min")
    if high is not None and low is None:
        return "max", "max allowable"
    if low is not None and high is None:
        return "min", "min allowable"
    if high is not None and low is not None:
        top, bottom = float(np.nanmax(values)), float(np.nanmin(values))
        u_top = utilisation(top, "max", high)
        u_bottom = utilisation(bottom, "min", low)
        over_bottom = bottom < low
        score_top = math.inf if top > high else (u_top if u_top is not None else -math.inf)
        score_bottom = (
            math.inf if over_bottom else (u_bottom if u_bottom is not None else -math.inf)
        )
        if score_bottom > score_top:
            return "min", "max and min allowables: min has the larger utilisation"
        return "max", "max and min allowables: max has the larger utilisation"
    if statistic.split(" ")[0] in MIN_STATISTICS:
        return "min", f"no allowable; statistic {statistic.split(' ')[0]}"
    if statistic.endswith(LOWER_TAIL):
        return "min", f"no allowable; statistic {statistic}"
    if not statistic and column_says_min(column):
        return "min", "no allowable; the column's name says min"
    return "max", "no allowable"


def column_says_min(column: str) -> bool:
    """Whether a column's name has a word ``min`` (``min_tension``, ``Riser min``):
    the rule when no ``report_columns`` table says its statistic."""
    return "min" in column.lower().replace("-", "_").replace(" ", "_").split("_")


def load_case_columns(frame: pd.DataFrame) -> list[str]:
    """The load-case columns of a per-file table: those between ``stem`` and ``status``."""
    names = [str(c) for c in frame.columns]
    if "stem" not in names or "status" not in names:
        return []
    first, last = names.index("stem"), names.index("status")
    return names[first + 1 : last] if last > first else []


def governing(
    table: str, frame: pd.DataFrame, column: str, statistic: str = ""
) -> Governing | None:
    """The governing value of ``frame[column]`` (``None``: not a numeric column)."""
    series = frame[column]
    if pd.api.types.is_bool_dtype(series) or not pd.api.types.is_numeric_dtype(series):
        return None
    values = series.to_numpy(dtype=float)
    unit = column_units(frame).get(column, "")
    limits = column_allowables(frame).get(column, {})
    finite = np.isfinite(values)
    if not finite.any():
        return Governing(table, column, unit, "max", None, None, None, reason="no values")
    masked = np.where(finite, values, np.nan)
    side, reason = _side_of(masked, limits, statistic, column)
    at = int(np.nanargmax(masked)) if side == "max" else int(np.nanargmin(masked))
    value = float(values[at])
    row = frame.iloc[at]
    cases = {c: _plain(row[c]) for c in load_case_columns(frame)}
    allowable = limits.get(side)
    ratio = utilisation(value, side, allowable) if allowable is not None else None
    exceeded = allowable is not None and (
        (side == "max" and value > allowable) or (side == "min" and value < allowable)
    )
    return Governing(
        table=table,
        column=column,
        unit=unit,
        side=side,
        value=value,
        file=_text(row.get("file")),
        stem=_text(row.get("stem")),
        load_case=cases,
        allowable=allowable,
        utilisation=ratio,
        exceeded=bool(exceeded or (ratio is not None and ratio >= 1.0)),
        files=int(finite.sum()),
        reason=reason,
    )


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _text(value: Any) -> str | None:
    value = _plain(value)
    return None if value is None or value is pd.NA else str(value)


ALERTS_TABLE = "summary_alerts"
"""The table of values past their allowables (not a summary group)."""


def summary_governing(
    tables: Mapping[str, pd.DataFrame], definitions: pd.DataFrame | None
) -> dict[str, list[Governing]]:
    """``{summary table: [Governing per value column]}`` in table and column order."""
    statistics: dict[tuple[str, str], str] = {}
    labels: dict[str, list[str]] = {}
    if definitions is not None and not definitions.empty:
        for row in definitions.itertuples(index=False):
            statistics[(str(row.table), str(row.column))] = str(row.statistic)
            labels.setdefault(str(row.table), []).append(str(row.column))
    out: dict[str, list[Governing]] = {}
    for name in sorted(tables):
        if not name.startswith("summary_") or name.endswith(("_statistics", "_errors")):
            continue
        if name == ALERTS_TABLE:  # one row per breach, shown in its own section
            continue
        frame = tables[name]
        columns = labels.get(name) or _value_columns(frame)
        found = []
        for column in columns:
            if column not in frame.columns:
                continue
            result = governing(name, frame, column, statistics.get((name, column), ""))
            if result is not None:
                found.append(result)
        out[name] = found
    return out


def _value_columns(frame: pd.DataFrame) -> list[str]:
    """Value columns of a summary table read back without its definitions."""
    from ofxpost._builtin.support.fileinfo import FACT_COLUMNS

    lead = {"file", "stem", "status", *FACT_COLUMNS, *load_case_columns(frame)}
    return [str(c) for c in frame.columns if str(c) not in lead and not str(c).endswith(" exceeds")]


def envelope_exceedances(envelope: pd.DataFrame | None) -> list[dict[str, Any]]:
    """Per range graph: points over the allowable, the peak and its governing file."""
    if envelope is None or envelope.empty:
        return []
    out: list[dict[str, Any]] = []
    for label, part in envelope.groupby("label", sort=False):
        top = part["max"].to_numpy(dtype=float)
        allowable = part["allowable"].iloc[0] if "allowable" in part else None
        allowable = _plain(allowable)
        if not np.isfinite(top).any():
            continue
        at = int(np.nanargmax(top))
        over = int(np.sum(top > allowable)) if allowable is not None else 0
        out.append(
            {
                "label": str(label),
                "peak": float(top[at]),
                "x": float(part["x"].iloc[at]),
                "stem": _text(part["max_stem"].iloc[at]),
                "allowable": allowable,
                "utilisation": float(top[at]) / allowable if allowable else None,
                "points": len(part),
                "over": over,
            }
        )
    return out
