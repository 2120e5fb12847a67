"""Built-in plugin: rainflow histograms (section ``rainflow``).

For each column (an object's variable at one point over a period), every file's
samples are rainflow counted (ASTM E1049-85, :mod:`ofxpost._core.rainflow`) and
the cycle ranges are binned. Each column gives the table ``rainflow_<label>``::

    bin_start, bin_end, cycles[, cycles_per_year]

one row per bin (ranges in the variable's unit, stated in the table), then a row
``bin_start = <last edge>, bin_end = inf`` when some cycles are larger than the
last edge and a row ``bin_start = -inf`` for cycles below the first, so no cycle
is dropped silently. ``cycles`` is the sum over the files of the cycles counted
in one simulation (a half cycle counts 0.5). ``cycles_per_year`` is written when
the load matrix gives probabilities: ``Σ p_i · n_i · seconds_per_year / D_i``, with
``D_i`` the duration of the period of file ``i``. ``rainflow_errors`` lists the
columns that could not be read (file, stem, label, message). Units of one column
must agree across files: a file in another unit is converted (pint) or refused.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pydantic import Field, field_validator, model_validator

from ofxpost._builtin.support import feature, reading
from ofxpost._builtin.support.binning import check_bins
from ofxpost._builtin.support.feature import Extraction, FeatureItem, FileViews
from ofxpost._builtin.support.numpy import np
from ofxpost._builtin.support.pandas import pd
from ofxpost._builtin.support.selectors import Frozen, ObjectExtraSpec, PeriodSpec
from ofxpost._builtin.support.tableunits import add_problem
from ofxpost._core import rainflow
from ofxpost._core.markers import hookimpl
from ofxpost._core.partial import Partial
from ofxpost._core.records import FileRecord

if TYPE_CHECKING:
    from ofxpost._config.model import Config
    from ofxpost._config.plan import Plan

SECTION = "rainflow"
"""The config section, result name and table-name prefix."""

SECONDS_PER_YEAR = 365.25 * 24 * 3600
"""A Julian year (s), as opp used."""

ERROR_COLUMNS = ["file", "stem", "label", "message"]


class RainflowColumn(FeatureItem):
    """One variable at one point: one histogram."""

    object: str
    """The object's name in the model."""
    variable: str
    """The result variable (e.g. ``Wall tension``)."""
    period: PeriodSpec | None = None
    """Default ``whole_simulation``."""
    object_extra: ObjectExtraSpec | None = None
    """Where on the object (line point ...)."""

    def derived_label(self) -> str:
        """``Riser_end_a_Wall_tension`` (a table name: no spaces)."""
        parts = [self.object]
        if self.object_extra is not None:
            parts.append(self.object_extra.describe())
        parts.append(self.variable)
        return "_".join("_".join(p.split()) for p in parts)

    @field_validator("label")
    @classmethod
    def _safe(cls, value: str | None) -> str | None:
        if value is not None:
            feature.check_group_name(value)
        return value


class RainflowSection(Frozen):
    """The ``rainflow`` section (opp's ``rain_flow: {bins, range}``)."""

    bins: int | list[float] = 10
    """Number of equal bins, or the bin edges (increasing)."""
    range: tuple[float, float] | None = None
    """``[low, high]`` of the equal bins (default ``[0, largest range]``)."""
    seconds_per_year: float = Field(default=SECONDS_PER_YEAR, gt=0)
    """Seconds in a year for ``cycles_per_year``."""
    columns: list[RainflowColumn] = Field(default_factory=list)
    """The histograms."""

    @model_validator(mode="after")
    def _check(self) -> RainflowSection:
        check_bins(self.bins, self.range)
        feature.check_unique([c.name for c in self.columns], "columns")
        return self


@hookimpl
def ofxpost_add_config_sections() -> dict[str, Any]:
    """Declare the ``rainflow`` section."""
    return {SECTION: RainflowSection}


def column_cycles(model: Any, column: RainflowColumn) -> dict[str, Any]:
    """One file's cycles of ``column``: ranges, counts and the period's duration."""
    values = reading.time_history(
        model, column.object, column.variable, column.period, column.object_extra
    )
    times = reading.sample_times(model, column.period)
    ranges, counts = rainflow.count_cycles(values)
    duration = float(times[-1] - times[0]) if times.size > 1 else math.nan
    return {"ranges": ranges.tolist(), "counts": counts.tolist(), "duration": duration}


@hookimpl
def ofxpost_extract(model: Any, config: Config) -> Mapping[str, Any] | Partial | None:
    """Count every column's cycles for one file (result ``rainflow``)."""
    section: RainflowSection = config.section(SECTION)
    if not section.columns:
        return None
    extraction = Extraction(SECTION, model)
    out = []
    for column in section.columns:
        found, error = extraction.read(
            f"{SECTION} column {column.name!r}",
            column.optional,
            functools.partial(column_cycles, model, column),
        )
        unit = extraction.units(column.object, column.variable)
        out.append({"cycles": found, "error": error, "unit": unit})
    return extraction.result(out)


