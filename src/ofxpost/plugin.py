"""What a plugin needs from ofxpost, in one public module.

Plugins implement the hooks of :mod:`ofxpost.hookspecs` with :data:`hookimpl`; this
module gives them the rest, so that no plugin reaches into ofxpost's private
sub-packages::

    from ofxpost.plugin import hookimpl, artifact_path, set_units, load_cases

* **Markers**: :data:`hookimpl`, :data:`hookspec`.
* **Results**: :class:`Partial` (results together with the items that failed),
  :class:`Job` and :class:`FileRecord` (what an extractor and an aggregator see).
* **Big per-file outputs**: :func:`artifact_path` (inside ``ofxpost_extract``).
* **Table metadata** that every writer reads: :func:`set_units` / :func:`units`,
  :func:`set_allowables` / :func:`allowables`, :func:`add_warning`.
* **Load cases** joined to files: :func:`load_cases` (the ``load_matrix`` section's
  rows by file), :class:`LoadCases`, :func:`simulation_stem`.
* **Units**: :func:`conversion_factor` and :func:`parse_unit` read OrcaFlex unit
  strings (``kN``, ``kN.m``, ``te``) with pint (:func:`registry`, :func:`pint_text`);
  :class:`UnitConversionError` names what could not be converted.
* **Writers**: :class:`TablesNotWritten`, raised by a writer that wrote what it
  could but not every table.
* **Report**: :class:`ReportSection`, what ``ofxpost_report_sections`` returns.
* **Folds**: :class:`Fold`, what ``ofxpost_start_fold`` returns.
* **Executors**: the :class:`FileExecutor` protocol and :data:`ExecutorFactory`
  (``run_batch(..., executor=...)``).
* **Start-up**: :func:`on_first_use`, a heavy module (numpy, pandas, scipy)
  imported when first used rather than when the controller registers the plugin.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ofxpost._builtin.support.fileinfo import simulation_stem
from ofxpost._builtin.support.loadcases import LoadCases, load_cases
from ofxpost._builtin.support.tableunits import (
    ALLOWABLE_ATTR,
    UNITS_ATTR,
    WARNINGS_ATTR,
    add_problem,
    column_allowables,
    column_units,
)
from ofxpost._core.fold import Fold
from ofxpost._core.lazymodule import on_first_use
from ofxpost._core.markers import hookimpl, hookspec
from ofxpost._core.partial import Partial
from ofxpost._core.records import FileRecord, Job
from ofxpost._core.report import ReportSection
from ofxpost._core.units import conversion_factor, parse_unit, pint_text, registry
from ofxpost._executors.protocol import ExecutorFactory, FileExecutor
from ofxpost._store.artifacts import artifact_path
from ofxpost.errors import LoadMatrixError, TablesNotWritten, UnitConversionError

if TYPE_CHECKING:
    import pandas as pd


def set_units(frame: pd.DataFrame, units: Mapping[str, str]) -> None:
    """Record the unit of each named column of ``frame`` (merged with those set before).

    Every writer shows them: CSV headers (``max_tension [kN]``), Parquet field
    metadata, the workbook's units row. An empty unit removes a column's unit.
    """
    merged = dict(frame.attrs.get(UNITS_ATTR) or {})
    for column, unit in units.items():
        if unit:
            merged[str(column)] = str(unit)
        else:
            merged.pop(str(column), None)
    frame.attrs[UNITS_ATTR] = merged


def units(frame: pd.DataFrame) -> dict[str, str]:
    """``{column: unit}`` for the columns of ``frame`` that have a unit."""
    return column_units(frame)


def set_allowables(
    frame: pd.DataFrame, limits: Mapping[str, Mapping[str, float | None]]
) -> None:
    """Record allowables: ``{column: {"max": v, "min": v}}`` (either key).

    Writers flag the values past them and the report shows each column's
    utilisation against them.
    """
    merged: dict[str, Any] = dict(frame.attrs.get(ALLOWABLE_ATTR) or {})
    for column, bounds in limits.items():
        merged[str(column)] = {k: v for k, v in bounds.items() if k in ("max", "min")}
    frame.attrs[ALLOWABLE_ATTR] = merged


def allowables(frame: pd.DataFrame) -> dict[str, dict[str, float]]:
    """``{column: {"max": v, "min": v}}`` for the columns of ``frame`` with limits."""
    return column_allowables(frame)


def add_warning(frame: pd.DataFrame, message: str) -> None:
    """Attach a warning to an aggregated table; the controller emits it as a
    ``warning`` event naming the table and the plugin."""
    frame.attrs[WARNINGS_ATTR] = [*list(frame.attrs.get(WARNINGS_ATTR) or ()), str(message)]


__all__ = [
    "ExecutorFactory",
    "FileExecutor",
    "FileRecord",
    "Fold",
    "Job",
    "LoadCases",
    "LoadMatrixError",
    "Partial",
    "ReportSection",
    "TablesNotWritten",
    "UnitConversionError",
    "add_problem",
    "add_warning",
    "allowables",
    "artifact_path",
    "conversion_factor",
    "hookimpl",
    "hookspec",
    "load_cases",
    "on_first_use",
    "parse_unit",
    "pint_text",
    "registry",
    "set_allowables",
    "set_units",
    "simulation_stem",
    "units",
]
