"""One unit per linked-statistics column: each file's values converted before they
share a column.

Files may state a column's variables in different units (one model in kN, another
in N). Each column's primary values (``value_at_max``, ``value_at_min``, ``mean``,
``std``) are put in the unit of the first file (in input order) that states the
primary variable's unit, and each linked variable's values (``linked_value_at_max``,
``linked_value_at_min``) likewise. A file whose unit cannot be converted keeps those
values empty, with the reason in its ``error`` cell, and the table reports a problem
(the batch exits 1): values are never shown in a unit they are not in.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ofxpost._core.units import conversion_factor
from ofxpost.errors import UnitConversionError

PRIMARY_VALUES = ("value_at_max", "value_at_min", "mean", "std")
"""Columns in the primary variable's unit."""
LINKED_VALUES = ("linked_value_at_max", "linked_value_at_min")
"""Columns in the linked variable's unit."""

Units = tuple[str | None, str | None]


def harmonise(
    rows: list[dict[str, Any]], stated: Sequence[Units], columns: Sequence[Any]
) -> tuple[list[Units], list[str]]:
    """Convert ``rows`` (input order, changed in place) to one unit per column.

    :param rows: the table's rows (``label``, ``linked_variable`` and the values).
    :param stated: each row's ``(primary unit, linked unit)`` as its file states them.
    :param columns: the section's columns (``name``, ``allowable``).
    :returns: each row's units after conversion, and one message per problem.
    """
    primary: dict[str, str | None] = {}
    linked: dict[tuple[str, str], str | None] = {}
    for row, (p_unit, l_unit) in zip(rows, stated, strict=True):
        label, variable = str(row["label"]), str(row["linked_variable"])
        if p_unit and not primary.get(label):
            primary[label] = p_unit
        if l_unit and not linked.get((label, variable)):
            linked[(label, variable)] = l_unit
    problems: list[str] = []
    units: list[Units] = []
    for row, (p_unit, l_unit) in zip(rows, stated, strict=True):
        label, variable = str(row["label"]), str(row["linked_variable"])
        p_target, l_target = primary.get(label), linked.get((label, variable))
        for names, unit, target, what in (
            (PRIMARY_VALUES, p_unit, p_target, f"primary variable {row.get('primary')!r}"),
            (LINKED_VALUES, l_unit, l_target, f"linked variable {variable!r}"),
        ):
            message = _convert(row, names, unit, target, f"column {label!r}, {what}")
            if message is not None:
                row["error"] = f"{row['error']}; {message}" if row.get("error") else message
                problems.append(f"{row.get('file')}: {message}")
        units.append((p_target, l_target))
    for column in columns:
        seen: set[str] = {
            str(u[0]) for u, row in zip(stated, rows, strict=True)
            if row["label"] == column.name and u[0]
        }  # fmt: skip
        if getattr(column, "allowable", None) is not None and len(seen) > 1:
            problems.append(
                f"column {column.name!r}: its files state {sorted(seen)}; the allowable was "
                f"taken in {primary.get(column.name)!r} (the first file's unit)"
            )
    return units, problems


def _convert(
    row: dict[str, Any], names: Sequence[str], unit: str | None, target: str | None, where: str
) -> str | None:
    """Scale ``row[names]`` from ``unit`` to ``target``; the reason when it cannot."""
    if unit == target or target is None:
        return None
    numbers = [n for n in names if isinstance(row.get(n), int | float) and row[n] == row[n]]
    if not numbers:
        return None
    try:
        if unit is None:
            raise UnitConversionError(
                f"{where}: the file states no unit (the column is in {target!r})"
            )
        factor = conversion_factor(unit, target, where)
    except UnitConversionError as exc:
        for name in names:
            row[name] = None
        return f"{exc}; the values are left empty"
    for name in numbers:
        row[name] = float(row[name]) * factor
    return None
