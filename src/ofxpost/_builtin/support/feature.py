"""One pattern for the post-processing features.

Summary tables, linked statistics, range graphs and time series are each a config
section of *items* (columns or graphs), a per-file extraction of those items in the
worker, and tables built from the records in the controller. What they share
lives here, so that each feature module is a declaration plus its own computation:

* **Items.** :class:`FeatureItem` gives every item a ``label`` (default derived by
  the item), ``optional`` and a :attr:`~FeatureItem.name`. Labels and group names
  are checked by :func:`check_unique` only: unique ignoring case (they become
  column, table and file names, and Windows file names ignore case).
  :func:`check_group_name` checks a group name that names tables.
* **Extraction.** :class:`Extraction` reads one item at a time, turns an error into
  one line for the feature's errors table, and returns the section's result --
  wrapped in :class:`ofxpost.Partial` when an item that is not ``optional`` failed,
  so that the file becomes ``partial`` with the item named. A licensing error is
  raised instead, so that the whole file is retried.
* **Files.** Every table builder takes ``(records, section, config)`` and makes
  :meth:`FileViews.for_config` from the config (its ``base_dir`` for the ``file``
  column, its load matrix). :class:`FileViews` gives, per record, the ``file``/``stem`` columns,
  the load-case attributes (the one load-matrix join,
  :mod:`ofxpost._builtin.support.loadcases`), the status and model facts, the section's
  result and, when there is none, why.
* **Failed files, one rule.** A file without results (failed, or its feature
  extractor raised) gets no values anywhere, and every feature says why: in its
  errors (``summary_errors``, ``range_graph_errors``, ``time_series_errors``: one
  row per group or graph; ``linked_statistics``: its ``error`` column) with the
  reason ``file failed (<kind>): <message>`` or ``not extracted: ...``. Tables with
  one row per file (``summary_<group>``, ``linked_statistics``) keep its rows, with
  empty values and the ``status``.
* **Table metadata.** :func:`set_units` fills ``df.attrs["ofxpost.units"]``;
  :class:`Allowable` and :func:`add_exceeds` fill ``df.attrs["ofxpost.allowable"]``
  and the ``<label> exceeds`` columns.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import Field, model_validator

from ofxpost._archive.names import name_key
from ofxpost._builtin.support import fileinfo
from ofxpost._builtin.support.loadcases import LoadCases, load_cases_or_empty
from ofxpost._builtin.support.naming import first_duplicate
from ofxpost._builtin.support.numpy import np
from ofxpost._builtin.support.pandas import pd
from ofxpost._builtin.support.selectors import Frozen, describe_error, find_object
from ofxpost._core.partial import Partial
from ofxpost._core.records import FileRecord

if TYPE_CHECKING:
    from ofxpost._config.model import Config

T = TypeVar("T")

UNITS_ATTR = "ofxpost.units"
"""``df.attrs`` key: column name to units text (``kN``)."""
ALLOWABLE_ATTR = "ofxpost.allowable"
"""``df.attrs`` key: column name to ``{"max": v}`` and/or ``{"min": v}``."""

GROUP_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


# --------------------------------------------------------------------------- items


def check_group_name(value: str) -> str:
    """A group name names tables: letters, digits, ``_ . -``, starting with a letter/digit."""
    if not GROUP_NAME.match(value):
        raise ValueError("use letters, digits, '_', '.' and '-' (it names tables)")
    return value


def check_unique(
    names: Iterable[str], what: str, *, verb: str = "labelled", reserved: Iterable[str] = ()
) -> None:
    """Refuse a name used twice (ignoring case) or a reserved one.

    :param what: the plural of the item, for the message (``columns``, ``graphs``).
    :raises ValueError: ``two columns are labelled 'x'; give them distinct 'label's``.
    """
    listed = list(names)
    taken = {r.lower(): r for r in reserved}
    for name in listed:
        if name.lower() in taken:
            column = taken[name.lower()]
            raise ValueError(f"label {name!r} is taken by the table's own column {column!r}")
    duplicate = first_duplicate(listed)
    if duplicate is not None:
        hint = "; give them distinct 'label's" if verb == "labelled" else ""
        raise ValueError(f"two {what} are {verb} {duplicate!r}{hint}")


class Allowable(Frozen):
    """A limit on a value: ``{max: v}``, ``{min: v}`` or both."""

    max: float | None = None
    """Values above it exceed the allowable."""
    min: float | None = None
    """Values below it exceed the allowable."""

    @model_validator(mode="after")
    def _some(self) -> Allowable:
        if self.max is None and self.min is None:
            raise ValueError("give 'max' and/or 'min'")
        if self.max is not None and self.min is not None and self.min > self.max:
            raise ValueError(f"min {self.min} is above max {self.max}")
        return self

    def limits(self) -> dict[str, float]:
        """The limits given, as the ``ofxpost.allowable`` table attribute holds them."""
        out: dict[str, float] = {}
        if self.max is not None:
            out["max"] = float(self.max)
        if self.min is not None:
            out["min"] = float(self.min)
        return out

    def exceeded(self, value: Any) -> bool | None:
        """Whether ``value`` is beyond a limit (``None`` when it is not a number)."""
        if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
            return None
        return bool(
            (self.max is not None and value > self.max)
            or (self.min is not None and value < self.min)
        )


class FeatureItem(Frozen):
    """What every item of a feature has: a label and whether it may fail."""

    label: str | None = Field(default=None, min_length=1)
    """The item's name in the tables (default: derived from what it reads)."""
    optional: bool = False
    """If it fails for a file, the file stays ``ok`` (the error is still listed in
    the feature's errors); by default a failed item makes the file ``partial``."""

    def derived_label(self) -> str:
        """The label when none is given."""
        raise NotImplementedError

    @property
    def name(self) -> str:
        """``label``, or the derived one."""
        return self.label or self.derived_label()


