"""Built-in writer: results written into the client's own workbook (``inject_into``).

Each entry copies one table into a sheet of an existing workbook, and/or single
values into its **defined names** (named cells), and writes the result to
``output_dir/<name>``. Only cell values are written: the workbook's styles,
number formats, column widths, merged cells, other sheets, formulas elsewhere and
defined names are kept (as far as openpyxl keeps them: charts and images are not).
The client's file itself is never changed. When it does not exist, a new workbook
is made (opp's ``inject_into`` did the same)::

    inject_into:
      - workbook: client/riser-results.xlsx   # relative to the config
        table: summary_extremes
        sheet: ofxpost                        # default: the table's name
        cell: B3                              # top-left of the header (default A1)
        names:                                # defined name -> column (governing value)
          MaxTopTension: max_tension
          MinTension: min_tension

A ``names`` value is a column of ``table``; the named cell gets the column's
governing value, chosen as the HTML report chooses it (docs/report.md: by the
allowables, else by the statistic). ``column:max``, ``column:min`` or
``column:first`` choose explicitly. Written when ``xlsx`` is in
``outputs.formats``. The digitalmodel ``opp`` translator turns a summary group's
``inject_into: {flag: true, filename, sheetname}`` into an entry of this section.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any

from pydantic import Field, field_validator, model_validator

from ofxpost._builtin.support import report_data
from ofxpost._builtin.support.pandas import pd
from ofxpost._builtin.support.selectors import Frozen
from ofxpost._core.markers import hookimpl
from ofxpost._core.names import name_problem

if TYPE_CHECKING:
    from ofxpost._config.model import Config

SECTION = "inject_into"
"""The config section."""


class InjectEntry(Frozen):
    """One table (and/or named values) written into one workbook."""

    workbook: str
    """The client's workbook (``.xlsx``/``.xlsm``), relative to the config."""
    table: str
    """The table whose values are written (e.g. ``summary_extremes``)."""
    sheet: str | None = None
    """Sheet that receives the table (default: the table's name; made if missing).
    ``write_table: false`` writes only the ``names``."""
    cell: str = "A1"
    """Top-left cell of the header."""
    write_table: bool = True
    """Write the table (header, then one row per table row)."""
    names: dict[str, str] = Field(default_factory=dict)
    """Defined name -> column (``column``, ``column:max``/``:min``/``:first``)."""
    name: str | None = None
    """The file written in ``output_dir`` (default: the workbook's file name)."""

    @field_validator("name")
    @classmethod
    def _plain_name(cls, value: str | None) -> str | None:
        if value is None:
            return value
        if PurePath(value).name != value or "\\" in value:
            raise ValueError("a plain file name (no folders)")
        problem = name_problem(value)
        if problem is not None:
            raise ValueError(f"a portable file name: {value!r} {problem}")
        return value

    @field_validator("cell")
    @classmethod
    def _cell(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z]{1,3}[1-9][0-9]*", value):
            raise ValueError(f"a cell reference like A1, not {value!r}")
        return value.upper()

    @property
    def output_name(self) -> str:
        """The file name written in ``output_dir``."""
        return self.name or PurePath(self.workbook.replace("\\", "/")).name


class InjectSection(Frozen):
    """The ``inject_into`` section: a list of entries (empty: nothing is written)."""

    entries: list[InjectEntry] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _a_list(cls, value: Any) -> Any:
        return {"entries": value} if isinstance(value, list) else value


@hookimpl
def ofxpost_add_config_sections() -> dict[str, Any]:
    """Declare the ``inject_into`` section."""
    return {SECTION: InjectSection}


def _plain(value: Any) -> Any:
    if hasattr(value, "item"):
        value = value.item()
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, bool | int | float | str):
        return value
    return str(value)


def named_value(frame: pd.DataFrame, spec: str) -> Any:
    """The value a ``names`` entry asks for (see the module doc)."""
    column, _, how = spec.partition(":")
    if column not in frame.columns:
        raise KeyError(f"no column {column!r} in the table (its columns: {list(frame.columns)})")
    if how == "first":
        return _plain(frame[column].iloc[0]) if len(frame) else None
    if how in ("max", "min"):
        values = pd.to_numeric(frame[column], errors="coerce")
        return _plain(values.max() if how == "max" else values.min())
    if how:
        raise ValueError(f"{spec!r}: use column, column:max, column:min or column:first")
    found = report_data.governing("", frame, column)
    if found is None:  # not numeric: the first value
        return _plain(frame[column].iloc[0]) if len(frame) else None
    return found.value


def inject(entry: InjectEntry, frame: pd.DataFrame, source: Path, target: Path) -> Path:
    """Write ``frame`` (and the named values) into a copy of ``source`` at ``target``."""
    from openpyxl import Workbook, load_workbook
    from openpyxl.utils.cell import column_index_from_string, coordinate_from_string

    from ofxpost._builtin.excel import FIXED_DATE, save_deterministic

    if source.is_file():
        workbook = load_workbook(source, keep_vba=source.suffix.lower() == ".xlsm")
    else:
        workbook = Workbook()
        if workbook.active is not None:
            workbook.remove(workbook.active)
    if entry.write_table:
        title = entry.sheet or entry.table[:31]
        sheet = workbook[title] if title in workbook.sheetnames else workbook.create_sheet(title)
        letters, first_row = coordinate_from_string(entry.cell)
        first_column = column_index_from_string(letters)
        rows = [list(map(str, frame.columns))]
        rows += [[_plain(v) for v in row] for row in frame.itertuples(index=False, name=None)]
        for r, values in enumerate(rows):
            for c, value in enumerate(values):
                sheet.cell(row=first_row + r, column=first_column + c).value = value
    for defined, spec in sorted(entry.names.items()):
        if defined not in workbook.defined_names:
            raise KeyError(f"{source.name}: no defined name {defined!r}")
        destinations = list(workbook.defined_names[defined].destinations)
        if not destinations:
            raise KeyError(f"{source.name}: defined name {defined!r} names no cell")
        value = named_value(frame, spec)
        for title, reference in destinations:
            first = reference.replace("$", "").split(":")[0]
            workbook[title][first].value = value
    workbook.properties.created = FIXED_DATE
    workbook.properties.modified = FIXED_DATE
    return save_deterministic(workbook, target)


@hookimpl
def ofxpost_write_outputs(
    tables: Mapping[str, pd.DataFrame], output_dir: Path, config: Config
) -> list[Path] | None:
    """Write each ``inject_into`` entry's workbook when ``xlsx`` is among ``outputs.formats``."""
    section: InjectSection = config.section(SECTION)
    if not section.entries or "xlsx" not in config.section("outputs").formats:
        return None
    from ofxpost.errors import TablesNotWritten

    written: list[Path] = []
    failed: dict[str, BaseException] = {}
    for entry in section.entries:
        key = f"{entry.table} (inject {entry.output_name})"
        if entry.table not in tables:
            failed[key] = KeyError(f"no table {entry.table!r}")
            continue
        try:
            target = output_dir / entry.output_name
            written.append(
                inject(entry, tables[entry.table], config.resolve(entry.workbook), target)
            )
        except Exception as exc:
            failed[key] = exc
    if failed:
        raise TablesNotWritten(failed)
    return written
