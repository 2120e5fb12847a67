"""Built-in plugin: range graphs and their envelopes (section ``range_graph``).

Each entry reads ``obj.RangeGraph(variable, period, objectExtra, arclengthRange)``
for every file and keeps every requested curve (``min``, ``max``, ``mean``,
``std_dev``). Tables:

* ``range_graph`` -- long: ``file, stem, label, x, min, max, mean, std_dev`` (one row
  per file, entry and arc length; curves an entry did not ask for are empty);
* ``range_graph_envelope`` -- per label and arc length: ``max`` (the largest Max
  over the files) and ``max_stem`` (the file it came from), ``min`` / ``min_stem``
  likewise, the entry's ``allowable``, its ``unit`` (graphs may differ: kN, kN.m)
  and ``exceeds`` (``max`` over the allowable); arc lengths are matched exactly;
* ``range_graph_errors`` -- entries that failed for a file.

With ``plots: true`` one PNG per entry is written to ``output_dir/plots/`` (see
:mod:`ofxpost._builtin.support.plots`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
from pydantic import Field, model_validator

from ofxpost._builtin.support import feature, fileinfo, reading
from ofxpost._builtin.support.envelope import ENVELOPE_COLUMNS as ENVELOPE_COLUMNS
from ofxpost._builtin.support.envelope import RunningEnvelope, envelope_frame
from ofxpost._builtin.support.envelope import envelope as table_envelope
from ofxpost._builtin.support.feature import Extraction, FeatureItem, FileViews
from ofxpost._builtin.support.pandas import pd
from ofxpost._builtin.support.selectors import (
    ArclengthRangeSpec,
    Frozen,
    ObjectExtraSpec,
    PeriodSpec,
)
from ofxpost._core.markers import hookimpl
from ofxpost._core.partial import Partial
from ofxpost._core.records import FileRecord

if TYPE_CHECKING:
    from ofxpost._config.model import Config
    from ofxpost._config.plan import Plan

SECTION = "range_graph"
"""The config section, result name and table name."""

TABLE_COLUMNS: list[str] = ["file", "stem", "label", "x", *reading.CURVES]
ERROR_COLUMNS: list[str] = ["file", "stem", "label", "message"]
DEFAULT_CURVES: tuple[reading.Curve, ...] = ("min", "max", "mean", "std_dev")


class RangeGraphEntry(FeatureItem):
    """One range graph, read from every file."""

    object: str
    """The line's name."""
    variable: str
    """The result variable (e.g. ``Effective tension``)."""
    period: PeriodSpec | None = None
    """Default ``whole_simulation``."""
    object_extra: ObjectExtraSpec | None = None
    """Optional radial position / angle: ``{end: end_a, radial_position: outer}`` --
    the point itself is ignored by range graphs."""
    arclength_range: ArclengthRangeSpec | None = None
    """Part of the line (default: all of it)."""
    statistics: list[reading.Curve] = Field(
        default_factory=lambda: list(DEFAULT_CURVES), min_length=1
    )
    """The curves to keep: any of ``min``, ``max``, ``mean``, ``std_dev``."""
    transform: reading.Transform | None = None
    """``sqrt`` or ``abs`` of every curve value."""
    allowable: float | None = None
    """A limit drawn as a dashed line on the plot and given in the envelope table."""
    units: str | None = None
    """Units of the variable, for the plot's axis title (e.g. ``kN``)."""
    title: str | None = None
    """Plot title (default: the label)."""
    x_label: str = "Arc length (m)"
    """Plot x-axis title."""
    y_label: str | None = None
    """Plot y-axis title (default: the variable and its units)."""
    per_case_plots: bool = False
    """Also write one PNG per file (load case): ``range_graph_<label>_<stem>.png``,
    that file's curves over the envelope (one file per input: mind big batches)."""
    markers: dict[str, float] = Field(default_factory=dict)
    """Named arc lengths (m) drawn as dotted vertical lines on the plots, e.g. the
    section boundaries ``{"buoyancy start": 420.0, "TDP": 610.0}``."""

    @model_validator(mode="after")
    def _distinct(self) -> RangeGraphEntry:
        if len(set(self.statistics)) != len(self.statistics):
            raise ValueError("statistics: a curve is listed twice")
        return self

    def derived_label(self) -> str:
        """``<object> <variable>`` (plus range and period when set)."""
        parts = [self.object, self.variable]
        if self.arclength_range is not None:
            parts.append(self.arclength_range.describe())
        if self.period is not None and self.period.kind != "whole_simulation":
            parts.append(self.period.describe())
        return " ".join(parts)

    @property
    def axis_title(self) -> str:
        """The y-axis title."""
        if self.y_label:
            return self.y_label
        return f"{self.variable} ({self.units})" if self.units else self.variable


