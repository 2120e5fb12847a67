"""Built-in plugin: linked statistics (section ``linked_statistics``).

For each column, OrcFxAPI's ``LinkedStatistics([primary, *linked], period,
objectExtra)`` is queried once per linked variable: the primary variable's maximum
and minimum, the times they occur, and each linked variable's value at those
times.

The ``linked_statistics`` table is *long* (tidy): one row per file × column ×
linked variable, in input order, then column order, then linked-variable order::

    file, stem, <load-case columns>, status, label, object, primary, linked_variable,
    value_at_max, time_of_max, linked_value_at_max,
    value_at_min, time_of_min, linked_value_at_min, mean, std, tz, tc,
    error, primary_unit, linked_unit

``mean``, ``std`` (population), ``tz`` and ``tc`` describe the primary variable over
the period (``TimeSeriesStatistics``; Tz/Tc by Orcina's definitions, in s); they
repeat on each linked variable's row.

The value columns of one table mix variables (kN, kN.m, deg ...), so each row says
its units: ``primary_unit`` (of ``value_at_max``/``value_at_min``/``mean``/``std``)
and ``linked_unit`` (of the linked values): one unit per column and variable, the
first file's (input order), every other file converted into it
(:mod:`ofxpost._builtin.support.linkedunits`).
A failed file gives one row per column and linked variable with empty values.
``linked_statistics_statistics`` holds the across-file min/max/mean/std of each
value column per (label, linked_variable).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pydantic import Field, model_validator

from ofxpost._builtin.support import feature, fileinfo, linkedunits, reading
from ofxpost._builtin.support.feature import Allowable, Extraction, FeatureItem, FileViews
from ofxpost._builtin.support.pandas import pd
from ofxpost._builtin.support.selectors import Frozen, ObjectExtraSpec, PeriodSpec
from ofxpost._builtin.support.stats import ACROSS_FILES, across_files
from ofxpost._builtin.support.tableunits import add_problem
from ofxpost._core.markers import hookimpl
from ofxpost._core.partial import Partial
from ofxpost._core.records import FileRecord

if TYPE_CHECKING:
    from ofxpost._config.model import Config
    from ofxpost._config.plan import Plan

SECTION = "linked_statistics"
"""The config section, result name and table name."""

VALUE_COLUMNS: list[str] = [
    "value_at_max",
    "time_of_max",
    "linked_value_at_max",
    "value_at_min",
    "time_of_min",
    "linked_value_at_min",
    "mean",
    "std",
    "tz",
    "tc",
]
"""The numbers of a query, in column order: six of the query, then the primary
variable's mean, population standard deviation, Tz and Tc (Orcina's definitions)."""

TIME_UNITS: dict[str, str] = {"time_of_max": "s", "time_of_min": "s", "tz": "s", "tc": "s"}
"""Value columns whose unit is seconds whatever the variables."""

LIMIT_COLUMNS: list[str] = ["allowable_max", "allowable_min", "exceeds"]
"""Added after ``error`` when some column has an ``allowable``."""


class LinkedColumn(FeatureItem):
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
    allowable: Allowable | None = None
    """``{max: v}`` / ``{min: v}`` on the primary variable: its value at max above
    ``max``, or its value at min below ``min``, exceeds (column ``exceeds``)."""

    def derived_label(self) -> str:
        """Object, point, variable (and period)."""
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
        feature.check_unique([c.name for c in self.columns], "columns")
        for statistic in self.statistics:
            if statistic not in ACROSS_FILES:
                raise ValueError(f"statistics: {statistic!r} is not one of {list(ACROSS_FILES)}")
        return self


@hookimpl
def ofxpost_add_config_sections() -> dict[str, Any]:
    """Declare the ``linked_statistics`` section."""
    return {SECTION: LinkedSection}


def extract_column(extraction: Extraction, column: LinkedColumn) -> dict[str, Any]:
    """One column for one file: the six values per linked variable, or an error."""
    found, error = extraction.read(
        f"{SECTION} column {column.name!r}",
        column.optional,
        lambda: reading.linked_statistics(
            extraction.model,
            column.object,
            column.variable,
            list(column.linked_variables),
            column.period,
            column.object_extra,
        ),
    )
    units = [
        extraction.units(column.object, v) for v in (column.variable, *column.linked_variables)
    ]
    if found is None:
        return {"error": error, "values": None, "units": units}
    return {
        "error": None,
        "values": [found[v].as_list() for v in column.linked_variables],
        "units": units,
    }


@hookimpl
def ofxpost_extract(model: Any, config: Config) -> Mapping[str, Any] | Partial | None:
    """Query every linked-statistics column for one file (result ``linked_statistics``).

    A column that fails (and is not ``optional``) makes the file ``partial``.
    """
    section: LinkedSection = config.section(SECTION)
    if not section.columns:
        return None
    extraction = Extraction(SECTION, model)
    return extraction.result([extract_column(extraction, column) for column in section.columns])


class LinkedFold:
    """The linked-statistics tables, folded record by record.

    See :mod:`ofxpost._finish.folding`.
    """

    def __init__(self, section: LinkedSection, config: Config | None = None) -> None:
        self.section = section
        self.files = FileViews.for_config(SECTION, config, load_cases=True)
        self.limited = any(c.allowable is not None for c in section.columns)
        self._rows: list[tuple[int, dict[str, Any]]] = []
        self._stated: list[tuple[int, tuple[str | None, str | None]]] = []
        self._problems: list[str] = []

    def add(self, record: FileRecord) -> None:
        """Take one file's record: its rows."""
        files, rows = self.files, self._rows
        for view in files([record], list):
            lead = files.lead(view, facts=False)
            answers = view.result or []
            for position, column in enumerate(self.section.columns):
                answer = answers[position] if position < len(answers) else {}
                values = answer.get("values") if isinstance(answer, dict) else None
                error = view.missing or (answer.get("error") if isinstance(answer, dict) else None)
                units = answer.get("units") if isinstance(answer, dict) else None
                units = [str(u) if u else None for u in units] if isinstance(units, list) else []
                for n, variable in enumerate(column.linked_variables):
                    numbers = values[n] if values else [None] * len(VALUE_COLUMNS)
                    row = {
                        **lead,
                        "label": column.name,
                        "object": column.object,
                        "primary": column.variable,
                        "linked_variable": variable,
                        **dict(zip(VALUE_COLUMNS, numbers, strict=True)),
                        "error": error,
                    }
                    stated = (
                        units[0] if units else None,
                        units[n + 1] if n + 1 < len(units) else None,
                    )
                    rows.append((view.index, row))
                    self._stated.append((view.index, stated))

    def _in_one_unit(self) -> tuple[list[dict[str, Any]], list[tuple[Any, Any]]]:
        """The rows in input order with each column's values in one unit (see
        :mod:`ofxpost._builtin.support.linkedunits`), and each row's units."""
        ordered = sorted(zip(self._rows, self._stated, strict=True), key=lambda p: p[0][0])
        rows = [dict(row) for (_, row), _ in ordered]
        stated = [units for _, (_, units) in ordered]
        units, problems = linkedunits.harmonise(rows, stated, self.section.columns)
        self._problems = problems
        if self.limited:
            columns = {c.name: c for c in self.section.columns}
            for row in rows:
                row.update(_limits(columns[str(row["label"])].allowable, row))
        return rows, units

    def _unit_columns(self, frame: pd.DataFrame, units: list[tuple[Any, Any]]) -> pd.DataFrame:
        """``primary_unit`` and ``linked_unit`` of each row (after ``error``)."""
        primary = [u[0] for u in units]
        linked = [u[1] for u in units]
        at = list(frame.columns).index("error") + 1
        frame.insert(at, "primary_unit", pd.Series(primary, index=frame.index, dtype=object))
        frame.insert(at + 1, "linked_unit", pd.Series(linked, index=frame.index, dtype=object))
        return frame

    def table(self) -> pd.DataFrame:
        """The long ``linked_statistics`` table."""
        columns = [
            *self.files.lead_columns(facts=False),
            "label",
            "object",
            "primary",
            "linked_variable",
            *VALUE_COLUMNS,
            "error",
            *(LIMIT_COLUMNS if self.limited else []),
        ]
        rows, units = self._in_one_unit()
        frame = pd.DataFrame(rows, columns=columns)
        frame = fileinfo.fix_dtypes(frame, [*VALUE_COLUMNS, "allowable_max", "allowable_min"])
        frame = self._unit_columns(frame, units)
        for problem in self._problems:  # a value left empty: the batch may not exit 0
            add_problem(frame, problem)
        return feature.set_units(frame, TIME_UNITS)

    def tables(self) -> dict[str, pd.DataFrame]:
        """``linked_statistics`` and ``linked_statistics_statistics``."""
        table = self.table()
        tables = {SECTION: table}
        if self.section.statistics:
            statistics = across_files(
                table, VALUE_COLUMNS, self.section.statistics, keys=("label", "linked_variable")
            )
            tables[f"{SECTION}_statistics"] = feature.set_units(statistics, TIME_UNITS)
        return tables


