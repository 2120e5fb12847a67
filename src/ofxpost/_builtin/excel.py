"""Built-in writer: one Excel workbook of the post-processing tables (section ``excel``).

Written when ``xlsx`` is in ``outputs.formats``, to ``output_dir/<excel.name>``
(default ``ofxpost-results.xlsx``). Sheets, in this order, each only when its table
exists: every summary group and its statistics, ``linked_statistics`` and its
statistics, ``range_graph_envelope``, ``load_matrix``, ``load_matrix_mismatches``
(when there are any), every other table a plugin writes (e.g. ``fatigue_damage``,
``fatigue_life``; in name order),
``weighted_statistics`` (probability-weighted across-file statistics of the
summary groups, when the load matrix has a ``probability`` column), ``errors``
(the column errors of every feature, with a ``feature`` column), ``failures``
(the core table) and ``definitions`` (periods, statistics, sign conventions,
units, allowables, source files, ofxpost version).

Report-ready: each sheet has a units row under the header (row 2, empty where a
column has no unit, so that a reader can always skip it), number formats, column
widths from the contents, and values beyond the table's allowables flagged (red
fill, bold red font). Time-series tables, the long ``range_graph`` table,
``files`` and ``run_log`` are left out. Sheet names are cut to 31 characters and made unique.

The file is deterministic: the workbook's created/modified dates are fixed and
every zip entry gets the same timestamp, so equal tables give equal bytes.
"""

from __future__ import annotations

import datetime
import io
import math
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import field_validator

from ofxpost._builtin.loadmatrix import weighted_table
from ofxpost._builtin.support.definitions import definitions_table
from ofxpost._builtin.support.naming import SHEET_NAME_MAX, plain_output_name, sheet_name, unique
from ofxpost._builtin.support.numpy import np
from ofxpost._builtin.support.pandas import pd
from ofxpost._builtin.support.selectors import Frozen
from ofxpost._builtin.support.tableunits import column_allowables, column_units
from ofxpost._core import atomic
from ofxpost._core.markers import hookimpl
from ofxpost._core.printable import escape_controls

if TYPE_CHECKING:
    from ofxpost._config.model import Config

SECTION = "excel"
"""The config section."""
DEFAULT_NAME = "ofxpost-results.xlsx"
"""Default workbook file name."""
FIXED_DATE = datetime.datetime(2000, 1, 1)
"""The created/modified date written into every workbook (for reproducible bytes)."""
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
"""Timestamp of every entry of the workbook's zip container."""
DEFINITIONS = "definitions"
"""Title of the last sheet: periods, statistics, sign conventions, units, sources."""
WEIGHTED = "weighted_statistics"
"""Sheet of probability-weighted across-file statistics (load matrix with probabilities)."""

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
        return plain_output_name(value, ".xlsx")


@hookimpl
def ofxpost_add_config_sections() -> dict[str, Any]:
    """Declare the ``excel`` section."""
    return {SECTION: ExcelSection}


def _summary_groups(config: Config) -> list[str]:
    try:
        section = config.section("summary")
    except KeyError:
        return []
    return [group.name for group in getattr(section, "groups", [])]