class RangeGraphSection(Frozen):
    """The ``range_graph`` section."""

    graphs: list[RangeGraphEntry] = Field(default_factory=list)
    """The range graphs."""
    plots: bool = True
    """Write one PNG per graph to ``output_dir/plots/``."""

    @model_validator(mode="after")
    def _unique(self) -> RangeGraphSection:
        feature.check_unique([g.name for g in self.graphs], "graphs")
        return self


@hookimpl
def ofxpost_add_config_sections() -> dict[str, Any]:
    """Declare the ``range_graph`` section."""
    return {SECTION: RangeGraphSection}


def extract_entry(extraction: Extraction, entry: RangeGraphEntry) -> dict[str, Any]:
    """One graph for one file: ``x``, each requested curve and the units, or an error."""
    graph, error = extraction.read(
        f"{SECTION} graph {entry.name!r}",
        entry.optional,
        lambda: reading.range_graph(
            extraction.model,
            entry.object,
            entry.variable,
            entry.period,
            entry.object_extra,
            entry.arclength_range,
        ),
    )
    if graph is None:
        return {"error": error}
    out: dict[str, Any] = {"error": None, "x": graph.x}
    for curve in entry.statistics:
        out[curve] = np.asarray(reading.apply_transform(graph.curve(curve), entry.transform))
    out["units"] = feature.statistic_units(
        extraction.units(entry.object, entry.variable), None, entry.transform
    )
    return out


@hookimpl
def ofxpost_extract(model: Any, config: Config) -> Mapping[str, Any] | Partial | None:
    """Read every range graph for one file (result ``range_graph``).

    A graph that fails (and is not ``optional``) makes the file ``partial``.
    """
    section: RangeGraphSection = config.section(SECTION)
    if not section.graphs:
        return None
    extraction = Extraction(SECTION, model)
    return extraction.result([extract_entry(extraction, entry) for entry in section.graphs])


class _Part(NamedTuple):
    """One file's curves of one graph: its rows of the long table, as columns."""

    file: Any
    stem: Any
    label: str
    x: np.ndarray[Any, Any]
    curves: tuple[np.ndarray[Any, Any], ...]
    """In :data:`reading.CURVES` order."""


def _part(ident: Mapping[str, Any], label: str, answer: Mapping[str, Any]) -> _Part:
    """One file's answer for one graph as table columns (float64, one length)."""
    x = np.asarray(answer["x"], dtype=float)
    curves = tuple(
        np.asarray(answer[curve], dtype=float) if curve in answer else np.full(x.shape, np.nan)
        for curve in reading.CURVES
    )
    if x.ndim != 1 or any(c.shape != x.shape for c in curves):
        # not plain columns: pandas decides (it broadcasts a scalar or raises) as before
        frame = pd.DataFrame(
            {**ident, "label": label, "x": x, **dict(zip(reading.CURVES, curves, strict=True))},
            columns=TABLE_COLUMNS,
        )
        x = frame["x"].to_numpy(dtype=float)
        curves = tuple(frame[curve].to_numpy(dtype=float) for curve in reading.CURVES)
    return _Part(ident.get("file"), ident.get("stem"), label, x, curves)


