"""Built-in plugin: linked statistics (section ``linked_statistics``).

For each column, OrcFxAPI's ``LinkedStatistics([primary, *linked], period,
objectExtra)`` is queried once per linked variable: the primary variable's maximum
and minimum, the times they occur, and each linked variable's value at those
times.

The ``linked_statistics`` table is *long* (tidy): one row per file × column ×
linked variable, in input order, then column order, then linked-variable order::

    file, stem, <load-case columns>, status, label, object, primary, linked_variable,
    value_at_max, time_of_max, linked_value_at_max,
    value_at_min, time_of_min, linked_value_at_min, error

A failed file gives one row per column and linked variable with empty values.
``linked_statistics_statistics`` holds the across-file min/max/mean/std of each
value column per (label, linked_variable).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
from pydantic import Field, model_validator

from ofxpost.builtin import fileinfo, reading
from ofxpost.builtin.loadmatrix import load_cases_or_empty
from ofxpost.builtin.selectors import Frozen, ObjectExtraSpec, PeriodSpec, describe_error
from ofxpost.builtin.stats import ACROSS_FILES, across_files
from ofxpost.markers import hookimpl
from ofxpost.records import FileRecord

SECTION = "linked_statistics"
"""The config section, result name and table name."""

VALUE_COLUMNS: list[str] = [
    "value_at_max",
    "time_of_max",
    "linked_value_at_max",
    "value_at_min",
    "time_of_min",
    "linked_value_at_min",
]
"""The six numbers of a query, in column order."""


class LinkedColumn(Frozen):
    """A primary variable and the variables read at its extremes."""

    object: str
    """The object's name in the model."""
    variable: str
    """The primary variable (its max and min are found)."""
    linked_variables: list[str] = Field(min_length=1)
    """Variables read at the times of the primary variable's max and min."""
    period: PeriodSpec | None = None
    """Default ``whole_simulation``."""
    object_extra: ObjectExtraSpec | None = None
    """Where on the object (line point ...)."""
    label: str | None = Field(default=None, min_length=1)
    """Identifies the column in the table (default: object, point and variable)."""

    @property
    def name(self) -> str:
        """``label`` or a derived one."""
        if self.label:
            return self.label
        parts = [self.object]
        if self.object_extra is not None:
            parts.append(self.object_extra.describe())
        parts.append(self.variable)
        if self.period is not None and self.period.kind != "whole_simulation":
            parts.append(self.period.describe())
        return " ".join(parts)


class LinkedSection(Frozen):
    """The ``linked_statistics`` section."""

    columns: list[LinkedColumn] = Field(default_factory=list)
    """The linked-statistics queries."""
    statistics: list[str] = Field(default_factory=lambda: list(ACROSS_FILES))
    """Across-file statistics of ``linked_statistics_statistics`` (``[]``: no table)."""

    @model_validator(mode="after")
    def _check(self) -> LinkedSection:
        names = [c.name for c in self.columns]
        for name in names:
            if names.count(name) > 1:
                raise ValueError(f"two columns are labelled {name!r}; give distinct 'label's")
        for statistic in self.statistics:
            if statistic not in ACROSS_FILES:
                raise ValueError(f"statistics: {statistic!r} is not one of {list(ACROSS_FILES)}")
        return self


@hookimpl
def ofxpost_add_config_sections() -> dict[str, Any]:
    """Declare the ``linked_statistics`` section."""
    return {SECTION: LinkedSection}


def extract_column(model: Any, column: LinkedColumn) -> dict[str, Any]:
    """One column for one file: the six values per linked variable, or an error."""
    try:
        found = reading.linked_statistics(
            model,
            column.object,
            column.variable,
            list(column.linked_variables),
            column.period,
            column.object_extra,
        )
    except Exception as exc:
        return {"error": describe_error(exc), "values": None}
    return {"error": None, "values": [found[v].as_list() for v in column.linked_variables]}


@hookimpl
def ofxpost_extract(model: Any, config: Any) -> dict[str, Any] | None:
    """Query every linked-statistics column for one file (result ``linked_statistics``)."""
    section: LinkedSection = config.section(SECTION)
    if not section.columns:
        return None
    return {SECTION: [extract_column(model, column) for column in section.columns]}


def linked_table(
    records: Sequence[FileRecord], section: LinkedSection, config: Any
) -> pd.DataFrame:
    """The long ``linked_statistics`` table."""
    cases = load_cases_or_empty(config)
    rows: list[tuple[int, dict[str, Any]]] = []
    for record in records:
        lead = {
            **fileinfo.identity(record, config.base_dir),
            **cases.for_path(record.path),
            "status": str(record.status),
        }
        result = record.results.get(SECTION) if not record.failed else None
        answers = result if isinstance(result, list) else []
        for position, column in enumerate(section.columns):
            answer = answers[position] if position < len(answers) else {}
            values = answer.get("values") if isinstance(answer, dict) else None
            error = answer.get("error") if isinstance(answer, dict) else None
            if record.failed:
                error = "file failed"
            elif not answers:
                error = "no linked statistics were extracted for this file"
            for n, variable in enumerate(column.linked_variables):
                numbers = values[n] if values else [None] * len(VALUE_COLUMNS)
                rows.append(
                    (
                        record.index,
                        {
                            **lead,
                            "label": column.name,
                            "object": column.object,
                            "primary": column.variable,
                            "linked_variable": variable,
                            **dict(zip(VALUE_COLUMNS, numbers, strict=True)),
                            "error": error,
                        },
                    )
                )
    columns = [
        "file",
        "stem",
        *cases.columns,
        "status",
        "label",
        "object",
        "primary",
        "linked_variable",
        *VALUE_COLUMNS,
        "error",
    ]
    frame = pd.DataFrame(fileinfo.in_input_order(rows), columns=columns)
    return fileinfo.fix_dtypes(frame, VALUE_COLUMNS)


@hookimpl
def ofxpost_aggregate(
    records: Sequence[FileRecord], config: Any
) -> Mapping[str, pd.DataFrame] | None:
    """Build ``linked_statistics`` and ``linked_statistics_statistics``."""
    section: LinkedSection = config.section(SECTION)
    if not section.columns:
        return None
    table = linked_table(records, section, config)
    tables = {SECTION: table}
    if section.statistics:
        tables[f"{SECTION}_statistics"] = across_files(
            table, VALUE_COLUMNS, section.statistics, keys=("label", "linked_variable")
        )
    return tables
