"""The opp post-processing features → the native sections: ``summary``,
``linked_statistics``, ``range_graph`` and ``time_series``."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ofxpost._builtin.opp.columns import (
    add_to_summary,
    arc_range,
    columns_of,
    groups,
    label,
    point,
)
from ofxpost._builtin.opp.context import Translation
from ofxpost._builtin.opp.merge import merge_master
from ofxpost._builtin.opp.models import (
    Column,
    LinkedFeature,
    OppConfig,
    RangeGraphs,
    SeriesFeature,
    SummaryColumn,
    SummaryFeature,
    SummaryGroup,
)
from ofxpost._builtin.opp.values import (
    SUMMARY_STATISTICS,
    norm,
    parse_histogram,
    parse_switch,
)
from ofxpost._builtin.series_histogram import HistogramSpec

ROWS = ("min", "max", "mean", "std")
"""The across-file statistics rows, in their table order."""


def _merged(raw: Mapping[str, Any], where: str) -> dict[str, Any]:
    return merge_master(raw.get(where), raw.get(f"{where}_master"))


# ---------------------------------------------------------------------------- summary


def summary(
    ctx: Translation, raw: Mapping[str, Any], config: OppConfig, flags: SummaryFeature
) -> dict[str, Any]:
    """The native ``summary`` section of ``summary_settings`` (and its master)."""
    where = "summary_settings"
    merged = _merged(raw, where)
    shared = merged.get("inject_into")
    native_groups = []
    for gwhere, name, raw_group in groups(ctx, merged, where):
        group = ctx.validate(SummaryGroup, raw_group, gwhere)
        if "inject_into" in raw_group:
            ctx.inject(f"{gwhere}.inject_into", raw_group["inject_into"], name)
        elif shared is not None:
            ctx.inject(f"{where}.inject_into", shared, name)
        if {"directory", "filename_pattern"} & group.model_fields_set:
            ctx.group_files.append((gwhere, group.directory, group.filename_pattern))
        seen: set[str] = set()
        columns = [
            summary_column(ctx, column, cwhere, seen)
            for cwhere, column in columns_of(ctx, SummaryColumn, raw_group, gwhere)
        ]
        native_groups.append({"name": name, "columns": columns})
    if not native_groups:
        raise ctx.fail(where, "orcaflex.postprocess.summary.flag is true but no groups")
    written = flags.statistics
    statistics = [
        statistic
        for key, statistic in SUMMARY_STATISTICS.items()
        if written is not None and getattr(written, key)
    ]
    switches = add_to_summary(flags, config.summary_settings_master, config.summary_settings)
    statistics += [statistic for statistic, on in switches.items() if on]
    return {"groups": native_groups, "statistics": [s for s in ROWS if s in statistics]}


def summary_column(
    ctx: Translation, column: SummaryColumn, where: str, seen: set[str]
) -> dict[str, Any]:
    """One native summary column: what it reads depends on its ``Command``."""
    command = column.Command
    if command is None:
        raise ctx.fail(
            f"{where}.Command",
            "required: Range Graph, TimeHistory, Static Result or GetData",
        )
    out: dict[str, Any] = {"command": command, "object": str(column.ObjectName)}
    variable = column.Variable
    if command == "data":
        if isinstance(variable, str):
            out["variable"], index = variable, -1
        elif isinstance(variable, list) and len(variable) == 2:
            out["variable"], index = str(variable[0]), variable[1]
        else:
            raise ctx.fail(f"{where}.Variable", f"GetData needs [DataName, index]: {variable!r}")
        if isinstance(index, bool) or not isinstance(index, int):
            raise ctx.fail(f"{where}.Variable", f"index {index!r} is not an integer")
        if index != -1:
            out["index"] = index
    else:
        if not isinstance(variable, str):
            raise ctx.fail(f"{where}.Variable", f"expected one variable name: {variable!r}")
        out["variable"] = variable
    if command in ("time_history", "range_graph"):
        if column.Statistic_Type is None:
            raise ctx.fail(
                f"{where}.Statistic_Type",
                "required for this command (opp silently left the column empty)",
            )
        out["statistic"] = column.Statistic_Type
        if column.SimulationPeriod is not None:
            out["period"] = column.SimulationPeriod
    if command == "range_graph":
        arclength_range, object_extra = arc_range(ctx, column, where)
        if object_extra is not None:
            out["object_extra"] = object_extra
        if arclength_range is not None:
            out["arclength_range"] = arclength_range
        if norm(out["variable"]) == norm("API STD 2RD Method 1"):
            out["transform"] = "sqrt"  # opp reported the square root of this result
    elif command in ("time_history", "static_result"):
        extra = point(ctx, column, where)
        if extra is not None:
            out["object_extra"] = extra
    text = label(ctx, column, where, seen)
    if text is not None:
        out["label"] = text
    return out


# ----------------------------------------------------------------------------- linked


def linked(
    ctx: Translation, raw: Mapping[str, Any], config: OppConfig, flags: LinkedFeature
) -> dict[str, Any]:
    """The native ``linked_statistics`` section: one column per opp column."""
    where = "linked_statistics_settings"
    found = groups(ctx, _merged(raw, where), where)
    # a label used in more than one group is <group>.<label> in every one of them
    owners: dict[str, set[str]] = {}
    for _, name, group in found:
        for column in group["Columns"]:
            if isinstance(column, Mapping) and column.get("Label") is not None:
                owners.setdefault(str(column["Label"]), set()).add(name)
    shared = {text for text, names in owners.items() if len(names) > 1}
    columns: list[dict[str, Any]] = []
    for gwhere, name, group in found:
        seen: set[str] = set()
        for cwhere, column in columns_of(ctx, Column, group, gwhere):
            variables = column.Variable
            if (
                not isinstance(variables, list)
                or len(variables) < 2
                or not all(isinstance(v, str) for v in variables)
            ):
                raise ctx.fail(
                    f"{cwhere}.Variable", f"expected [primary, linked, ...]: {variables!r}"
                )
            out: dict[str, Any] = {
                "object": str(column.ObjectName),
                "variable": variables[0],
                "linked_variables": list(variables[1:]),
            }
            if column.SimulationPeriod is not None:
                out["period"] = column.SimulationPeriod
            extra = point(ctx, column, cwhere)
            if extra is not None:
                out["object_extra"] = extra
            text = label(ctx, column, cwhere, seen)
            if text is not None:
                out["label"] = f"{name}.{text}" if text in shared else text
            columns.append(out)
    if not columns:
        raise ctx.fail(where, "orcaflex.postprocess.linked_statistics.flag is true but no columns")
    section: dict[str, Any] = {"columns": columns}
    switches = add_to_summary(
        flags, config.linked_statistics_settings_master, config.linked_statistics_settings
    )
    if switches:
        # opp always appended min/max/mean/std rows: an Add*ToSummary: false drops one
        section["statistics"] = [s for s in ROWS if switches.get(s, True)]
    return section


# ------------------------------------------------------------------------ range graph


def range_graphs(ctx: Translation, config: OppConfig) -> dict[str, Any]:
    """The native ``range_graph`` section of the top-level ``RangeGraph`` list."""
    entries = ctx.validate(RangeGraphs, {"RangeGraph": config.RangeGraph}).RangeGraph
    graphs: list[dict[str, Any]] = []
    seen: set[str] = set()
    for position, entry in enumerate(entries):
        where = f"RangeGraph[{position}]"
        out: dict[str, Any] = {"object": str(entry.ObjectName), "variable": entry.Variable}
        if entry.SimulationPeriod is not None:
            out["period"] = entry.SimulationPeriod
        arclength_range, object_extra = arc_range(ctx, entry, where)
        if arclength_range is not None:
            out["arclength_range"] = arclength_range
        if object_extra is not None:
            out["object_extra"] = object_extra
        if entry.AdditionalData:
            out["statistics"] = entry.AdditionalData  # every one kept (opp overwrote one)
        if entry.axhline is not None:
            out["allowable"] = entry.axhline
        name = entry.Label or (Path(str(entry.FileName)).stem if entry.FileName else None)
        if name is not None:
            text = str(name)
            if text in seen:
                raise ctx.fail(f"{where}.Label", f"label {text!r} is used twice")
            seen.add(text)
            out["label"] = text
        if entry.Title or entry.Subtitle:
            out["title"] = " - ".join(str(t) for t in (entry.Title, entry.Subtitle) if t)
        if entry.xlabel:
            out["x_label"] = str(entry.xlabel)
        if entry.ylabel:
            out["y_label"] = str(entry.ylabel)
        if entry.units:
            out["units"] = str(entry.units)
        graphs.append(out)
    return {"graphs": graphs}


# ------------------------------------------------------------------------ time series


def series_histogram(
    ctx: Translation, merged: Mapping[str, Any], flags: SeriesFeature | None
) -> dict[str, Any]:
    """The ``histogram`` / ``summation`` keys every native group gets (empty: none).

    ``time_series_settings`` (after its master) wins over the feature block
    ``orcaflex.postprocess.time_series``; each is ``true`` or ``{flag, bins, range}``.
    """
    where = "time_series_settings"
    feature = "orcaflex.postprocess.time_series"
    histogram, hwhere = None, f"{where}.histogram"
    if "histogram" in merged:
        histogram = parse_histogram(merged["histogram"])
    elif flags is not None and "histogram" in flags.model_fields_set:
        histogram, hwhere = flags.histogram, f"{feature}.histogram"
    if histogram is not None:
        ctx.validate(HistogramSpec, histogram, hwhere)  # bad bins/range name the opp key
    summation, swhere = False, f"{where}.summation"
    if "summation" in merged:
        summation = parse_switch(merged["summation"])
    elif flags is not None and "summation" in flags.model_fields_set:
        summation, swhere = flags.summation, f"{feature}.summation"
    out: dict[str, Any] = {}
    if histogram is not None:
        out["histogram"] = histogram
    if summation:
        if histogram is None or (
            "range" not in histogram and not isinstance(histogram.get("bins"), list)
        ):
            # opp never computed it: a notice (the run goes on), never an error
            ctx.ignore(swhere, True, "time_series.summation")
            return out
        out["summation"] = True
    return out


def time_series(
    ctx: Translation, raw: Mapping[str, Any], flags: SeriesFeature | None = None
) -> dict[str, Any] | None:
    """The native ``time_series`` section (``None``: no groups, or ``data: false``)."""
    where = "time_series_settings"
    merged = _merged(raw, where)
    if not merged.get("data", True):
        return None
    binning = series_histogram(ctx, merged, flags)
    native_groups: list[dict[str, Any]] = []
    for gwhere, name, group in groups(ctx, merged, where):
        seen: set[str] = set()
        columns: list[dict[str, Any]] = []
        periods: list[Any] = []
        for cwhere, column in columns_of(ctx, Column, group, gwhere):
            if column.Command not in (None, "time_history"):
                raise ctx.fail(
                    f"{cwhere}.Command", f"time series are TimeHistory only: {column.Command!r}"
                )
            if not isinstance(column.Variable, str):
                raise ctx.fail(
                    f"{cwhere}.Variable", f"expected one variable name: {column.Variable!r}"
                )
            out: dict[str, Any] = {"object": str(column.ObjectName), "variable": column.Variable}
            extra = point(ctx, column, cwhere)
            if extra is not None:
                out["object_extra"] = extra
            text = label(ctx, column, cwhere, seen)
            if text is not None:
                out["label"] = text
            if periods and column.SimulationPeriod != periods[0]:
                raise ctx.fail(
                    f"{cwhere}.SimulationPeriod",
                    "every column of a time-series group must share one period "
                    f"(split the group): {column.SimulationPeriod!r}",
                )
            periods.append(column.SimulationPeriod)
            columns.append(out)
        native: dict[str, Any] = {"name": name}
        if periods and periods[0] is not None:
            native["period"] = periods[0]
        native["columns"] = columns
        native.update(binning)
        native_groups.append(native)
    return {"groups": native_groups} if native_groups else None
