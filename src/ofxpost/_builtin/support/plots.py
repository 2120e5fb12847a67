"""Range-graph plots: one PNG per graph, every file's curves and the envelope.

Each figure is 10 × 6 inches at 200 dpi (2000 × 1200 pixels, always: no tight
bounding box). Per-file Max/Min curves are thin grey lines, the envelope is bold
(the Mean's, when the graph keeps ``mean``, dash-dotted; ``std_dev`` is not drawn:
it is not on the values' scale), an ``allowable`` limit is a dashed red line, the
governing case (the file of the envelope's peak) is labelled, and the entry's
``markers`` are dotted vertical lines. Axis titles carry the units. When the
batch was cancelled the title says PARTIAL. Matplotlib is imported only by
:mod:`.figures`, lazily, and drives its Agg renderer through
:class:`~matplotlib.figure.Figure` (no pyplot, no global backend). The tables
become :class:`~ofxpost._builtin.support.figures.FigureSpec` values here; drawing
them is :mod:`ofxpost._builtin.support.figures`, in this process or in the plot process
(:mod:`ofxpost._builtin.support.plot_process`).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from ofxpost._builtin.support.figures import (
    DPI,
    ENVELOPE_COLOURS,
    FIGURE_SIZE,
    MEAN_COLOUR,
    PER_FILE_COLOUR,
    Curve,
    FigureSpec,
    figure_of,
    import_renderer,
    save_pngs,
)
from ofxpost._builtin.support.graph_rows import graph_rows
from ofxpost._builtin.support.naming import safe_name, unique
from ofxpost._builtin.support.numpy import np
from ofxpost._builtin.support.pandas import pd

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "DPI",
    "FIGURE_SIZE",
    "RangeGraphEntry",
    "build_figure",
    "figure_spec",
    "figure_specs",
    "plot_file_names",
    "plot_range_graphs",
    "warm_up",
]


class RangeGraphEntry(Protocol):
    """What a plot needs of one range graph.

    :class:`ofxpost._builtin.rangegraph.RangeGraphEntry` has it; this module does not
    import that one, so that the plots sit below the feature that draws them.
    """

    @property
    def name(self) -> str:
        """The graph's label."""

    @property
    def title(self) -> str | None:
        """Plot title (``None``: the label)."""

    @property
    def x_label(self) -> str:
        """Plot x-axis title."""

    @property
    def axis_title(self) -> str:
        """Plot y-axis title."""

    @property
    def statistics(self) -> Sequence[str]:
        """The curves kept (``max``, ``min`` ...)."""

    @property
    def allowable(self) -> float | None:
        """A limit drawn as a dashed line, if any."""

    @property
    def markers(self) -> dict[str, float]:
        """Named arc lengths drawn as dotted vertical lines."""

    @property
    def per_case_plots(self) -> bool:
        """Also draw one plot per file (load case)."""


def warm_up() -> threading.Thread:
    """Import matplotlib in a background thread (the controller is idle while files run).

    Importing it takes ~0.5 s; done during the batch, the plots at the end no
    longer wait for it. A failed import is left for the drawing to report. (When
    the plots are drawn in the plot process, :mod:`ofxpost._builtin.support.plot_process`,
    the controller never imports matplotlib.)
    """
    thread = threading.Thread(
        target=import_renderer,
        name="ofxpost-plots-warm-up",
        daemon=True,
    )
    thread.start()
    return thread


def plot_file_names(entries: Sequence[RangeGraphEntry]) -> list[str]:
    """The PNG file name of each entry (``range_graph_<label>.png``, unique)."""
    stems = unique([f"range_graph_{safe_name(e.name)}" for e in entries])
    return [f"{stem}.png" for stem in stems]


def figure_specs(
    table: pd.DataFrame,
    envelope: pd.DataFrame | None,
    entries: Sequence[RangeGraphEntry],
    *,
    partial: bool = False,
) -> list[FigureSpec]:
    """What each entry's PNG shows, as plain data (see :mod:`.figures`)."""
    names = plot_file_names(entries)
    return [
        figure_spec(table, envelope, entry, partial=partial, file_name=name)
        for entry, name in zip(entries, names, strict=True)
    ]


