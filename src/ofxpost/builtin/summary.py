"""Built-in plugin: summary tables (section ``summary``).

Each group of columns gives one table ``summary_<group>`` with one row per input
file (input order; failed files included with empty values and their status) and
one column per configured value: a statistic of a time history, a statistic of a
range-graph curve along the line, a static result, or an input-data item.

A column that cannot be read for a file (a missing object or variable ...) is
empty for that file and its error is listed in ``summary_errors``; the rest of the
row and every other file are unaffected. Across-file statistics of each numeric
column are in ``summary_<group>_statistics``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import pandas as pd
from pydantic import Field, field_validator, model_validator

from ofxpost.builtin import fileinfo, reading
from ofxpost.builtin.fileinfo import in_input_order
from ofxpost.builtin.loadmatrix import load_cases_or_empty
from ofxpost.builtin.naming import first_duplicate
from ofxpost.builtin.selectors import (
    ArclengthRangeSpec,
    Frozen,
    ObjectExtraSpec,
    PeriodSpec,
    describe_error,
)
from ofxpost.builtin.stats import (
    ARC_STATISTICS,
    TIME_STATISTICS,
    Statistic,
    across_files,
    evaluate,
    numeric_columns,
)
from ofxpost.markers import hookimpl
from ofxpost.records import FileRecord

SECTION = "summary"
"""The config section, result name and table-name prefix."""

Command = Literal["time_history", "range_graph", "static_result", "data"]
AcrossStatistic = Literal["min", "max", "mean", "std"]
ACROSS_DEFAULT: tuple[AcrossStatistic, ...] = ("min", "max", "mean", "std")

GROUP_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")

LEADING_COLUMNS: tuple[str, ...] = ("file", "stem")
ERROR_COLUMNS: list[str] = ["file", "stem", "group", "label", "message"]


class SummaryColumn(Frozen):
    """One value per file."""

    command: Command
    """``time_history``, ``range_graph``, ``static_result`` or ``data``."""
    object: str
    """The object's name in the model (e.g. ``Riser``)."""
    variable: str
    """The result variable (e.g. ``Effective tension``) or, for ``data``, the data name."""
    statistic: Statistic | None = None
    """Required for ``time_history`` and ``range_graph`` (see the statistics table)."""
    curve: reading.Curve | None = None
    """``range_graph`` only: the curve the statistic reduces along the line
    (default: ``min`` for ``min``/``arc_length_of_min``, ``mean`` for ``mean``,
    otherwise ``max``)."""
    period: PeriodSpec | None = None
    """Default ``whole_simulation``; not for ``static_result``/``data``."""
    object_extra: ObjectExtraSpec | None = None
    """Where on the object (line point, position ...); not for ``data``."""
    arclength_range: ArclengthRangeSpec | None = None
    """``range_graph`` only: part of the line (default: all of it)."""
    index: int | None = None
    """``data`` only: the index of an indexed data item (default -1: a scalar item)."""
    transform: reading.Transform | None = None
    """``sqrt`` or ``abs``, applied to the samples before the statistic."""
    label: str | None = Field(default=None, min_length=1)
    """The column heading (default: derived from object, point, variable and statistic)."""

    @model_validator(mode="after")
    def _fits_command(self) -> SummaryColumn:
        allowed: dict[str, set[str]] = {
            "time_history": {"statistic", "period", "object_extra", "transform"},
            "range_graph": {
                "statistic",
                "curve",
                "period",
                "object_extra",
                "arclength_range",
                "transform",
            },
            "static_result": {"object_extra", "transform"},
            "data": {"index"},
        }
        optional = {
            "statistic",
            "curve",
            "period",
            "object_extra",
            "arclength_range",
            "index",
            "transform",
        }
        for key in sorted(optional - allowed[self.command]):
            if getattr(self, key) is not None:
                raise ValueError(f"{key!r} is not used by command {self.command!r}")
        if self.command in ("time_history", "range_graph") and self.statistic is None:
            raise ValueError(f"command {self.command!r} needs a 'statistic'")
        if self.command == "time_history" and self.statistic in ARC_STATISTICS:
            raise ValueError(f"statistic {self.statistic!r} applies to range graphs only")
        if self.command == "range_graph" and self.statistic in TIME_STATISTICS:
            raise ValueError(
                f"statistic {self.statistic!r} applies to time histories only "
                "(use arc_length_of_max/arc_length_of_min)"
            )
        return self

    @property
    def chosen_curve(self) -> str:
        """The range-graph curve the statistic is taken of."""
        if self.curve is not None:
            return self.curve
        if self.statistic in ("min", "arc_length_of_min"):
            return "min"
        if self.statistic == "mean":
            return "mean"
        return "max"

    @property
    def name(self) -> str:
        """The column heading: ``label`` or a derived one."""
        if self.label:
            return self.label
        parts = [self.object]
        if self.object_extra is not None:
            parts.append(self.object_extra.describe())
        if self.arclength_range is not None:
            parts.append(self.arclength_range.describe())
        parts.append(self.variable)
        if self.command == "range_graph" and self.curve is not None:
            parts.append(f"{self.curve} curve")
        if self.statistic is not None:
            parts.append(self.statistic)
        if self.command == "static_result":
            parts.append("static")
        if self.command == "data" and self.index not in (None, -1):
            parts.append(f"[{self.index}]")
        if self.period is not None and self.period.kind != "whole_simulation":
            parts.append(self.period.describe())
        return " ".join(parts)