def linked_table(
    records: Sequence[FileRecord], section: LinkedSection, config: Config | None = None
) -> pd.DataFrame:
    """The long ``linked_statistics`` table."""
    fold = LinkedFold(section, config)
    for record in records:
        fold.add(record)
    return fold.table()


@hookimpl(specname="ofxpost_start_fold")
def start_fold(config: Config, plan: Plan | None) -> LinkedFold | None:
    """The fold of :func:`ofxpost_aggregate` (``None`` when no column is configured)."""
    section: LinkedSection = config.section(SECTION)
    return LinkedFold(section, config) if section.columns else None


def _limits(allowable: Allowable | None, row: dict[str, Any]) -> dict[str, Any]:
    """``allowable_max``, ``allowable_min`` and ``exceeds`` of one row."""
    if allowable is None:
        return {"allowable_max": None, "allowable_min": None, "exceeds": None}
    at_max, at_min = row["value_at_max"], row["value_at_min"]
    flags = [
        Allowable(max=allowable.max).exceeded(at_max) if allowable.max is not None else False,
        Allowable(min=allowable.min).exceeded(at_min) if allowable.min is not None else False,
    ]
    exceeds = None if None in flags else any(flags)
    return {"allowable_max": allowable.max, "allowable_min": allowable.min, "exceeds": exceeds}


@hookimpl
def ofxpost_aggregate(
    records: Sequence[FileRecord], config: Config
) -> Mapping[str, pd.DataFrame] | None:
    """Build ``linked_statistics`` and ``linked_statistics_statistics``."""
    fold = start_fold(config, None)
    if fold is None:
        return None
    for record in records:
        fold.add(record)
    return fold.tables()
