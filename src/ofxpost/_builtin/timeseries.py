"""Built-in plugin: time-series tables (section ``time_series``).

For every file and group: a table ``time_series_<group>_<stem>`` with a ``time``
column (``model.SampleTimes(period)``) and one column per label
(``obj.TimeHistory(variable, period, objectExtra)``). Each file's period is
resolved from that file alone: a ``null`` end means *its own* stop time, never
another file's. Names are made safe for file names and unique. A column that
cannot be read is empty and listed in ``time_series_errors``. These tables go to
CSV/Parquet but not into the Excel workbook.

A group may also ask for ``histogram: {bins, range}`` of each column's samples and
their ``summation`` across files (tables ``time_series_histogram_<group>`` and
``time_series_summation_<group>``; see :mod:`ofxpost._builtin.series_histogram`).

In a batch the worker that read the file writes its tables itself, as per-file
artifacts (:mod:`ofxpost._store.artifacts`), in the ``outputs`` section's CSV/Parquet
formats: a time series never travels through the controller or the result store.
Each table is named from its file's key (:mod:`ofxpost._config.input_names`), its path
relative to the inputs' common root: two files with the same name in two folders
get two tables.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pydantic import Field, field_validator, model_validator

from ofxpost._builtin.series_histogram import (
    HistogramFold,
    HistogramSpec,
    file_histogram,
    probability_of,
)
from ofxpost._builtin.support import feature, fileinfo, reading
from ofxpost._builtin.support.feature import Extraction, FeatureItem, FileViews
from ofxpost._builtin.support.naming import safe_name, unique
from ofxpost._builtin.support.numpy import np
from ofxpost._builtin.support.pandas import pd
from ofxpost._builtin.support.selectors import Frozen, ObjectExtraSpec, PeriodSpec
from ofxpost._builtin.support.tableunits import add_problem
from ofxpost._config.input_names import key_of
from ofxpost._core.markers import hookimpl
from ofxpost._core.partial import Partial
from ofxpost._core.records import FileRecord, Job

if TYPE_CHECKING:
    from ofxpost._config.model import Config
    from ofxpost._config.plan import Plan

SECTION = "time_series"
"""The config section, result name and table-name prefix."""
ERROR_COLUMNS: list[str] = ["file", "stem", "group", "label", "message"]


class TimeSeriesColumn(FeatureItem):
    """One time history."""

    object: str
    """The object's name in the model."""
    variable: str
    """The result variable."""
    object_extra: ObjectExtraSpec | None = None
    """Where on the object."""
    transform: reading.Transform | None = None
    """``sqrt`` or ``abs`` of every sample."""

    def derived_label(self) -> str:
        """Object, point and variable."""
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
    histogram: HistogramSpec | None = None
    """Bin every column's samples, file by file (``{bins, range}``; ``{}``: 10 bins)."""
    summation: bool = False
    """Add the histograms up across the files (needs a ``histogram`` with fixed bins)."""

    @field_validator("name")
    @classmethod
    def _safe(cls, value: str) -> str:
        feature.check_group_name(value)
        lowered = value.lower()
        if lowered in RESERVED_GROUP_NAMES or lowered.startswith(RESERVED_GROUP_PREFIXES):
            raise ValueError(
                "'errors', 'histogram', 'summation' and names starting 'histogram_' or "
                "'summation_' name other tables (time_series_errors, "
                "time_series_histogram_<group>, time_series_summation_<group>)"
            )
        return value

    @model_validator(mode="after")
    def _unique_labels(self) -> TimeSeriesGroup:
        feature.check_unique([c.name for c in self.columns], "columns", reserved=("time",))
        if self.summation and (self.histogram is None or not self.histogram.fixed):
            raise ValueError(
                "summation: adding histograms across files needs bins every file shares: "
                "give histogram: {bins: N, range: [low, high]} or explicit bin edges"
            )
        return self


RESERVED_GROUP_NAMES = ("errors", "histogram", "summation")
"""Group names that would name the section's other tables."""
RESERVED_GROUP_PREFIXES = ("histogram_", "summation_")
"""Group-name beginnings that would name the section's other tables."""


class TimeSeriesSection(Frozen):
    """The ``time_series`` section."""

    groups: list[TimeSeriesGroup] = Field(default_factory=list)
    """One table per group and file."""

    @model_validator(mode="after")
    def _unique_groups(self) -> TimeSeriesSection:
        feature.check_unique([g.name for g in self.groups], "groups", verb="named")
        names = sorted(g.name.lower() for g in self.groups)
        for name in names:
            longer = [other for other in names if other.startswith(f"{name}_")]
            if longer:
                raise ValueError(
                    f"groups {name!r} and {longer[0]!r}: a group's name followed by '_' "
                    "may not begin another's (their per-file tables time_series_<group>_<file> "
                    "could take the same name); rename one"
                )
        return self