class RainflowFold:
    """The rainflow histograms, folded record by record."""

    def __init__(self, section: RainflowSection, config: Config | None = None) -> None:
        self.section = section
        self.config = config
        self.files = FileViews.for_config(SECTION, config, load_cases=True)
        self._found: dict[str, list[tuple[int, dict[str, Any], dict[str, Any], Any]]] = {
            c.name: [] for c in section.columns
        }
        self._errors = feature.ErrorRows(ERROR_COLUMNS)

    def add(self, record: FileRecord) -> None:
        """Take one file's cycles."""
        for view in self.files([record], list):
            answers = view.result or []
            for position, column in enumerate(self.section.columns):
                answer = answers[position] if position < len(answers) else {}
                error = view.missing or (answer.get("error") if isinstance(answer, dict) else None)
                if error:
                    self._errors.add(view, label=column.name, message=error)
                    continue
                found = (view.index, dict(view.ident), dict(view.cases), answer)
                self._found[column.name].append(found)

    def tables(self) -> dict[str, pd.DataFrame]:
        """``rainflow_<label>`` per column and ``rainflow_errors``."""
        from ofxpost._builtin.support.weighted import probability_column, probability_scale
        from ofxpost._core.units import conversion_factor
        from ofxpost.errors import UnitConversionError

        tables: dict[str, pd.DataFrame] = {}
        extra: list[tuple[int, dict[str, Any]]] = []
        for column in self.section.columns:
            found = sorted(self._found[column.name], key=lambda item: item[0])
            unit = next((a.get("unit") for *_, a in found if a.get("unit")), None)
            files: list[tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], float, Any]] = []
            for index, ident, cases, answer in found:
                cycles = answer["cycles"]
                ranges = np.asarray(cycles["ranges"], dtype=float)
                stated = answer.get("unit")
                if unit and stated != unit:
                    where = f"{SECTION} column {column.name!r}"
                    try:
                        ranges = ranges * conversion_factor(str(stated or ""), unit, where)
                    except UnitConversionError as exc:
                        extra.append((index, {**ident, "label": column.name, "message": str(exc)}))
                        continue
                prob_key = probability_column(list(cases))
                probability = cases.get(prob_key) if prob_key else None
                if probability is not None and _is_number(probability):  # % → fraction
                    probability = float(probability) * probability_scale(self.config)
                counts = np.asarray(cycles["counts"], dtype=float)
                files.append((ranges, counts, float(cycles["duration"]), probability))
            tables[f"{SECTION}_{column.name}"] = self._table(files, unit)
        errors = self._errors.frame(extra)
        for _, cells in extra:  # a file left out of a histogram: the batch may not exit 0
            add_problem(errors, f"{cells['file']}: {cells['message']}; left out of the histogram")
        tables[f"{SECTION}_errors"] = errors
        return tables

    def _table(self, files: Sequence[Any], unit: str | None) -> pd.DataFrame:
        top = max((float(r.max()) for r, _, _, _ in files if r.size), default=0.0)
        edges = rainflow.histogram_edges(self.section.bins, self.section.range, top)
        weighted = bool(files) and all(_is_number(p) for _, _, _, p in files)
        cycles = np.zeros(edges.size + 1)  # bins, then below, above
        per_year = np.zeros(edges.size + 1)
        for ranges, counts, duration, probability in files:
            inside, below, above = rainflow.binned(ranges, counts, edges)
            row = np.concatenate([inside, [below, above]])
            cycles += row
            if weighted:
                per_year += row * float(probability) * self.section.seconds_per_year / duration
        starts = [*edges[:-1].tolist(), -math.inf, float(edges[-1])]
        ends = [*edges[1:].tolist(), float(edges[0]), math.inf]
        keep = list(range(edges.size - 1)) + [
            n for n in (edges.size - 1, edges.size) if cycles[n] > 0
        ]
        data: dict[str, Any] = {
            "bin_start": [starts[n] for n in keep],
            "bin_end": [ends[n] for n in keep],
            "cycles": [float(cycles[n]) for n in keep],
        }
        if weighted:
            data["cycles_per_year"] = [float(per_year[n]) for n in keep]
        frame = pd.DataFrame(data)
        return feature.set_units(frame, {"bin_start": unit, "bin_end": unit})


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


@hookimpl(specname="ofxpost_start_fold")
def start_fold(config: Config, plan: Plan | None) -> RainflowFold | None:
    """The fold of :func:`ofxpost_aggregate` (``None`` when no column is configured)."""
    section: RainflowSection = config.section(SECTION)
    return RainflowFold(section, config) if section.columns else None


@hookimpl
def ofxpost_aggregate(
    records: Sequence[FileRecord], config: Config
) -> Mapping[str, pd.DataFrame] | None:
    """Build the rainflow histograms (nothing when no column is configured)."""
    fold = start_fold(config, None)
    if fold is None:
        return None
    for record in records:
        fold.add(record)
    return fold.tables()