def case_specs(
    table: pd.DataFrame,
    envelope: pd.DataFrame | None,
    entries: Sequence[RangeGraphEntry],
    *,
    partial: bool = False,
) -> list[FigureSpec]:
    """One spec per file of each entry with ``per_case_plots``: that file's requested
    curves (``max``, ``min``, ``mean``) in colour over the envelope (thin grey), the
    allowable and the markers; ``range_graph_<label>_<stem>.png``."""
    specs: list[FigureSpec] = []
    names = plot_file_names(entries)
    for entry, name in zip(entries, names, strict=True):
        if not entry.per_case_plots:
            continue
        env = envelope[envelope["label"] == entry.name] if envelope is not None else None
        background: list[Curve] = []
        if env is not None and not env.empty:
            x = env["x"].to_numpy(dtype=float)
            for column in ("max", "min"):
                values = env[column].to_numpy(dtype=float)
                if values.size and not np.all(np.isnan(values)):
                    background.append(Curve(x, values, PER_FILE_COLOUR, 1.0, f"envelope {column}"))
        wanted = [c for c in ("max", "min", "mean") if c in entry.statistics]
        parts = graph_rows(table, entry.name, ["x", *wanted])
        stems = [str(per_file.stem) for per_file in parts]
        files = unique([f"{name.removesuffix('.png')}_{safe_name(stem)}" for stem in stems])
        for stem, per_file, file_stem in zip(stems, parts, files, strict=True):
            x = per_file.values["x"]
            curves = list(background)
            for curve in wanted:
                colour = ENVELOPE_COLOURS.get(curve, MEAN_COLOUR)
                style = "-." if curve == "mean" else "-"
                values = per_file.values[curve]
                curves.append(Curve(x, values, colour, 2.0, f"{stem} {curve}", style))
            title = f"{entry.title or entry.name}: {stem}"
            if partial:
                title = f"PARTIAL: {title}"
            specs.append(
                FigureSpec(
                    file_name=f"{file_stem}.png",
                    title=title,
                    x_label=entry.x_label,
                    y_label=entry.axis_title,
                    curves=tuple(curves),
                    allowable=entry.allowable,
                    markers=_markers(entry),
                )
            )
    return specs


def _markers(entry: RangeGraphEntry) -> tuple[tuple[str, float], ...]:
    found = ((str(k), float(v)) for k, v in entry.markers.items())
    return tuple(sorted(found, key=lambda m: (m[1], m[0])))


def plot_range_graphs(
    table: pd.DataFrame,
    envelope: pd.DataFrame | None,
    entries: Sequence[RangeGraphEntry],
    folder: Path,
    *,
    partial: bool = False,
) -> list[Path]:
    """Write one PNG per entry into ``folder`` (in this process); return the paths."""
    return save_pngs(figure_specs(table, envelope, entries, partial=partial), folder)


def build_figure(
    table: pd.DataFrame,
    envelope: pd.DataFrame | None,
    entry: RangeGraphEntry,
    *,
    partial: bool = False,
) -> Figure:
    """The figure of one range graph (not saved)."""
    return figure_of(figure_spec(table, envelope, entry, partial=partial))


def figure_spec(
    table: pd.DataFrame,
    envelope: pd.DataFrame | None,
    entry: RangeGraphEntry,
    *,
    partial: bool = False,
    file_name: str = "",
) -> FigureSpec:
    """What one range graph's PNG shows: every file's curves, the envelope, the limit."""
    curves: list[Curve] = []
    chosen: list[str] = [c for c in ("max", "min") if c in entry.statistics]
    if not chosen:
        chosen = [str(entry.statistics[0])]
    first = True
    per_files = graph_rows(table, entry.name, ["x", *chosen])
    for per_file in per_files:
        x = per_file.values["x"]
        for curve in chosen:
            curves.append(
                Curve(
                    x,
                    per_file.values[curve],
                    PER_FILE_COLOUR,
                    0.7,
                    "per file" if first else None,
                )
            )
            first = False
    note: tuple[float, float, str] | None = None
    if envelope is not None and not envelope.empty:
        env = envelope[envelope["label"] == entry.name]
        x = env["x"].to_numpy(dtype=float)
        for column, colour in ENVELOPE_COLOURS.items():
            values = env[column].to_numpy(dtype=float)
            if values.size and not np.all(np.isnan(values)):
                curves.append(Curve(x, values, colour, 2.2, f"envelope {column}"))
        if "mean" in entry.statistics and per_files:
            part = table[table["label"] == entry.name]
            means = part.groupby("x", sort=True)["mean"].max().reindex(x)
            values = means.to_numpy(dtype=float)
            if values.size and not np.all(np.isnan(values)):
                curves.append(Curve(x, values, MEAN_COLOUR, 1.8, "envelope mean", "-."))
        top = env["max"].to_numpy(dtype=float)
        if top.size and not np.all(np.isnan(top)):
            at = int(np.nanargmax(top))
            stem = env["max_stem"].iloc[at]
            note = (float(x[at]), float(top[at]), governing_text(stem, top[at], x[at]))
    title = entry.title or entry.name
    if partial:
        title = f"PARTIAL: {title} (cancelled batch: some files missing)"
    return FigureSpec(
        file_name=file_name,
        title=title,
        x_label=entry.x_label,
        y_label=entry.axis_title,
        curves=tuple(curves),
        allowable=entry.allowable,
        no_data=not per_files,
        markers=tuple(
            sorted(
                ((str(k), float(v)) for k, v in entry.markers.items()), key=lambda m: (m[1], m[0])
            )
        ),
        note=note,
    )


def governing_text(stem: object, value: float, x: float) -> str:
    """The label of a graph's governing case: its file and peak."""
    return f"governing: {stem}\nmax {value:.4g} at {x:g} m"
