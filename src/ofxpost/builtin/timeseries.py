"""Built-in plugin: time-series tables (section ``time_series``).

For every file and group: a table ``time_series_<group>_<stem>`` with a ``time``
column (``model.SampleTimes(period)``) and one column per label
(``obj.TimeHistory(variable, period, objectExtra)``). Each file's period is
resolved from that file alone: a ``null`` end means *its own* stop time, never
another file's. Names are made safe for file names and unique. A column that
cannot be read is empty and listed in ``time_series_errors``. These tables go to
CSV/Parquet but not into the Excel workbook.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import Field, field_validator, model_validator

from ofxpost.builtin import fileinfo, reading
from ofxpost.builtin.naming import first_duplicate, safe_name, unique
from ofxpost.builtin.selectors import Frozen, ObjectExtraSpec, PeriodSpec, describe_error
from ofxpost.markers import hookimpl
from ofxpost.records import FileRecord

SECTION = "time_series"
"""The config section, result name and table-name prefix."""
ERROR_COLUMNS: list[str] = ["file", "stem", "group", "label", "message"]
GROUP_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class TimeSeriesColumn(Frozen):
    """One time history."""

    object: str
    """The object's name in the model."""
    variable: str
    """The result variable."""
    object_extra: ObjectExtraSpec | None = None
    """Where on the object."""
    transform: reading.Transform | None = None
    """``sqrt`` or ``abs`` of every sample."""
    label: str | None = Field(default=None, min_length=1)
    """The column heading (default: object, point and variable)."""

    @property
    def name(self) -> str:
        """``label`` or a derived one."""
        if self.label:
            return self.label
        parts = [self.object]
        if self.object_extra is not None:
            parts.append(self.object_extra.describe())
        parts.append(self.variable)
        return " ".join(parts)


class TimeSeriesGroup(Frozen):
    """Columns sharing one period: one table per file."""

    name: str
    """The group's name (letters, digits, ``_.-``)."""
    period: PeriodSpec | None = None
    """Default ``whole_simulation``; ``[t0, null]`` ends at each file's own stop time."""
    columns: list[TimeSeriesColumn] = Field(min_length=1)
    """The time histories."""

    @field_validator("name")
    @classmethod
    def _safe(cls, value: str) -> str:
        if not GROUP_NAME.match(value):
            raise ValueError("use letters, digits, '_', '.' and '-' (it names tables)")
        return value

    @model_validator(mode="after")
    def _unique_labels(self) -> TimeSeriesGroup:
        names = [c.name for c in self.columns]
        for name in names:
            if name == "time" or names.count(name) > 1:
                raise ValueError(f"column label {name!r} is used twice (or is 'time')")
        return self


class TimeSeriesSection(Frozen):
    """The ``time_series`` section."""

    groups: list[TimeSeriesGroup] = Field(default_factory=list)
    """One table per group and file."""

    @model_validator(mode="after")
    def _unique_groups(self) -> TimeSeriesSection:
        name = first_duplicate(g.name for g in self.groups)
        if name is not None:
            raise ValueError(f"two groups are named {name.lower()!r}")
        return self


@hookimpl
def ofxpost_add_config_sections() -> dict[str, Any]:
    """Declare the ``time_series`` section."""
    return {SECTION: TimeSeriesSection}


def extract_group(model: Any, group: TimeSeriesGroup) -> dict[str, Any]:
    """One group for one file: a DataFrame (``time`` + labels) and the column errors."""
    try:
        times = reading.sample_times(model, group.period)
    except Exception as exc:
        return {"frame": None, "errors": [["(period)", describe_error(exc)]]}
    data: dict[str, Any] = {"time": times}
    errors: list[list[str]] = []
    for column in group.columns:
        try:
            values = reading.time_history(
                model, column.object, column.variable, group.period, column.object_extra
            )
            values = np.asarray(reading.apply_transform(values, column.transform), dtype=float)
            if values.shape != times.shape:
                raise ValueError(
                    f"{values.size} samples for {times.size} sample times in this period"
                )
        except Exception as exc:
            values = np.full(times.shape, np.nan)
            errors.append([column.name, describe_error(exc)])
        data[column.name] = values
    return {"frame": pd.DataFrame(data), "errors": errors}


@hookimpl
def ofxpost_extract(model: Any, config: Any) -> dict[str, Any] | None:
    """Read every time-series group for one file (result ``time_series``)."""
    section: TimeSeriesSection = config.section(SECTION)
    if not section.groups:
        return None
    return {SECTION: {group.name: extract_group(model, group) for group in section.groups}}


def series_tables(
    records: Sequence[FileRecord], section: TimeSeriesSection, base_dir: Path | None = None
) -> dict[str, pd.DataFrame]:
    """One table per file and group, plus ``time_series_errors``."""
    named: list[tuple[int, tuple[str, pd.DataFrame]]] = []
    errors: list[tuple[int, dict[str, Any]]] = []
    for record in records:
        if record.failed:
            continue
        ident = fileinfo.identity(record, base_dir)
        result = record.results.get(SECTION)
        result = result if isinstance(result, dict) else {}
        for group in section.groups:
            found = result.get(group.name)
            if not isinstance(found, dict):
                problem = {"group": group.name, "label": "(group)", "message": "not extracted"}
                errors.append((record.index, {**ident, **problem}))
                continue
            for label, message in found.get("errors") or []:
                problem = {"group": group.name, "label": label, "message": message}
                errors.append((record.index, {**ident, **problem}))
            frame = found.get("frame")
            if isinstance(frame, pd.DataFrame):
                columns = ["time", *[c.name for c in group.columns]]
                frame = fileinfo.fix_dtypes(frame.reset_index(drop=True)[columns], columns)
                name = safe_name(f"{SECTION}_{group.name}_{ident['stem']}")
                named.append((record.index, (name, frame)))
    ordered = fileinfo.in_input_order(named)
    names = unique([name for name, _ in ordered])
    tables = {name: frame for name, (_, frame) in zip(names, ordered, strict=True)}
    tables[f"{SECTION}_errors"] = pd.DataFrame(
        fileinfo.in_input_order(errors), columns=ERROR_COLUMNS
    )
    return tables


@hookimpl
def ofxpost_aggregate(
    records: Sequence[FileRecord], config: Any
) -> Mapping[str, pd.DataFrame] | None:
    """Build the time-series tables (nothing when no group is configured)."""
    section: TimeSeriesSection = config.section(SECTION)
    if not section.groups:
        return None
    return series_tables(records, section, config.base_dir)