@hookimpl
def ofxpost_add_config_sections() -> dict[str, Any]:
    """Declare the ``time_series`` section."""
    return {SECTION: TimeSeriesSection}


def _samples(
    extraction: Extraction, group: TimeSeriesGroup, column: TimeSeriesColumn, times: Any
) -> Any:
    values = reading.time_history(
        extraction.model, column.object, column.variable, group.period, column.object_extra
    )
    values = np.asarray(reading.apply_transform(values, column.transform), dtype=float)
    if values.shape != times.shape:
        raise ValueError(f"{values.size} samples for {times.size} sample times in this period")
    return values


def extract_group(extraction: Extraction, group: TimeSeriesGroup) -> dict[str, Any]:
    """One group for one file: a DataFrame (``time`` + labels), column errors and units."""
    item = f"{SECTION} group {group.name!r}"
    every_optional = all(c.optional for c in group.columns)
    times, error = extraction.read(
        f"{item} period",
        every_optional,
        lambda: reading.sample_times(extraction.model, group.period),
    )
    if times is None:
        return {"frame": None, "errors": [["(period)", error]]}
    data: dict[str, Any] = {"time": times}
    errors: list[list[str]] = []
    units: dict[str, str] = {}
    histograms: dict[str, Any] = {}
    for column in group.columns:
        values, error = extraction.read(
            f"{item} column {column.name!r}",
            column.optional,
            functools.partial(_samples, extraction, group, column, times),
        )
        if error is not None:
            values = np.full(times.shape, np.nan)
            errors.append([column.name, error])
        elif group.histogram is not None:
            histograms[column.name] = file_histogram(times, values, group.histogram)
        data[column.name] = values
        unit = feature.statistic_units(
            extraction.units(column.object, column.variable), None, column.transform
        )
        if unit:
            units[column.name] = unit
    found: dict[str, Any] = {"frame": pd.DataFrame(data), "errors": errors, "units": units}
    if group.histogram is not None:
        found["histograms"] = histograms
    return found


def final_frame(frame: pd.DataFrame, group: TimeSeriesGroup, units: Any) -> pd.DataFrame:
    """A group's table as it is written: ``time`` + labels, float64, with units."""
    columns = ["time", *[c.name for c in group.columns]]
    frame = fileinfo.fix_dtypes(frame.reset_index(drop=True)[columns], columns)
    feature.set_units(frame, {"time": "s", **(units if isinstance(units, dict) else {})})
    return frame


def table_name(group: TimeSeriesGroup, job: Job) -> str:
    """The table (and file) name of ``group`` for ``job``'s file.

    Named from the job's key (:mod:`ofxpost._config.input_names`): unique by input, so
    ``a/case_001`` and ``b/case_001`` give ``time_series_g_a~case_001`` and
    ``time_series_g_b~case_001``; with every input in one folder it is
    ``time_series_g_case_001``.
    """
    return f"{SECTION}_{group.name}_{key_of(job.key, job.path)}"


def write_artifacts(
    job: Job, config: Config, group: TimeSeriesGroup, found: dict[str, Any]
) -> None:
    """Write a group's table for one file as the ``outputs`` section asks (in the worker).

    The frame is replaced by the names written (``found["written"]``): the table
    never travels to the controller. A failed write is an item error.
    """
    from ofxpost._builtin.outputs import OutputsSection, write_csv, write_parquet
    from ofxpost._store.artifacts import artifact_path

    frame = found.pop("frame", None)
    if not isinstance(frame, pd.DataFrame):
        return
    outputs: OutputsSection = config.section("outputs")
    name = table_name(group, job)
    written: list[str] = []
    found["written"] = written
    if outputs.tables is not None and name not in outputs.tables:
        return
    frame = final_frame(frame, group, found.get("units"))
    if "csv" in outputs.formats:
        with artifact_path(job, config, f"{name}.csv") as tmp:
            write_csv(frame, tmp, outputs.csv_significant_digits, outputs.units)
        written.append(f"{name}.csv")
    if "parquet" in outputs.formats:
        with artifact_path(job, config, f"parquet/{name}.parquet") as tmp:
            write_parquet(frame, tmp)
        written.append(f"parquet/{name}.parquet")


