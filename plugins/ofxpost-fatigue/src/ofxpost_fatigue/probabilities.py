"""Each file's exposure from the load matrix: its probability (or hours) scaled to
a year, and the check that the probabilities sum to 1."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ofxpost_fatigue.section import (
    FatigueSection,
)

if TYPE_CHECKING:  # pandas is imported where the tables are built: workers never need it
    pass

from ofxpost_fatigue.tables_common import FatigueError


def _display(path: Path, base_dir: Path) -> str:
    try:
        return path.relative_to(base_dir).as_posix()
    except ValueError:
        return path.as_posix()


def _exposure_seconds(cases: Any, path: Path, section: FatigueSection) -> float | None:
    """Seconds per year this file's load case stands for (``None``: no matching row)."""
    if cases.row_for(path) is None:
        return None
    attributes = cases.for_path(path)
    column = section.hours_column or section.probability_column
    value = attributes.get(column)
    if value is None or not math.isfinite(float(value)):
        return None
    if section.hours_column:
        return float(value) * 3600.0
    return float(value) * _probability_scale(section) * section.year_seconds


def _with_matrix_units(section: FatigueSection, config: Any) -> FatigueSection:
    """``section`` reading the probabilities in percent when the load matrix says so
    (``load_matrix.probability_units: percent``, which the core checks when the batch
    is planned), whatever ``fatigue.probability_units`` says."""
    try:
        matrix = config.section("load_matrix")
    except KeyError:
        return section
    if getattr(matrix, "probability_units", "fraction") == "percent":
        return section.model_copy(update={"probability_units": "percent"})
    return section


def _probability_scale(section: FatigueSection) -> float:
    return 0.01 if section.probability_units == "percent" else 1.0


def check_probabilities(cases: Any, section: FatigueSection) -> None:
    """The load matrix's probabilities must sum to 1 (100 with ``probability_units:
    percent``) within ``probability_tolerance``.

    :raises FatigueError: naming the column, the sum and the rows counted.
    """
    if section.hours_column:
        return
    column = section.probability_column
    position = list(cases.columns).index(column)
    values: list[float] = []
    for row in cases.rows:
        value = row[position]
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise FatigueError(
                f"fatigue: load-matrix {column!r} holds {value!r}, which is not a number"
            ) from None
        if not math.isfinite(number) or number < 0:
            raise FatigueError(f"fatigue: load-matrix {column!r} holds {value!r} (not >= 0)")
        values.append(number)
    total = math.fsum(values)
    fraction = total * _probability_scale(section)
    if abs(fraction - 1.0) > section.probability_tolerance:
        unit = "percent" if section.probability_units == "percent" else "fraction"
        hint = (
            " (they look like percentages: set load_matrix.probability_units: percent)"
            if section.probability_units == "fraction" and abs(total - 100.0) <= 0.1
            else ""
        )
        raise FatigueError(
            f"fatigue: the load-matrix {column!r} values ({unit}) of {len(values)} rows sum to "
            f"{total:.10g}, not {1.0 / _probability_scale(section):g} (tolerance "
            f"{section.probability_tolerance:g}){hint}; lives would be scaled by "
            f"{fraction:.6g}"
        )


def _load_cases(config: Any, section: FatigueSection) -> Any:
    from ofxpost.plugin import load_cases

    cases = load_cases(config)
    column = section.hours_column or section.probability_column
    if not cases.present:
        raise FatigueError(
            "fatigue: damage is scaled to a year by the load matrix; set the 'load_matrix' "
            f"section to a table with a {column!r} column"
        )
    if column not in cases.columns:
        raise FatigueError(
            f"fatigue: the load matrix has no column {column!r} (its columns: "
            f"{list(cases.columns)}); set fatigue.probability_column or fatigue.hours_column"
        )
    return cases
