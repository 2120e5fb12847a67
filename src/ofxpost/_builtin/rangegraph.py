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

from pydantic import Field, model_validator

from ofxpost._builtin.support import feature, fileinfo, graphunits, reading
from ofxpost._builtin.support.envelope import ENVELOPE_COLUMNS as ENVELOPE_COLUMNS
from ofxpost._builtin.support.envelope import RunningEnvelope, envelope_frame
from ofxpost._builtin.support.envelope import envelope as table_envelope
from ofxpost._builtin.support.feature import Extraction, FeatureItem, FileViews
from ofxpost._builtin.support.numpy import np
from ofxpost._builtin.support.pandas import pd
from ofxpost._builtin.support.selectors import (
    ArclengthRangeSpec,
    Frozen,
    ObjectExtraSpec,
    PeriodSpec,
)
from ofxpost._builtin.support.tableunits import add_problem
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
    """The graph's unit (e.g. ``kN``): every file's curves are converted into it, and
    the plot's axis title says it (default: the first file's unit)."""
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
        self._stated: dict[tuple[int, str], str | None] = {}
        self._errors = feature.ErrorRows(ERROR_COLUMNS)
        self._first_unit: dict[str, str | None] = {}
        self._refused: list[tuple[int, dict[str, Any]]] = []
        self._stale: set[str] = set()  # graphs whose running envelope mixed units
        self._envelopes = {entry.name: RunningEnvelope() for entry in section.graphs}

    def add(self, record: FileRecord) -> None:
        """Take one file's record: its curves, or why it has none."""
        errors = self._errors
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
                stated = answer.get("units") if isinstance(answer.get("units"), str) else None
                part = _part(view.ident, entry.name, answer)
                self._parts.append((view.index, part))
                self._stated[(view.index, entry.name)] = stated
                first = self._first_unit.setdefault(entry.name, stated)
                if stated != first or (entry.units and stated != entry.units):
                    self._stale.add(entry.name)  # enveloped again, converted, at the end
                    continue
                self._envelopes[entry.name].add(
                    view.index, part.stem, part.x, part.curves[top], part.curves[bottom]
                )

    def _in_one_unit(self) -> tuple[list[tuple[int, _Part]], dict[str, str | None]]:
        """Every graph's parts in its one unit (input order), and each graph's unit;
        a file that cannot be converted is an error row and a problem of the table."""
        top, bottom = reading.CURVES.index("max"), reading.CURVES.index("min")
        ordered = sorted(self._parts, key=lambda pair: pair[0])
        kept: list[tuple[int, _Part]] = []
        units: dict[str, str | None] = {}
        for entry in self.section.graphs:
            mine = [(i, p, self._stated.get((i, entry.name))) for i, p in ordered]
            mine = [item for item in mine if item[1].label == entry.name]
            converted = graphunits.convert(entry.name, entry.units, mine)
            units[entry.name] = converted.unit
            kept.extend(converted.parts)
            for index, part, message in converted.refused:
                ident = {"file": part.file, "stem": part.stem}
                self._refused.append((index, {**ident, "label": entry.name, "message": message}))
            if entry.name in self._stale:
                running = RunningEnvelope()
                for index, part in converted.parts:
                    running.add(index, part.stem, part.x, part.curves[top], part.curves[bottom])
                self._envelopes[entry.name] = running
        return sorted(kept, key=lambda pair: pair[0]), units

    def table(self, parts: list[tuple[int, _Part]] | None = None) -> pd.DataFrame:
        """The long ``range_graph`` table, rows in input order."""
        ordered = fileinfo.in_input_order(self._parts if parts is None else parts)
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
        self._refused = []
        parts, labels_units = self._in_one_unit()
        table = self.table(parts)
        shared = set(labels_units.values())
        unit = next(iter(shared)) if len(shared) == 1 else None
        if unit:  # every graph's values share one unit
            feature.set_units(table, dict.fromkeys(reading.CURVES, unit))
        rows: list[dict[str, Any]] = []
        for entry in self.section.graphs:
            rows.extend(self._envelopes[entry.name].rows(entry.name, entry.allowable))
        envelope_table = envelope_frame(rows, labels_units)
        for entry in self.section.graphs:
            stated = {u for (_, label), u in self._stated.items() if label == entry.name and u}
            if entry.allowable is not None and not entry.units and len(stated) > 1:
                add_problem(  # the allowable's unit would be whichever file came first
                    envelope_table,
                    f"graph {entry.name!r}: its files state {sorted(stated)}; the allowable "
                    f"{entry.allowable:g} was taken in {labels_units[entry.name]!r} (the first "
                    "file's unit): give the graph's units to say which",
                )
        for entry in self.section.graphs:
            mismatch = _grids_differ(entry.name, [part for _, part in parts])
            if mismatch is not None:
                add_problem(envelope_table, mismatch)
        if unit:
            feature.set_units(envelope_table, dict.fromkeys(("max", "min", "allowable"), unit))
        errors = self._errors.frame(self._refused)
        for _, cells in self._refused:  # a file left out of a graph: the batch may not exit 0
            add_problem(errors, f"{cells['file']}: {cells['message']}")
        return {
            SECTION: table,
            f"{SECTION}_envelope": envelope_table,
            f"{SECTION}_errors": errors,
        }


def _grids_differ(label: str, parts: Sequence[_Part]) -> str | None:
    """Why graph ``label``'s envelope is not over every file: its files give results at
    different arc lengths (another segmentation or line length), and an envelope row
    is taken over the files with a result at exactly its arc length. ``None`` when
    every file shares the first file's arc lengths."""
    mine = [part for part in parts if part.label == label]
    if len(mine) < 2:
        return None
    first = mine[0]
    for other in mine[1:]:
        if not np.array_equal(other.x, first.x):
            return (
                f"graph {label!r}: its files give results at different arc lengths "
                f"({first.file}: {len(first.x)} points from {_span(first.x)}; {other.file}: "
                f"{len(other.x)} points from {_span(other.x)}), so each row of the envelope "
                "covers only the files with a result at exactly its arc length: give the "
                "lines the same segmentation, or envelope them in separate batches"
            )
    return None


def _span(x: np.ndarray[Any, Any]) -> str:
    return f"{x.min():g} to {x.max():g}" if len(x) else "nowhere"


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

    A batch of :data:`~ofxpost._builtin.support.plot_process.MIN_FILES` files or more draws
    its PNGs in plot processes at the end, beside the other writers (started now when
    a CPU is spare, so that their imports overlap the files; else at the finish); a
    smaller one imports matplotlib in a background thread of the controller.
    """
    section: RangeGraphSection = plan.config.section(SECTION)
    if not (section.graphs and section.plots):
        return
    from ofxpost._builtin.support import plot_process

    if not plot_process.start_for_batch(plan, len(section.graphs)):
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