class SummaryGroup(Frozen):
    """A group of columns: one table."""

    name: str
    """The group's name: the table is ``summary_<name>`` (letters, digits, ``_.-``)."""
    columns: list[SummaryColumn] = Field(min_length=1)
    """The values of each row."""

    @field_validator("name")
    @classmethod
    def _safe(cls, value: str) -> str:
        if not GROUP_NAME.match(value):
            raise ValueError("use letters, digits, '_', '.' and '-' (it names a table)")
        if value.lower() == "errors" or value.lower().endswith("_statistics"):
            raise ValueError("'errors' and names ending in '_statistics' name other tables")
        return value

    @model_validator(mode="after")
    def _unique_labels(self) -> SummaryGroup:
        seen: set[str] = set()
        for column in self.columns:
            if column.name in seen:
                raise ValueError(
                    f"two columns are labelled {column.name!r}; give them distinct 'label's"
                )
            seen.add(column.name)
        return self


class SummarySection(Frozen):
    """The ``summary`` section."""

    groups: list[SummaryGroup] = Field(default_factory=list)
    """One table per group."""
    statistics: list[AcrossStatistic] = Field(default_factory=lambda: list(ACROSS_DEFAULT))
    """Across-file statistics rows of ``summary_<group>_statistics`` (``[]``: no table)."""

    @model_validator(mode="after")
    def _unique_groups(self) -> SummarySection:
        name = first_duplicate(g.name for g in self.groups)
        if name is not None:
            raise ValueError(f"two groups are named {name.lower()!r}")
        return self


@hookimpl
def ofxpost_add_config_sections() -> dict[str, Any]:
    """Declare the ``summary`` section."""
    return {SECTION: SummarySection}


# --------------------------------------------------------------------------- worker


def column_value(model: Any, column: SummaryColumn) -> Any:
    """Read one summary value from ``model``."""
    if column.command == "data":
        index = -1 if column.index is None else column.index
        return reading.input_data(model, column.object, column.variable, index)
    if column.command == "static_result":
        value = reading.static_result(model, column.object, column.variable, column.object_extra)
        return float(reading.apply_transform(value, column.transform))
    statistic = column.statistic or "max"
    if column.command == "time_history":
        values = reading.time_history(
            model, column.object, column.variable, column.period, column.object_extra
        )
        values = reading.apply_transform(values, column.transform)
        times = reading.sample_times(model, column.period) if statistic in TIME_STATISTICS else None
        return evaluate(values, statistic, times)
    graph = reading.range_graph(
        model,
        column.object,
        column.variable,
        column.period,
        column.object_extra,
        column.arclength_range,
    )
    curve = reading.apply_transform(graph.curve(column.chosen_curve), column.transform)
    return evaluate(curve, statistic, graph.x)