# ---------------------------------------------------------------------- extraction


class Extraction:
    """One file's extraction of a section's items, with their errors."""

    def __init__(self, section: str, model: Any) -> None:
        self.section = section
        self.model = model
        self.failures: dict[str, str] = {}
        self._units: dict[str, dict[str, str]] = {}

    def read(
        self, item: str, optional: bool, reader: Callable[[], T]
    ) -> tuple[T | None, str | None]:
        """``(value, None)``, or ``(None, error line)`` when ``reader`` raises.

        :param item: the item as the file's error names it
            (``summary group 'main' column 'top'``).
        :raises Exception: a licensing error, so that the file is retried whole.
        """
        try:
            return reader(), None
        except Exception as exc:
            from ofxpost._core.licensing import is_licence_error

            if is_licence_error(exc):
                raise
            message = describe_error(exc)
            if not optional:
                self.failures[item] = message
            return None, message

    def units(self, object_name: str, variable: str) -> str | None:
        """Units of ``variable`` of ``object_name`` as the model states them, if it does."""
        known = self._units.get(object_name)
        if known is None:
            known = {}
            try:
                details = find_object(self.model, object_name).varDetails()
                for detail in details:
                    unit = str(getattr(detail, "VarUnits", "") or "")
                    if unit:  # by OrcaFlex's name rules: any case, repeated spaces
                        known[name_key(str(detail.VarName))] = unit
            except Exception:
                pass
            self._units[object_name] = known
        return known.get(name_key(variable))

    def result(self, payload: Any) -> Mapping[str, Any] | Partial:
        """The section's result; a :class:`~ofxpost.Partial` when an item failed."""
        results = {self.section: payload}
        return Partial(results, dict(self.failures)) if self.failures else results


def statistic_units(units: str | None, statistic: str | None, transform: str | None) -> str | None:
    """Units of ``statistic`` of a variable in ``units`` (``None`` when unknown)."""
    if statistic is not None and (statistic.startswith("time_of_") or statistic in ("tz", "tc")):
        return "s"
    if statistic is not None and statistic.startswith("arc_length_of_"):
        return None
    if transform == "sqrt":
        return None
    return units


# --------------------------------------------------------------------------- files


def not_extracted(section: str) -> str:
    """The reason given when a file that ran has no result of ``section``."""
    return f"not extracted: the {section} extractor failed for this file (see failures)"


def failed_reason(record: FileRecord) -> str:
    """The reason given for a failed file in every feature's errors."""
    error = record.error
    if error is None:
        return "file failed"
    return f"file failed ({error.kind}): {error.message}"


@dataclass(frozen=True)
class FileView:
    """One record as a feature's tables see it."""

    index: int
    """The file's input position (rows are ordered by it)."""
    ident: dict[str, Any]
    """``file`` and ``stem``."""
    cases: dict[str, Any]
    """Load-case attributes (empty without a load matrix)."""
    status: str
    """``ok``, ``partial`` or ``failed``."""
    facts: dict[str, Any]
    """``run_status``, ``simulation_complete``, ``start_time``, ``stop_time``."""
    result: Any
    """The section's result (``None`` when the file has none)."""
    missing: str | None
    """Why ``result`` is ``None``: the file failed or its extractor did."""


