"""Rendering ``report.html``: one self-contained file (styles, script and plots inlined).

:func:`render` fills the jinja2 template ``ofxpost/templates/report.html.j2`` from a
:class:`ReportInputs`. Every value is escaped (autoescape); plots are SVG in
``data:`` URIs; a Content-Security-Policy forbids every network request. Numbers
are shown with 4 significant figures (the cell's ``data-v`` keeps the full value
for sorting). The output is deterministic: the only fields that change run to run
are the batch's own recorded times, each in an element with ``data-run-time``.
"""

from __future__ import annotations

import base64
import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ofxpost._builtin.support import report_data
from ofxpost._builtin.support.governing import ALERTS_TABLE
from ofxpost._builtin.support.numpy import np
from ofxpost._builtin.support.pandas import pd
from ofxpost._builtin.support.tableunits import column_allowables, column_units
from ofxpost._core.report import ReportSection

if TYPE_CHECKING:
    import jinja2

TEMPLATE = "report.html.j2"
SIGNIFICANT = 4
"""Significant figures of the numbers shown (the full value is in ``data-v``)."""
MAX_ROWS = 2000
"""Rows shown of one table (the rest are in the CSV/Parquet files; the report says so)."""


@dataclass(frozen=True)
class Cell:
    """One table cell as shown."""

    text: str
    sort: str = ""
    flag: bool = False
    numeric: bool = False
    wrap: bool = False


@dataclass(frozen=True)
class HtmlTable:
    """A table ready for the template."""

    ident: str
    headers: list[tuple[str, str]]
    """``(column, unit)``."""
    rows: list[list[Cell]]
    total_rows: int
    flagged: int = 0


@dataclass
class ReportInputs:
    """Everything the report shows."""

    title: str
    tables: Mapping[str, pd.DataFrame]
    header: list[tuple[str, str]]
    """Batch facts, ``(item, value)``, deterministic."""
    run_times: list[tuple[str, str]] = field(default_factory=list)
    """The batch's recorded times (``data-run-time``)."""
    partial: bool = False
    plots: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    """``(label, svg text, exceedance facts)``."""
    sections: Sequence[ReportSection] = ()
    section_errors: list[str] = field(default_factory=list)


def fmt_number(value: Any) -> str:
    """``value`` with :data:`SIGNIFICANT` significant figures ('' for missing)."""
    if value is None or value is pd.NA:
        return ""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if math.isinf(value):
            return "∞" if value > 0 else "-∞"
        if value != 0 and (abs(value) >= 1e6 or abs(value) < 1e-4):
            return f"{value:.{SIGNIFICANT - 1}e}"
        return f"{value:.{SIGNIFICANT}g}" if abs(value) < 10**SIGNIFICANT else f"{value:.0f}"
    return str(value)


def _cell(value: Any, limits: Mapping[str, float] | None) -> Cell:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float | int) and not isinstance(value, bool):
        number = float(value)
        flag = False
        if limits and math.isfinite(number):
            high, low = limits.get("max"), limits.get("min")
            flag = (high is not None and number > high) or (low is not None and number < low)
        return Cell(fmt_number(value), repr(number) if math.isfinite(number) else "", flag, True)
    text = fmt_number(value)
    return Cell(text, text)


def html_table(ident: str, frame: pd.DataFrame) -> HtmlTable:
    """``frame`` as cells, units in the header, values beyond the allowables flagged."""
    units = column_units(frame)
    limits = column_allowables(frame)
    columns = [str(c) for c in frame.columns]
    rows: list[list[Cell]] = []
    flagged = 0
    for values in frame.head(MAX_ROWS).itertuples(index=False, name=None):
        row = [_cell(v, limits.get(c)) for c, v in zip(columns, values, strict=True)]
        flagged += any(cell.flag for cell in row)
        rows.append(row)
    return HtmlTable(ident, [(c, units.get(c, "")) for c in columns], rows, len(frame), flagged)


def governing_table(ident: str, found: Sequence[report_data.Governing]) -> HtmlTable:
    """The governing-case table of one summary group."""
    headers = [
        ("column", ""),
        ("unit", ""),
        ("governs", ""),
        ("value", ""),
        ("governing case", ""),
        ("allowable", ""),
        ("utilisation", ""),
        ("load case", ""),
        ("file", ""),
        ("files", ""),
        ("basis", ""),
    ]
    rows: list[list[Cell]] = []
    flagged = 0
    for item in found:
        cases = "; ".join(f"{k}={fmt_number(v)}" for k, v in item.load_case.items())
        ratio = Cell("", "")
        if item.utilisation is not None:
            text = fmt_number(item.utilisation)
            ratio = Cell(
                f"{text} EXCEEDS" if item.flagged else text,
                repr(item.utilisation),
                item.flagged,
                True,
            )
        elif item.exceeded:
            ratio = Cell("EXCEEDS", "", True)
        flagged += item.flagged
        value = Cell(
            fmt_number(item.value),
            repr(item.value) if item.value is not None else "",
            item.flagged,
            True,
        )
        rows.append(
            [
                Cell(item.column, item.column),
                Cell(item.unit, item.unit),
                Cell(item.side, item.side),
                value,
                Cell(item.stem or "", item.stem or ""),
                Cell(fmt_number(item.allowable), repr(item.allowable or 0.0), numeric=True),
                ratio,
                Cell(cases, cases, wrap=True),
                Cell(item.file or "", item.file or ""),
                Cell(str(item.files), str(item.files), numeric=True),
                Cell(item.reason, item.reason, wrap=True),
            ]
        )
    return HtmlTable(ident, headers, rows, len(rows), flagged)


def svg_uri(svg: str) -> str:
    """An SVG as a ``data:`` URI (no id clashes between plots, nothing fetched)."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


@functools.cache
def template() -> jinja2.Template:
    """The report's compiled template (compiled once per process)."""
    import jinja2

    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("ofxpost", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    environment.filters["num"] = fmt_number
    return environment.get_template(TEMPLATE)


def render(inputs: ReportInputs) -> str:
    """The report's HTML text."""
    tables = inputs.tables
    definitions = tables.get(report_data.COLUMNS_TABLE)
    problems = report_data.files_with_problems(tables)
    groups = report_data.summary_governing(tables, definitions)
    summary_tables = [
        (name, html_table(f"t-{name}", tables[name]), governing_table(f"g-{name}", found))
        for name, found in groups.items()
    ]
    alerts = tables.get(ALERTS_TABLE)
    counts = report_data.status_counts(tables.get("files"))
    shown = [
        name
        for name in sorted(tables)
        if not name.startswith(("report_", "time_series_")) and name != "run_log"
    ]
    definition_table = report_data.definitions_rows(tables, definitions, shown)
    sections = sorted(inputs.sections, key=lambda s: (s.key or s.title, s.title))
    plugin_sections = [
        (s, html_table(f"p-{i}", s.table) if s.table is not None else None)
        for i, s in enumerate(sections)
    ]
    return template().render(
        title=inputs.title,
        header=inputs.header,
        run_times=inputs.run_times,
        partial=inputs.partial,
        counts=counts,
        problems=html_table("problems", problems),
        summaries=summary_tables,
        alerts=html_table("alerts", alerts) if alerts is not None and not alerts.empty else None,
        plots=[(label, svg_uri(svg), facts) for label, svg, facts in inputs.plots],
        plugin_sections=plugin_sections,
        section_errors=inputs.section_errors,
        definitions=html_table("definitions", definition_table),
        max_rows=MAX_ROWS,
    )