def extract_group(model: Any, group: SummaryGroup) -> dict[str, list[Any]]:
    """Every value of ``group`` for one file, and an error (or ``None``) per column."""
    values: list[Any] = []
    errors: list[str | None] = []
    for column in group.columns:
        try:
            value = column_value(model, column)
        except Exception as exc:
            values.append(float("nan"))
            errors.append(describe_error(exc))
        else:
            values.append(value)
            errors.append(None)
    return {"values": values, "errors": errors}


@hookimpl
def ofxpost_extract(model: Any, config: Any) -> dict[str, Any] | None:
    """Compute every summary group's values for one file (result ``summary``)."""
    section: SummarySection = config.section(SECTION)
    if not section.groups:
        return None
    return {SECTION: {group.name: extract_group(model, group) for group in section.groups}}


# ----------------------------------------------------------------------- controller


def group_tables(
    records: Sequence[FileRecord], section: SummarySection, config: Any
) -> dict[str, pd.DataFrame]:
    """Build ``summary_<group>``, ``summary_<group>_statistics`` and ``summary_errors``."""
    cases = load_cases_or_empty(config)
    rows: dict[str, list[tuple[int, dict[str, Any]]]] = {g.name: [] for g in section.groups}
    errors: list[tuple[int, dict[str, Any]]] = []
    for record in records:
        ident = fileinfo.identity(record, config.base_dir)
        lead = {
            **ident,
            **cases.for_path(record.path),
            "status": str(record.status),
            **fileinfo.facts(record),
        }
        result = record.results.get(SECTION) if not record.failed else None
        result = result if isinstance(result, dict) else {}
        for group in section.groups:
            found = result.get(group.name) or {}
            values = list(found.get("values") or [])
            problems = list(found.get("errors") or [])
            row = dict(lead)
            for position, column in enumerate(group.columns):
                value = values[position] if position < len(values) else None
                row[column.name] = value
                problem = problems[position] if position < len(problems) else None
                if problem:
                    errors.append(
                        (
                            record.index,
                            {
                                **ident,
                                "group": group.name,
                                "label": column.name,
                                "message": problem,
                            },
                        )
                    )
            rows[group.name].append((record.index, row))
    tables: dict[str, pd.DataFrame] = {}
    lead_columns = [
        *LEADING_COLUMNS,
        *cases.columns,
        "status",
        *fileinfo.FACT_COLUMNS,
    ]
    for group in section.groups:
        labels = [c.name for c in group.columns]
        frame = pd.DataFrame(in_input_order(rows[group.name]), columns=[*lead_columns, *labels])
        frame = fileinfo.fix_dtypes(frame, fileinfo.FLOAT_FACTS)
        frame = fileinfo.value_columns(frame, labels)
        tables[f"{SECTION}_{group.name}"] = frame
        if section.statistics:
            tables[f"{SECTION}_{group.name}_statistics"] = across_files(
                frame, numeric_columns(frame, labels), section.statistics
            )
    tables[f"{SECTION}_errors"] = pd.DataFrame(in_input_order(errors), columns=ERROR_COLUMNS)
    return tables


@hookimpl
def ofxpost_aggregate(
    records: Sequence[FileRecord], config: Any
) -> Mapping[str, pd.DataFrame] | None:
    """Build the summary tables (nothing when no group is configured)."""
    section: SummarySection = config.section(SECTION)
    if not section.groups:
        return None
    return group_tables(records, section, config)
