"""What every opp column shares: its line point, its label, its group, Add*ToSummary."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from ofxpost._builtin.opp.context import Translation
from ofxpost._builtin.opp.models import AddToSummary, Column, RangeGraphEntry
from ofxpost._builtin.opp.values import ADD_TO_SUMMARY
from ofxpost._builtin.support.naming import safe_name

C = TypeVar("C", bound=Column)


def radial(column: Column | RangeGraphEntry) -> dict[str, Any]:
    """The ``radial_position`` / ``theta`` of a pipe-wall result (empty: none given)."""
    extra: dict[str, Any] = {}
    if column.RadialPos is not None:
        extra["radial_position"] = column.RadialPos
    if column.Theta is not None:
        extra["theta"] = column.Theta
    return extra


def is_support_variable(variable: Any) -> bool:
    """Whether opp read ``variable`` at a support (its name contains ``Support``)."""
    first = variable[0] if isinstance(variable, list) and variable else variable
    return isinstance(first, str) and "support" in first.lower()


def support(ctx: Translation, column: Column, where: str) -> dict[str, Any] | None:
    """``{support: n}`` of a support result (opp's ``oeSupport(SupportIndex=n)``).

    opp read ``SupportIndex`` only for a variable containing ``Support`` (a master
    column's ``SupportIndex`` reaches every column); such a variable without it is an
    error, as it was in opp. A ``Position`` (opp's vessel default) is not used there.
    """
    if not is_support_variable(column.Variable):
        if column.SupportIndex is not None:
            section = where.split(".")[0]
            ctx.ignore(f"{section}.groups[].Columns[].SupportIndex", True, "SupportIndex")
        return None
    if column.SupportIndex is None:
        raise ctx.fail(
            f"{where}.SupportIndex",
            f"required: {column.Variable!r} is a support result (1 for the first support)",
        )
    others = [
        name
        for name in ("objectExtra", "ArcLength", "RadialPos", "Theta")
        if getattr(column, name) not in (None, [])
    ]
    if others:
        raise ctx.fail(
            f"{where}.{others[0]}", "a support result is read at its SupportIndex only"
        )
    return {"support": column.SupportIndex}


def point(ctx: Translation, column: Column, where: str) -> Any:
    """The native ``object_extra`` of a result read at one point (or ``None``)."""
    at_support = support(ctx, column, where)
    if at_support is not None:
        return at_support
    extra_point = column.objectExtra
    if extra_point is not None and extra_point.sections is not None:
        raise ctx.fail(f"{where}.objectExtra", "a section range needs 'Range Graph'")
    wall = radial(column)
    arc = column.ArcLength or []
    extra: dict[str, Any] | None = None
    if extra_point is not None and extra_point.end is not None:
        extra = {"end": extra_point.end}
    elif len(arc) == 1:
        extra = {"arc_length": arc[0]}
    elif len(arc) == 2:
        raise ctx.fail(
            f"{where}.ArcLength",
            f"{arc} is an arc-length range; this result is read at one point: use [a] "
            "(opp called oeLine(a, b), whose parameters are LinePoint and NodeNum)",
        )
    elif column.Position is not None and not wall:
        return column.Position
    if extra is None:
        if wall:
            raise ctx.fail(f"{where}.RadialPos", "needs a line point (objectExtra/ArcLength)")
        return None
    if not wall:
        return extra.get("end", extra)
    return {**extra, **wall}


def arc_range(ctx: Translation, column: Column | RangeGraphEntry, where: str) -> tuple[Any, Any]:
    """``(arclength_range, object_extra)`` of a range-graph result."""
    extra_point = column.objectExtra
    sections = extra_point.sections if extra_point is not None else None
    end = extra_point.end if extra_point is not None else None
    arc = column.ArcLength or []
    arclength_range: Any = None
    if sections is not None and arc:
        raise ctx.fail(f"{where}.ArcLength", "give ArcLength or a Section objectExtra, not both")
    if sections is not None:
        arclength_range = {"sections": sections}
    elif len(arc) == 1:
        arclength_range = [arc[0], arc[0]]
    elif len(arc) == 2:
        arclength_range = arc  # a range (never oeLine's LinePoint/NodeNum)
    wall = radial(column)
    object_extra = {"end": end or "end_a", **wall} if wall else None
    return arclength_range, object_extra


def label(ctx: Translation, column: Column, where: str, seen: set[str]) -> str | None:
    """The column's ``Label`` as text, once per group."""
    if column.Label is None:
        return None
    text = str(column.Label)
    if text in seen:
        raise ctx.fail(f"{where}.Label", f"label {text!r} is used twice in this group")
    seen.add(text)
    return text


def columns_of(
    ctx: Translation, model: type[C], group: Mapping[str, Any], where: str
) -> list[tuple[str, C]]:
    """``[(key path, column)]`` of a merged group, each read as ``model``."""
    out: list[tuple[str, C]] = []
    for n, raw in enumerate(group["Columns"]):
        cwhere = f"{where}.Columns[{n}]"
        column = ctx.validate(model, raw, cwhere)
        if "ObjectType" in column.model_fields_set:
            ctx.ignore(f"{where.split('.')[0]}.groups[].Columns[].ObjectType")
        out.append((cwhere, column))
    return out


def groups(
    ctx: Translation, merged: Mapping[str, Any], where: str
) -> list[tuple[str, str, Mapping[str, Any]]]:
    """``[(key path, table name, group)]`` of merged settings; every group has columns.

    ``SummaryFileName`` (opp's output file) or ``Label`` names the table, made safe and
    unique; ``errors`` and ``*_statistics`` are the names of other tables.
    """
    out: list[tuple[str, str, Mapping[str, Any]]] = []
    taken: set[str] = set()
    for position, group in enumerate(merged.get("groups") or []):
        gwhere = f"{where}.groups[{position}]"
        columns = group.get("Columns")
        if not isinstance(columns, list) or not columns:
            raise ctx.fail(f"{gwhere}.Columns", "expected a non-empty list of columns")
        title = group.get("SummaryFileName") or group.get("Label")
        name = safe_name(str(title or f"group{position + 1}"))
        if name.lower() == "errors" or name.lower().endswith("_statistics"):
            name = f"{name}_group"
        base, n = name, 1
        while name.lower() in taken:
            n += 1
            name = f"{base}_{n}"
        taken.add(name.lower())
        out.append((gwhere, name, group))
    return out


def add_to_summary(*sources: AddToSummary | None) -> dict[str, bool]:
    """``{statistic: on}`` of every ``Add*ToSummary`` written in ``sources`` (a ``true``
    anywhere wins)."""
    found: dict[str, bool] = {}
    for source in sources:
        if source is None:
            continue
        for key, statistic in ADD_TO_SUMMARY.items():
            value = getattr(source, key)
            if value is not None:
                found[statistic] = found.get(statistic, False) or value
    return found