class FileViews:
    """The per-file side every feature table shares (identity, load cases, status)."""

    def __init__(self, section: str, base_dir: Path | None, cases: LoadCases | None = None) -> None:
        self.section = section
        self.base_dir = base_dir
        self.cases = cases if cases is not None else LoadCases()

    @classmethod
    def for_config(
        cls, section: str, config: Config | None, *, load_cases: bool
    ) -> FileViews:
        """Views for ``config`` (its ``base_dir``; its load matrix when ``load_cases``).

        ``config`` may be ``None`` (tests, tools): paths are then shown as they are.
        """
        cases = load_cases_or_empty(config) if load_cases and config is not None else None
        return cls(section, getattr(config, "base_dir", None), cases)

    def lead_columns(self, *, facts: bool) -> list[str]:
        """``file, stem, <load cases>, status`` (and the model facts)."""
        columns = ["file", "stem", *self.cases.columns, "status"]
        return [*columns, *fileinfo.FACT_COLUMNS] if facts else columns

    def __call__(
        self, records: Iterable[FileRecord], kind: type | tuple[type, ...]
    ) -> Iterator[FileView]:
        """A view per record; a result not of ``kind`` counts as missing."""
        for record in records:
            result = None if record.failed else record.results.get(self.section)
            missing: str | None = None
            if record.failed:
                missing = failed_reason(record)
            elif not isinstance(result, kind):
                result, missing = None, not_extracted(self.section)
            yield FileView(
                index=record.index,
                ident=fileinfo.identity(record, self.base_dir),
                cases=self.cases.for_path(record.path),
                status=str(record.status),
                facts=fileinfo.facts(record),
                result=result,
                missing=missing,
            )

    def lead(self, view: FileView, *, facts: bool) -> dict[str, Any]:
        """The leading cells of a row of ``view``'s file."""
        row = {**view.ident, **view.cases, "status": view.status}
        return {**row, **view.facts} if facts else row


class ErrorRows:
    """A feature's errors table, built in input order."""

    def __init__(self, columns: Sequence[str]) -> None:
        self.columns = list(columns)
        self._rows: list[tuple[int, dict[str, Any]]] = []

    def add(self, view: FileView, **cells: Any) -> None:
        """One error of ``view``'s file."""
        self._rows.append((view.index, {**view.ident, **cells}))

    def frame(self, extra: Sequence[tuple[int, dict[str, Any]]] = ()) -> pd.DataFrame:
        """The table, rows in input order (with ``extra`` ``(file index, cells)`` rows)."""
        rows = fileinfo.in_input_order([*self._rows, *extra])
        return pd.DataFrame(rows, columns=self.columns)


# -------------------------------------------------------------------------- tables


def set_units(frame: pd.DataFrame, units: Mapping[str, str | None]) -> pd.DataFrame:
    """Record the known units of ``frame``'s columns in ``df.attrs["ofxpost.units"]``."""
    known = {c: u for c, u in units.items() if u and c in frame.columns}
    if known:
        frame.attrs[UNITS_ATTR] = {**frame.attrs.get(UNITS_ATTR, {}), **known}
    return frame


def first_units(found: Iterable[Sequence[Any]], count: int) -> list[str | None]:
    """Per position, the first units text any file reported (files in input order)."""
    out: list[str | None] = [None] * count
    for units in found:
        for position, unit in enumerate(list(units)[:count]):
            if out[position] is None and isinstance(unit, str) and unit:
                out[position] = unit
    return out


def exceeds_label(label: str) -> str:
    """The name of the boolean column beside ``label``: ``<label> exceeds``."""
    return f"{label} exceeds"


def add_exceeds(frame: pd.DataFrame, limits: Mapping[str, Allowable]) -> pd.DataFrame:
    """Add ``<label> exceeds`` right after each limited column; record the limits.

    A cell is ``True`` where the value is beyond the allowable, ``False`` where it
    is within, empty where there is no value.
    """
    if not limits:
        return frame
    for label, allowable in limits.items():
        flags = [allowable.exceeded(v) for v in frame[label].tolist()]
        position = list(frame.columns).index(label) + 1
        frame.insert(
            position, exceeds_label(label), pd.Series(flags, index=frame.index, dtype=object)
        )
    frame.attrs[ALLOWABLE_ATTR] = {label: a.limits() for label, a in limits.items()}
    return frame


def float_array(values: Any) -> np.ndarray[Any, Any]:
    """``values`` as a 1-D float64 array."""
    return np.asarray(values, dtype=float).ravel()
