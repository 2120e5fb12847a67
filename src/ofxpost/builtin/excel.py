"""Built-in writer: one Excel workbook of the post-processing tables (section ``excel``).

Written when ``xlsx`` is in ``outputs.formats``, to ``output_dir/<excel.name>``
(default ``ofxpost-results.xlsx``). Sheets, in this order, each only when its table
exists: every summary group and its statistics, ``linked_statistics`` and its
statistics, ``range_graph_envelope``, ``load_matrix``, ``errors`` (the column
errors of every feature, with a ``feature`` column) and ``failures`` (the core
table). Time-series tables, the long ``range_graph`` table, ``files`` and
``run_log`` are left out. Sheet names are cut to 31 characters and made unique.

The file is deterministic: the workbook's created/modified dates are fixed and
every zip entry gets the same timestamp, so equal tables give equal bytes.
"""

from __future__ import annotations

import datetime
import io
import math
import zipfile
from collections.abc import Mapping
from pathlib import Path, PurePath
from typing import Any

import numpy as np
import pandas as pd
from pydantic import field_validator

from ofxpost import atomic
from ofxpost.builtin.naming import SHEET_NAME_MAX, sheet_name, unique
from ofxpost.builtin.selectors import Frozen
from ofxpost.markers import hookimpl
from ofxpost.names import name_problem

SECTION = "excel"
"""The config section."""
DEFAULT_NAME = "ofxpost-results.xlsx"
"""Default workbook file name."""
FIXED_DATE = datetime.datetime(2000, 1, 1)
"""The created/modified date written into every workbook (for reproducible bytes)."""
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
"""Timestamp of every entry of the workbook's zip container."""

ERROR_TABLES: tuple[tuple[str, str], ...] = (
    ("summary", "summary_errors"),
    ("range_graph", "range_graph_errors"),
    ("time_series", "time_series_errors"),
)
ERROR_COLUMNS: list[str] = ["feature", "file", "stem", "group", "label", "message"]


class ExcelSection(Frozen):
    """The ``excel`` section."""

    name: str = DEFAULT_NAME
    """The workbook's file name, in ``output_dir`` (must end in ``.xlsx``)."""

    @field_validator("name")
    @classmethod
    def _plain_name(cls, value: str) -> str:
        if PurePath(value).name != value or "\\" in value or not value.lower().endswith(".xlsx"):
            raise ValueError("a plain file name ending in .xlsx (no folders)")
        problem = name_problem(value)
        if problem is not None:
            raise ValueError(f"a portable file name: {value!r} {problem}")
        return value


@hookimpl
def ofxpost_add_config_sections() -> dict[str, Any]:
    """Declare the ``excel`` section."""
    return {SECTION: ExcelSection}


def _summary_groups(config: Any) -> list[str]:
    try:
        section = config.section("summary")
    except KeyError:
        return []
    return [group.name for group in getattr(section, "groups", [])]


def workbook_tables(
    tables: Mapping[str, pd.DataFrame], config: Any
) -> list[tuple[str, pd.DataFrame]]:
    """The ``(sheet title, table)`` pairs of the workbook, in sheet order."""
    chosen: list[tuple[str, pd.DataFrame]] = []
    names: list[str] = []
    for group in _summary_groups(config):
        names += [f"summary_{group}", f"summary_{group}_statistics"]
    names += [
        "linked_statistics",
        "linked_statistics_statistics",
        "range_graph_envelope",
        "load_matrix",
    ]
    for name in names:
        if name in tables:
            chosen.append((name, tables[name]))
    errors = error_table(tables)
    if errors is not None:
        chosen.append(("errors", errors))
    if "failures" in tables:
        chosen.append(("failures", tables["failures"]))
    return chosen


def error_table(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame | None:
    """Every feature's column errors in one table (``None`` when no feature ran)."""
    parts: list[pd.DataFrame] = []
    seen = False
    for feature, name in ERROR_TABLES:
        if name in tables:
            seen = True
            part = tables[name].copy()
            part.insert(0, "feature", feature)
            parts.append(part.reindex(columns=ERROR_COLUMNS))
    linked = tables.get("linked_statistics")
    if linked is not None:
        seen = True
        failed = linked[linked["error"].notna()]
        if not failed.empty:
            part = failed[["file", "stem", "label", "error"]].rename(columns={"error": "message"})
            part = part.drop_duplicates(subset=["file", "label"])
            part.insert(0, "feature", "linked_statistics")
            parts.append(part.reindex(columns=ERROR_COLUMNS))
    if not seen:
        return None
    parts = [p for p in parts if not p.empty]
    if not parts:
        return pd.DataFrame(columns=ERROR_COLUMNS)
    return pd.concat(parts, ignore_index=True)


def _cell(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if value is None:
        return None
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, bool | int | str):
        return value
    if value is pd.NA or value is pd.NaT:
        return None
    return str(value)


def build_workbook(sheets: list[tuple[str, pd.DataFrame]], partial: bool) -> Any:
    """An openpyxl workbook holding ``sheets``."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    default = workbook.active
    if default is not None:
        workbook.remove(default)
    titles = [sheet_name(title) for title, _ in sheets]
    if partial:
        titles.insert(0, "PARTIAL")
    titles = unique(titles, limit=SHEET_NAME_MAX)
    if partial:
        note = workbook.create_sheet(titles.pop(0))
        note.append(["The batch was cancelled: these tables cover only the files that finished."])
    bold = Font(bold=True)
    for title, (_, frame) in zip(titles, sheets, strict=True):
        sheet = workbook.create_sheet(title)
        sheet.append([str(c) for c in frame.columns])
        for cell in sheet[1]:
            cell.font = bold
        for row in frame.itertuples(index=False, name=None):
            sheet.append([_cell(v) for v in row])
        sheet.freeze_panes = "A2"
        for position, column in enumerate(frame.columns, start=1):
            letter = sheet.cell(row=1, column=position).column_letter
            sheet.column_dimensions[letter].width = min(max(10, len(str(column)) + 2), 40)
    if not workbook.sheetnames:
        workbook.create_sheet("empty")
    props = workbook.properties
    props.created = FIXED_DATE
    props.modified = FIXED_DATE
    props.creator = "ofxpost"
    props.lastModifiedBy = "ofxpost"
    return workbook


def save_deterministic(workbook: Any, path: Path) -> Path:
    """Save ``workbook`` to ``path`` with fixed timestamps (same tables, same bytes)."""
    from openpyxl.writer.excel import ExcelWriter

    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        ExcelWriter(workbook, archive).write_data()
    fixed = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(raw.getvalue())) as source,
        zipfile.ZipFile(fixed, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=ZIP_DATE)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            target.writestr(entry, source.read(info.filename))
    return atomic.write_bytes(path, fixed.getvalue())


@hookimpl
def ofxpost_write_outputs(
    tables: Mapping[str, pd.DataFrame], output_dir: Path, config: Any, partial: bool
) -> list[Path] | None:
    """Write the workbook when ``xlsx`` is among ``outputs.formats``."""
    outputs = config.section("outputs")
    if "xlsx" not in outputs.formats:
        return None
    if outputs.tables is not None:
        tables = {k: v for k, v in tables.items() if k in outputs.tables}
    section: ExcelSection = config.section(SECTION)
    workbook = build_workbook(workbook_tables(tables, config), partial)
    return [save_deterministic(workbook, output_dir / section.name)]
