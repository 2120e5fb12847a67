"""The summary tables, built in the controller from each file's summary values.

:class:`SummaryFold` folds the records into ``summary_<group>``,
``summary_<group>_statistics``, ``summary_errors`` and (with allowables)
``summary_alerts``; :func:`breaches` finds one file's values beyond their
allowables (the watch mode's alerts). The config models and the worker side are in
:mod:`ofxpost._builtin.summary`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ofxpost._builtin.support import feature, fileinfo, unitmix
from ofxpost._builtin.support.feature import FileViews
from ofxpost._builtin.support.pandas import pd
from ofxpost._builtin.support.stats import across_files, numeric_columns
from ofxpost._builtin.support.tableunits import add_problem
from ofxpost._core.records import FileRecord

if TYPE_CHECKING:
    from ofxpost._config.model import Config

SECTION = "summary"
"""The config section, result name and table-name prefix."""

ERROR_COLUMNS: list[str] = ["file", "stem", "group", "label", "message"]

ALERT_COLUMNS: list[str] = [
    "file",
    "stem",
    "group",
    "label",
    "value",
    "unit",
    "limit",
    "allowable",
    "utilisation",
]
"""Columns of ``summary_alerts``: one row per value beyond its allowable."""


# ----------------------------------------------------------------------- controller


def utilisation(value: float, limit: str, allowable: float) -> float | None:
    """How far ``value`` uses its allowable: ``value / max`` or ``min / value``.

    Above 1 means exceeded for positive quantities; ``None`` when the denominator is 0.
    """
    numerator, denominator = (value, allowable) if limit == "max" else (allowable, value)
    return None if denominator == 0 else float(numerator) / float(denominator)


def breaches(record: FileRecord, config: Config | None) -> list[dict[str, Any]]:
    """Every summary value of one file's ``record`` beyond its column's allowable.

    Each breach is ``{group, label, value, limit ("max"/"min"), allowable,
    utilisation}``, in group and column order. Nothing for a failed file, a config
    without a summary section or a value that is not a number. The watch mode calls
    this as each file's record arrives, before the outputs are refreshed.
    """
    if config is None:
        return []
    try:
        section: Any = config.section(SECTION)
    except KeyError:
        return []
    if record.failed:
        return []
    found = record.results.get(SECTION)
    if not isinstance(found, dict):
        return []
    out: list[dict[str, Any]] = []
    for group in section.groups:
        answer = found.get(group.name) or {}
        values = list(answer.get("values") or [])
        units = list(answer.get("units") or [])
        for position, column in enumerate(group.columns):
            if column.allowable is None or position >= len(values):
                continue
            stated = units[position] if position < len(units) else None
            compared = _in_one_unit(values[position], stated, column, group.name)
            if compared is None:
                continue  # a unit that cannot be converted: reported in summary_errors
            value, allowable, unit = compared
            if not allowable.exceeded(value):
                continue
            limit, bound = (
                ("max", allowable.max)
                if allowable.max is not None and value > allowable.max
                else ("min", allowable.min)
            )
            assert bound is not None
            out.append(
                {
                    "group": group.name,
                    "label": column.name,
                    "value": float(value),
                    "unit": unit,
                    "limit": limit,
                    "allowable": float(bound),
                    "utilisation": utilisation(float(value), limit, float(bound)),
                }
            )
    return out


def _in_one_unit(
    value: Any, stated: Any, column: Any, group: str
) -> tuple[Any, Any, str | None] | None:
    """``value`` (in the file's ``stated`` unit) and the column's allowable, both in one
    unit, and that unit (``None`` when none is known): the column's ``unit`` if given,
    else the allowable's, else the file's own. ``None`` when the units cannot be
    converted (the summary table reports that)."""
    from ofxpost._core.units import conversion_factor
    from ofxpost.errors import UnitConversionError

    allowable = column.allowable
    target = column.unit or allowable.unit or stated
    where = f"summary group {group!r}, column {column.name!r}"
    try:
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if target and stated and stated != target and number:
            value = value * conversion_factor(str(stated), str(target), where)
        return value, allowable.in_unit(target, where), str(target) if target else None
    except UnitConversionError:
        return None


class SummaryFold:
    """The summary tables, folded record by record (see :mod:`ofxpost._finish.folding`)."""

    def __init__(self, section: Any, config: Config | None = None) -> None:
        """Fold for ``section`` (a :class:`~ofxpost._builtin.summary.SummarySection`)."""
        self.section = section
        self.files = FileViews.for_config(SECTION, config, load_cases=True)
        self._rows: dict[str, list[tuple[int, dict[str, Any]]]] = {
            g.name: [] for g in section.groups
        }
        self._units: dict[str, list[tuple[int, list[Any]]]] = {g.name: [] for g in section.groups}
        self._errors = feature.ErrorRows(ERROR_COLUMNS)
        self._config = config
        self._alerts = feature.ErrorRows(ALERT_COLUMNS)
        self._limited = any(c.allowable is not None for g in section.groups for c in g.columns)

    def add(self, record: FileRecord) -> None:
        """Take one file's record: its row of each group and its errors."""
        files, errors = self.files, self._errors
        for view in files([record], dict):
            lead = files.lead(view, facts=True)
            for group in self.section.groups:
                found = (view.result or {}).get(group.name)
                found = found if isinstance(found, dict) else {}
                if view.missing is not None:
                    errors.add(view, group=group.name, label="(file)", message=view.missing)
                values = list(found.get("values") or [])
                problems = list(found.get("errors") or [])
                self._units[group.name].append((view.index, list(found.get("units") or [])))
                row = dict(lead)
                for position, column in enumerate(group.columns):
                    row[column.name] = values[position] if position < len(values) else None
                    problem = problems[position] if position < len(problems) else None
                    if problem:
                        errors.add(view, group=group.name, label=column.name, message=problem)
                self._rows[group.name].append((view.index, row))
        if self._limited:
            for view in files([record], dict):
                for breach in breaches(record, self._config) if not record.failed else []:
                    self._alerts.add(view, **breach)

    def tables(self) -> dict[str, pd.DataFrame]:
        """``summary_<group>``, ``summary_<group>_statistics`` and ``summary_errors``."""
        section = self.section
        tables: dict[str, pd.DataFrame] = {}
        lead_columns = self.files.lead_columns(facts=True)
        unit_errors: list[tuple[int, dict[str, Any]]] = []
        for group in section.groups:
            labels = [c.name for c in group.columns]
            indexed = sorted(self._rows[group.name], key=lambda pair: pair[0])
            rows = [dict(row) for _, row in indexed]
            units = fileinfo.in_input_order(self._units[group.name])
            targets = unitmix.column_units(units, len(labels), [c.unit for c in group.columns])
            for problem in unitmix.harmonise(
                rows, units, labels, targets, f"{SECTION} group {group.name!r}"
            ):
                row = rows[problem.row]
                if row.get("status") == "ok":
                    row["status"] = "partial"
                cells = {"file": row.get("file"), "stem": row.get("stem"), "group": group.name}
                cells.update(label=problem.label, message=problem.message)
                unit_errors.append((indexed[problem.row][0], cells))
            frame = pd.DataFrame(rows, columns=[*lead_columns, *labels])
            frame = fileinfo.fix_dtypes(frame, fileinfo.FLOAT_FACTS)
            frame = fileinfo.value_columns(frame, labels)
            known = dict(zip(labels, targets, strict=True))
            feature.set_units(frame, {**known, "start_time": "s", "stop_time": "s"})
            limits = {
                c.name: c.allowable.in_unit(
                    known.get(c.name), f"summary group {group.name!r}, column {c.name!r}"
                )
                for c in group.columns
                if c.allowable is not None
            }
            tables[f"{SECTION}_{group.name}"] = feature.add_exceeds(frame, limits)
            if section.statistics:
                statistics = across_files(frame, numeric_columns(frame, labels), section.statistics)
                tables[f"{SECTION}_{group.name}_statistics"] = feature.set_units(statistics, known)
        errors = self._errors.frame(unit_errors)
        for _, cells in unit_errors:  # a value left empty: the batch may not exit 0
            add_problem(errors, f"{cells['file']}: column {cells['label']!r}: {cells['message']}")
        tables[f"{SECTION}_errors"] = errors
        if self._limited:  # only with an allowable: other configs keep their tables
            alerts = self._alerts.frame()
            alerts = fileinfo.fix_dtypes(alerts, ["value", "allowable", "utilisation"])
            tables[f"{SECTION}_alerts"] = alerts
        return tables


def group_tables(
    records: Sequence[FileRecord], section: Any, config: Config | None = None
) -> dict[str, pd.DataFrame]:
    """Build ``summary_<group>``, ``summary_<group>_statistics`` and ``summary_errors``."""
    fold = SummaryFold(section, config)
    for record in records:
        fold.add(record)
    return fold.tables()