class GraphFold:
    """The range-graph tables, folded record by record (see :mod:`ofxpost._finish.folding`).

    Each file's curves are kept as arrays and folded into the running envelope as
    its record arrives; the end joins the arrays in input order into the long
    table (one DataFrame, not one per file) and lists the envelope.
    """

    def __init__(self, section: RangeGraphSection, config: Config | None = None) -> None:
        self.section = section
        self.files = FileViews.for_config(SECTION, config, load_cases=False)
        self._parts: list[tuple[int, _Part]] = []
        self._errors = feature.ErrorRows(ERROR_COLUMNS)
        self._units: dict[str, set[str | None]] = {entry.name: set() for entry in section.graphs}
        self._envelopes = {entry.name: RunningEnvelope() for entry in section.graphs}

    def add(self, record: FileRecord) -> None:
        """Take one file's record: its curves, or why it has none."""
        errors, units = self._errors, self._units
        top, bottom = reading.CURVES.index("max"), reading.CURVES.index("min")
        for view in self.files([record], list):
            answers = view.result or []
            for position, entry in enumerate(self.section.graphs):
                answer = answers[position] if position < len(answers) else None
                if view.missing is not None or not isinstance(answer, dict):
                    errors.add(view, label=entry.name, message=view.missing or "not extracted")
                    continue
                if answer.get("error"):
                    errors.add(view, label=entry.name, message=answer["error"])
                    continue
                units[entry.name].add(entry.units or answer.get("units"))
                part = _part(view.ident, entry.name, answer)
                self._parts.append((view.index, part))
                self._envelopes[entry.name].add(
                    view.index, part.stem, part.x, part.curves[top], part.curves[bottom]
                )

    def table(self) -> pd.DataFrame:
        """The long ``range_graph`` table, rows in input order."""
        ordered = fileinfo.in_input_order(self._parts)
        if not ordered:
            table = pd.DataFrame({c: pd.Series(dtype="float64") for c in TABLE_COLUMNS})
            for name in ("file", "stem", "label"):
                table[name] = table[name].astype(object)
            return fileinfo.fix_dtypes(table, ["x", *reading.CURVES])
        if not any(len(part.x) for part in ordered):  # no rows: the columns' types as pandas
            frames = [  # gives them for per-file frames, as before
                pd.DataFrame(
                    {
                        "file": part.file,
                        "stem": part.stem,
                        "label": part.label,
                        "x": part.x,
                        **dict(zip(reading.CURVES, part.curves, strict=True)),
                    },
                    columns=TABLE_COLUMNS,
                )
                for part in ordered
            ]
            table = pd.concat(frames, ignore_index=True)
            return fileinfo.fix_dtypes(table, ["x", *reading.CURVES])
        files: list[Any] = []
        stems: list[Any] = []
        labels: list[str] = []
        for part in ordered:
            n = len(part.x)
            files += [part.file] * n
            stems += [part.stem] * n
            labels += [part.label] * n
        columns: dict[str, Any] = {"file": files, "stem": stems, "label": labels}
        columns["x"] = np.concatenate([part.x for part in ordered])
        for position, curve in enumerate(reading.CURVES):
            columns[curve] = np.concatenate([part.curves[position] for part in ordered])
        return fileinfo.fix_dtypes(
            pd.DataFrame(columns, columns=TABLE_COLUMNS), ["x", *reading.CURVES]
        )

    def tables(self) -> dict[str, pd.DataFrame]:
        """``range_graph``, ``range_graph_envelope`` and ``range_graph_errors``."""
        units = self._units
        table = self.table()
        shared = set().union(*units.values()) if units else set()
        unit = next(iter(shared)) if len(shared) == 1 else None
        if unit:  # every graph's values share one unit
            feature.set_units(table, dict.fromkeys(reading.CURVES, unit))
        rows: list[dict[str, Any]] = []
        for entry in self.section.graphs:
            rows.extend(self._envelopes[entry.name].rows(entry.name, entry.allowable))
        labels_units = {
            entry.name: entry.units or _only(units[entry.name]) for entry in self.section.graphs
        }
        envelope_table = envelope_frame(rows, labels_units)
        if unit:
            feature.set_units(envelope_table, dict.fromkeys(("max", "min", "allowable"), unit))
        return {
            SECTION: table,
            f"{SECTION}_envelope": envelope_table,
            f"{SECTION}_errors": self._errors.frame(),
        }