def workbook_tables(
    tables: Mapping[str, pd.DataFrame], config: Config
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
    if "load_matrix_mismatches" in tables and not tables["load_matrix_mismatches"].empty:
        chosen.append(("load_matrix_mismatches", tables["load_matrix_mismatches"]))
    weighted = weighted_table(tables, config)
    if weighted is not None:
        chosen.append((WEIGHTED, weighted))
    taken = {name for name, _ in chosen} | {WEIGHTED}
    chosen += [(name, tables[name]) for name in sorted(tables) if plugin_table(name, taken)]
    errors = error_table(tables)
    if errors is not None:
        chosen.append(("errors", errors))
    if "failures" in tables:
        chosen.append(("failures", tables["failures"]))
    return chosen


SERIES_SHEETS: tuple[str, ...] = ("time_series_histogram_", "time_series_summation_")
"""Time-series tables that do get a sheet (one per group, not one per file)."""

NOT_SHEETS: tuple[str, ...] = ("files", "run_log", "range_graph", "failures", "report_")
"""Tables (and prefixes) that get no sheet of their own (besides the named ones)."""


def plugin_table(name: str, taken: set[str]) -> bool:
    """Whether ``name`` is another table that gets a sheet (a plugin's, e.g. the
    fatigue tables, the time-series histograms and summations): not one placed
    already, not a file's time series, not a feature's errors (those are in
    ``errors``), not the long ``range_graph`` or ``files``."""
    if name in taken or name.endswith("_errors"):
        return False
    if name.startswith("time_series_") and not name.startswith(SERIES_SHEETS):
        return False
    if name in ("load_matrix_mismatches", "summary_errors"):
        return False
    return not any(name == n or (n.endswith("_") and name.startswith(n)) for n in NOT_SHEETS)


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
    if isinstance(value, str):
        return escape_controls(value, keep="\n\t")  # nothing XML cannot hold
    if isinstance(value, bool | int):
        return value
    if value is pd.NA or value is pd.NaT:
        return None
    return str(value)


def number_format(series: pd.Series) -> str | None:
    """The Excel number format of a column (``None``: leave it General).

    Integers ``0``; floats by their largest magnitude: ``#,##0.0`` from 1000,
    ``0.000`` from 0.01 (more decimals when the smallest non-zero value is below
    0.01, so that it shows 4 significant figures: a probability 0.002589 is not
    "0.003"), otherwise scientific ``0.000E+00``. Cells keep the full
    value; the format only sets what is shown.
    """
    if pd.api.types.is_bool_dtype(series) or not pd.api.types.is_numeric_dtype(series):
        return None
    if pd.api.types.is_integer_dtype(series):
        return "0"
    values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
    finite = np.abs(values[np.isfinite(values)])
    if finite.size == 0:
        return "0.000"
    largest = float(finite.max())
    if largest == 0.0:
        return "0.000"
    if largest >= 1e7:
        return "0.000E+00"
    if largest >= 1000.0:
        return "#,##0.0"
    if largest >= 0.01:
        smallest = float(finite[finite > 0].min())
        if smallest < 0.01:  # small values beside larger ones (probabilities): 4 figures
            return "0." + "0" * min(10, 3 - math.floor(math.log10(smallest)))
        return "0.000"
    return "0.000E+00"


def column_width(title: str, unit: str | None, series: pd.Series, fmt: str | None) -> float:
    """A width that shows the header, the unit and typical values (10 to 50)."""
    longest = max(len(title), len(unit or ""))
    sample = series.head(200).tolist()
    for value in sample:
        cell = _cell(value)
        if cell is None:
            continue
        if isinstance(cell, float) and fmt is not None:
            text = f"{cell:,.3f}" if "E" not in fmt else f"{cell:.3e}"
        else:
            text = str(cell)
        longest = max(longest, len(text))
    return float(min(max(10, longest + 2), 50))


def _beyond(value: Any, limits: Mapping[str, float]) -> bool:
    cell = _cell(value)
    if not isinstance(cell, int | float) or isinstance(cell, bool):
        return False
    high, low = limits.get("max"), limits.get("min")
    return (high is not None and cell > high) or (low is not None and cell < low)


def _append(sheet: Any, values: list[Any]) -> None:
    """Append a row of values; a text that starts with ``=`` stays text, never a formula
    (a file named ``=1+2`` is a name, not a calculation).

    The appended row is looked at only when it holds such a text: openpyxl's
    ``max_row`` scans every cell of the sheet, so reading it after each row made a
    sheet's cost grow with the square of its rows (4,000 rows of 21 columns: 12.8 s).
    """
    sheet.append(values)
    if not any(isinstance(v, str) and v.startswith("=") for v in values):
        return
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str) and cell.data_type == "f":
            cell.data_type = "s"


