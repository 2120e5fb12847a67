"""One unit per table column: values files state in other units are converted.

Files of one batch may state different units for the same column (one archive
in kN, another in N). A table never mixes them: each column takes one unit --
the configured one, else the first file's (input order) -- and every other
file's value is converted to it with pint. A value that cannot be converted (a
unit pint does not know, another dimension, or no unit stated while other files
state one) is left empty and reported as that file's error for the column,
naming the variable and both units; it is never written unconverted.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ofxpost._core.units import conversion_factor
from ofxpost.errors import UnitConversionError


@dataclass(frozen=True)
class UnitProblem:
    """A value that could not be put in its column's unit."""

    row: int
    """Position of the row in the rows given."""
    label: str
    """The column."""
    message: str
    """Why, naming the column, the file's unit and the table's unit."""


def column_units(
    found: Sequence[Sequence[Any]], count: int, wanted: Sequence[str | None]
) -> list[str | None]:
    """Per column, the configured unit (``wanted``) else the first unit a file states."""
    out: list[str | None] = list(wanted)[:count] + [None] * max(0, count - len(wanted))
    for units in found:
        for position, unit in enumerate(list(units)[:count]):
            if out[position] is None and isinstance(unit, str) and unit:
                out[position] = unit
    return out


def harmonise(
    rows: list[dict[str, Any]],
    found: Sequence[Sequence[Any]],
    labels: Sequence[str],
    targets: Sequence[str | None],
    where: str,
) -> list[UnitProblem]:
    """Convert ``rows`` (in place) so that each column is in its ``targets`` unit.

    :param rows: one dict per file (``label -> value``), in input order.
    :param found: the units each file stated per column (same order as ``rows``).
    :param labels: the value columns, in position order.
    :param targets: the unit of each column in the table (``None``: no unit known,
        nothing converted).
    :param where: what the table is, for messages (``summary group 'g'``).
    :returns: the values left empty, one problem each.
    """
    problems: list[UnitProblem] = []
    factors: dict[tuple[str, str], float | str] = {}
    for number, (row, units) in enumerate(zip(rows, found, strict=True)):
        stated = list(units)
        for position, label in enumerate(labels):
            target = targets[position] if position < len(targets) else None
            value: Any = row.get(label)
            if target is None or not _is_number(value):
                continue
            unit = stated[position] if position < len(stated) else None
            unit = unit if isinstance(unit, str) and unit else None
            if unit == target:
                continue
            item = f"{where}, column {label!r}"
            if unit is None:
                problems.append(
                    UnitProblem(
                        number,
                        label,
                        f"{item}: this file states no unit while the table is in {target!r}; "
                        "the value is not written",
                    )
                )
                row[label] = None
                continue
            key = (unit, target)
            if key not in factors:
                try:
                    factors[key] = conversion_factor(unit, target, item)
                except UnitConversionError as exc:
                    factors[key] = f"{exc}; the value is not written"
            factor = factors[key]
            if isinstance(factor, str):
                problems.append(UnitProblem(number, label, factor))
                row[label] = None
            else:
                row[label] = float(value) * factor
    return problems


def _is_number(value: Any) -> bool:
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, (int, float)):
        return not math.isnan(float(value))
    return False