def _only(found: set[str | None]) -> str | None:
    """The one unit in ``found`` (``None`` when there are none or several)."""
    return next(iter(found)) if len(found) == 1 else None


def graph_tables(
    records: Sequence[FileRecord], section: RangeGraphSection, config: Config | None = None
) -> dict[str, pd.DataFrame]:
    """Build ``range_graph``, ``range_graph_envelope`` and ``range_graph_errors``."""
    fold = GraphFold(section, config)
    for record in records:
        fold.add(record)
    return fold.tables()


@hookimpl(specname="ofxpost_start_fold")
def start_fold(config: Config, plan: Plan) -> GraphFold | None:
    """The fold of :func:`ofxpost_aggregate` (``None`` when no graph is configured)."""
    section: RangeGraphSection = config.section(SECTION)
    return GraphFold(section, config) if section.graphs else None


def envelope(table: pd.DataFrame, section: RangeGraphSection) -> pd.DataFrame:
    """The ``range_graph_envelope`` table of a whole long table (see :mod:`.envelope`)."""
    return table_envelope(
        table,
        [(entry.name, entry.allowable) for entry in section.graphs],
        {entry.name: entry.units for entry in section.graphs},
    )


@hookimpl
def ofxpost_aggregate(
    records: Sequence[FileRecord], config: Config
) -> Mapping[str, pd.DataFrame] | None:
    """Build the range-graph tables (nothing when no graph is configured)."""
    section: RangeGraphSection = config.section(SECTION)
    if not section.graphs:
        return None
    return graph_tables(records, section, config)


@hookimpl
def ofxpost_batch_started(plan: Plan) -> None:
    """Get the plots ready while the files run, when the batch will draw them.

    A batch of :data:`~ofxpost._builtin.support.plot_process.MIN_FILES` files or more starts
    its plot processes (their imports overlap the files; the PNGs are drawn there
    at the end, beside the other writers); a smaller one imports matplotlib in a
    background thread of the controller.
    """
    section: RangeGraphSection = plan.config.section(SECTION)
    if not (section.graphs and section.plots):
        return
    from ofxpost._builtin.support import plot_process

    if plot_process.start_for_batch(plan, len(section.graphs)) is None:
        from ofxpost._builtin.support.plots import warm_up

        warm_up()


@hookimpl
def ofxpost_batch_finished(result: Any) -> None:
    """Close the batch's plot processes if no writer took them (no plots were written)."""
    from ofxpost._builtin.support import plot_process

    plot_process.close_batch(result.batch_id)


@hookimpl
def ofxpost_write_outputs(
    tables: Mapping[str, pd.DataFrame], output_dir: Path, config: Config, partial: bool
) -> list[Path] | None:
    """Write one PNG per range graph to ``output_dir/plots/``.

    Drawn in the plot process when the batch started one, otherwise here.
    """
    from ofxpost._builtin.support import plot_process

    process = plot_process.take(config)
    try:
        section: RangeGraphSection = config.section(SECTION)
        if not section.graphs or not section.plots or SECTION not in tables:
            return None
        from ofxpost._builtin.support.figures import save_pngs
        from ofxpost._builtin.support.plots import case_specs, figure_specs

        envelope_table = tables.get(f"{SECTION}_envelope")
        specs = figure_specs(tables[SECTION], envelope_table, section.graphs, partial=partial)
        specs += case_specs(tables[SECTION], envelope_table, section.graphs, partial=partial)
        folder = output_dir / "plots"
        if process is None:
            return save_pngs(specs, folder)
        folder.mkdir(parents=True, exist_ok=True)
        return list(process.draw(specs, folder))
    finally:
        if process is not None:
            process.close()