def _write_sheet(workbook: Any, title: str, frame: pd.DataFrame) -> None:
    from openpyxl.styles import Font, PatternFill

    sheet = workbook.create_sheet(title)
    columns = [str(c) for c in frame.columns]
    units = column_units(frame)
    limits = column_allowables(frame)
    _append(sheet, [_cell(c) for c in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    _append(sheet, [_cell(units.get(c)) for c in columns])  # row 2: units, on every sheet
    for cell in sheet[2]:
        cell.font = Font(italic=True)
    first_data_row = 3
    for row in frame.itertuples(index=False, name=None):
        _append(sheet, [_cell(v) for v in row])
    sheet.freeze_panes = f"A{first_data_row}"
    flag_fill = PatternFill(fill_type="solid", start_color="FFFFC7CE", end_color="FFFFC7CE")
    flag_font = Font(bold=True, color="FF9C0006")
    for position, name in enumerate(columns, start=1):
        series = frame.iloc[:, position - 1]
        fmt = number_format(series)
        letter = sheet.cell(row=1, column=position).column_letter
        sheet.column_dimensions[letter].width = column_width(name, units.get(name), series, fmt)
        limit = limits.get(name)
        flags = name == "exceeds" or name.endswith(" exceeds")  # True: flagged like a value
        if fmt is None and limit is None and not flags:
            continue
        for offset, value in enumerate(series.tolist()):
            cell = sheet.cell(row=first_data_row + offset, column=position)
            if fmt is not None:
                cell.number_format = fmt
            if (limit is not None and _beyond(value, limit)) or (flags and value is True):
                cell.fill = flag_fill
                cell.font = flag_font


def build_workbook(
    sheets: list[tuple[str, pd.DataFrame]],
    partial: bool,
    definitions: pd.DataFrame | None = None,
) -> Any:
    """An openpyxl workbook holding ``sheets`` (and a last ``definitions`` sheet).

    Each sheet: a bold header, an italic units row (``df.attrs["ofxpost.units"]``;
    always there, empty where a column has none), number formats (:func:`number_format`),
    column widths (:func:`column_width`), frozen header rows, and values beyond
    ``df.attrs["ofxpost.allowable"]`` flagged with a red fill and bold red font.
    """
    from openpyxl import Workbook

    workbook = Workbook()
    default = workbook.active
    if default is not None:
        workbook.remove(default)
    all_sheets = list(sheets)
    if definitions is not None:
        all_sheets.append((DEFINITIONS, definitions))
    titles = [sheet_name(title) for title, _ in all_sheets]
    if partial:
        titles.insert(0, "PARTIAL")
    titles = unique(titles, limit=SHEET_NAME_MAX)
    if partial:
        note = workbook.create_sheet(titles.pop(0))
        note.append(["The batch was cancelled: these tables cover only the files that finished."])
    for title, (_, frame) in zip(titles, all_sheets, strict=True):
        _write_sheet(workbook, title, frame)
    if not workbook.sheetnames:
        workbook.create_sheet("empty")
    props = workbook.properties
    props.created = FIXED_DATE
    props.modified = FIXED_DATE
    props.creator = "ofxpost"
    props.lastModifiedBy = "ofxpost"
    return workbook


class _FixedZip(zipfile.ZipFile):
    """A zip archive whose entries all have a fixed date and mode (no clock, no umask).

    openpyxl adds some parts from strings (``writestr``) and each worksheet from a
    temporary file (``write``, which would take the file's date and mode); both
    become one fixed entry here, so the archive is written in one pass.
    """

    def writestr(  # type: ignore[override]
        self,
        zinfo_or_arcname: str | zipfile.ZipInfo,
        data: str | bytes,
        compress_type: int | None = None,
        compresslevel: int | None = None,
    ) -> None:
        name = (
            zinfo_or_arcname.filename
            if isinstance(zinfo_or_arcname, zipfile.ZipInfo)
            else zinfo_or_arcname
        )
        entry = zipfile.ZipInfo(name, date_time=ZIP_DATE)
        entry.compress_type = zipfile.ZIP_DEFLATED
        entry.external_attr = 0o600 << 16
        super().writestr(entry, data)

    def write(
        self,
        filename: Any,
        arcname: Any = None,
        compress_type: int | None = None,
        compresslevel: int | None = None,
    ) -> None:
        name = str(arcname if arcname is not None else filename)
        self.writestr(name, Path(filename).read_bytes())


def save_deterministic(workbook: Any, path: Path) -> Path:
    """Save ``workbook`` to ``path`` with fixed timestamps (same tables, same bytes)."""
    from openpyxl.writer.excel import ExcelWriter

    fixed = io.BytesIO()
    with _FixedZip(fixed, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(workbook, archive).write_data()
    return atomic.write_bytes(path, fixed.getvalue())


@hookimpl
def ofxpost_write_outputs(
    tables: Mapping[str, pd.DataFrame], output_dir: Path, config: Config, partial: bool
) -> list[Path] | None:
    """Write the workbook when ``xlsx`` is among ``outputs.formats``."""
    outputs = config.section("outputs")
    if "xlsx" not in outputs.formats:
        return None
    if outputs.tables is not None:
        tables = {k: v for k, v in tables.items() if k in outputs.tables}
    section: ExcelSection = config.section(SECTION)
    sheets = workbook_tables(tables, config)
    chosen = dict(sheets)
    if "files" in tables:
        chosen.setdefault("files", tables["files"])
    workbook = build_workbook(sheets, partial, definitions_table(chosen, config))
    return [save_deterministic(workbook, output_dir / section.name)]