@hookimpl
def ofxpost_extract(
    model: Any, config: Config, job: Job | None
) -> Mapping[str, Any] | Partial | None:
    """Read every time-series group for one file (result ``time_series``).

    In a batch each group's table is written by this worker as a per-file artifact
    (:mod:`ofxpost._store.artifacts`); only its name, errors and units are returned.
    Called outside a batch (``job`` ``None``) the frame itself is returned.
    A column that fails (and is not ``optional``) makes the file ``partial``.
    """
    from ofxpost._store.artifacts import collecting_now

    section: TimeSeriesSection = config.section(SECTION)
    if not section.groups:
        return None
    extraction = Extraction(SECTION, model)
    groups = {g.name: extract_group(extraction, g) for g in section.groups}
    if job is not None and collecting_now():
        for group in section.groups:
            extraction.read(
                f"{SECTION} group {group.name!r} file",
                False,
                functools.partial(write_artifacts, job, config, group, groups[group.name]),
            )
            groups[group.name].pop("frame", None)  # never sent, even when not written
    return extraction.result(groups)


class SeriesFold:
    """The time-series tables, folded record by record (see :mod:`ofxpost._finish.folding`)."""

    def __init__(self, section: TimeSeriesSection, config: Config | None = None) -> None:
        self.section = section
        self.config = config
        weighs = any(g.summation for g in section.groups)
        self.files = FileViews.for_config(SECTION, config, load_cases=weighs)
        self._named: list[tuple[int, tuple[str, pd.DataFrame]]] = []
        self._errors = feature.ErrorRows(ERROR_COLUMNS)
        self._histograms = {
            g.name: HistogramFold(g.name, g.histogram, g.summation)
            for g in section.groups
            if g.histogram is not None
        }

    def add(self, record: FileRecord) -> None:
        """Take one file's record: its errors and any frame it carries."""
        errors = self._errors
        for view in self.files([record], dict):
            result = view.result or {}
            for group in self.section.groups:
                found = result.get(group.name)
                if view.missing is not None or not isinstance(found, dict):
                    errors.add(
                        view,
                        group=group.name,
                        label="(file)",
                        message=view.missing or "not extracted",
                    )
                    continue
                for label, message in found.get("errors") or []:
                    errors.add(view, group=group.name, label=label, message=message)
                histograms = self._histograms.get(group.name)
                if histograms is not None:
                    probability = probability_of(dict(view.cases), self.config)
                    histograms.add(
                        view.index,
                        view.ident,
                        probability,
                        found.get("histograms"),
                        found.get("units"),
                    )
                frame = found.get("frame")  # absent when the worker wrote it (artifact)
                if isinstance(frame, pd.DataFrame):
                    frame = final_frame(frame, group, found.get("units"))
                    name = safe_name(f"{SECTION}_{group.name}_{view.ident['stem']}")
                    self._named.append((view.index, (name, frame)))

    def tables(self) -> dict[str, pd.DataFrame]:
        """One table per file and group (when frames came back), ``time_series_errors``."""
        ordered = fileinfo.in_input_order(self._named)
        names = unique([name for name, _ in ordered])
        tables = {name: frame for name, (_, frame) in zip(names, ordered, strict=True)}
        problems: list[tuple[int, dict[str, Any]]] = []
        for group in self.section.groups:
            histograms = self._histograms.get(group.name)
            if histograms is not None:
                tables.update(histograms.tables([c.name for c in group.columns]))
                problems += histograms.problems
        errors = self._errors.frame(problems)
        for _, cells in problems:  # a file left out of a summation: the batch may not exit 0
            add_problem(errors, f"{cells['file']}: column {cells['label']!r}: {cells['message']}")
        tables[f"{SECTION}_errors"] = errors
        return tables


def series_tables(
    records: Sequence[FileRecord], section: TimeSeriesSection, config: Config | None = None
) -> dict[str, pd.DataFrame]:
    """One table per file and group, plus ``time_series_errors``."""
    fold = SeriesFold(section, config)
    for record in records:
        fold.add(record)
    return fold.tables()


@hookimpl(specname="ofxpost_start_fold")
def start_fold(config: Config, plan: Plan) -> SeriesFold | None:
    """The fold of :func:`ofxpost_aggregate` (``None`` when no group is configured)."""
    section: TimeSeriesSection = config.section(SECTION)
    return SeriesFold(section, config) if section.groups else None


@hookimpl
def ofxpost_aggregate(
    records: Sequence[FileRecord], config: Config
) -> Mapping[str, pd.DataFrame] | None:
    """Build the time-series tables (nothing when no group is configured)."""
    section: TimeSeriesSection = config.section(SECTION)
    if not section.groups:
        return None
    return series_tables(records, section, config)
