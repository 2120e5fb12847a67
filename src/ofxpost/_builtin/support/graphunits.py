"""One unit per range graph: each file's curves converted before they are compared.

A range graph's files may state its variable in different units (one model in kN,
another in N). Their curves are only put in one table, and only enveloped, in one
unit: the graph's ``units`` when the config gives it, else the unit of the first file
(in input order) that states one. A file whose unit cannot be converted to it
(another dimension, an unknown unit) is left out of the graph and named, never
compared unconverted.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from ofxpost._builtin.support.numpy import np
from ofxpost._core.units import conversion_factor
from ofxpost.errors import UnitConversionError


class Converted(NamedTuple):
    """One graph's curves in one unit, and the files that could not be converted."""

    unit: str | None
    """The graph's unit (``None`` when no file states one and the config gives none)."""
    parts: list[tuple[int, Any]]
    """``(file index, part)`` in input order, curves in :attr:`unit`."""
    refused: list[tuple[int, Any, str]]
    """``(file index, part, message)`` of files left out."""


def graph_unit(configured: str | None, units: Sequence[str | None]) -> str | None:
    """The unit a graph is shown in: ``configured``, else the first file's (input order)."""
    if configured:
        return configured
    return next((unit for unit in units if unit), None)


def convert(
    label: str,
    configured: str | None,
    parts: Sequence[tuple[int, Any, str | None]],
) -> Converted:
    """``parts`` (``(index, part, the file's unit)``, input order) in one unit.

    A part is a :class:`NamedTuple` with a ``curves`` tuple of arrays (replaced by the
    converted arrays when its unit differs). A file that states no unit is kept as it
    is only when no unit is known for the graph either.
    """
    unit = graph_unit(configured, [u for _, _, u in parts])
    kept: list[tuple[int, Any]] = []
    refused: list[tuple[int, Any, str]] = []
    where = f"range_graph graph {label!r}"
    for index, part, stated in parts:
        if stated == unit:
            kept.append((index, part))
            continue
        if not stated or not unit:
            message = (
                f"{where}: the file states no unit for its variable while the graph is in "
                f"{unit!r}; the file is left out of the graph"
                if not stated
                else f"{where}: the file's values are in {stated!r}; no unit is known for "
                "the graph; the file is left out of the graph"
            )
            refused.append((index, part, message))
            continue
        try:
            factor = conversion_factor(stated, unit, where)
        except UnitConversionError as exc:
            refused.append((index, part, f"{exc}; the file is left out of the graph"))
            continue
        curves = tuple(np.asarray(c, dtype=float) * factor for c in part.curves)
        kept.append((index, part._replace(curves=curves)))
    return Converted(unit, kept, refused)
