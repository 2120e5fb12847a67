"""What a plugin hands the HTML report: :class:`ReportSection` (``ofxpost_report_sections``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ReportSection:
    """One section of ``report.html``, contributed by a plugin.

    The report renders ``text`` as a paragraph (plain text: it is escaped) and
    ``table`` (a ``pandas.DataFrame``) as a sortable, filterable table whose header
    shows the units of :func:`ofxpost.plugin.set_units` and whose values beyond
    the allowables of :func:`ofxpost.plugin.set_allowables` are flagged, as in the
    workbook. ``key`` orders the sections (then ``title``) so that the report does
    not depend on the order plugins are called in.
    """

    title: str
    """The section heading."""
    table: Any = None
    """A ``pandas.DataFrame`` to show, or ``None``."""
    text: str = ""
    """A paragraph above the table (plain text)."""
    key: str = ""
    """Sort key among the plugin sections (default: the title)."""
