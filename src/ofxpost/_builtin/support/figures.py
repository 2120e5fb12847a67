"""Drawing a range-graph figure from plain data: what a plot is, without pandas.

:class:`FigureSpec` holds everything one PNG shows -- the curves as float arrays,
the titles, the allowable -- and :func:`save_png` draws and saves it with
matplotlib's Agg renderer through :class:`~matplotlib.figure.Figure` (no pyplot,
no global backend). The controller builds the specs from the tables
(:mod:`ofxpost._builtin.support.plots`); the drawing runs either there or in the plot
process (:mod:`ofxpost._builtin.support.plot_process`), which imports only this module,
numpy and matplotlib. The same specs give the same bytes in either place: the
PNG carries no time stamp and no software tag.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ofxpost._builtin.support.numpy import np
from ofxpost._core.atomic import atomic_path

if TYPE_CHECKING:
    from matplotlib.figure import Figure

FIGURE_SIZE = (10.0, 6.0)
"""Figure size in inches."""
DPI = 200
"""Dots per inch: plots are 2000 × 1200 pixels (report quality)."""

PER_FILE_COLOUR = "0.65"
ENVELOPE_COLOURS = {"max": "tab:blue", "min": "tab:green"}
MEAN_COLOUR = "tab:orange"


@dataclass(frozen=True)
class Curve:
    """One line of a figure."""

    x: np.ndarray[Any, Any]
    y: np.ndarray[Any, Any]
    colour: str
    width: float
    label: str | None = None
    style: str = "-"
    """Matplotlib line style (``-.`` for the mean envelope)."""


@dataclass(frozen=True)
class FigureSpec:
    """Everything one range-graph PNG shows (picklable: plain values and arrays)."""

    file_name: str
    """``range_graph_<label>.png``."""
    title: str
    x_label: str
    y_label: str
    curves: tuple[Curve, ...] = field(default_factory=tuple)
    """Per-file curves, then the envelope's, in drawing order."""
    allowable: float | None = None
    no_data: bool = False
    """Say "no data" in the middle of the axes."""
    markers: tuple[tuple[str, float], ...] = ()
    """Named arc lengths (section boundaries ...): dotted vertical lines, labelled."""
    note: tuple[float, float, str] | None = None
    """``(x, y, text)``: the governing case, labelled with an arrow to its point."""


def import_renderer() -> None:
    """Import matplotlib's figure and Agg renderer (a failure shows when drawing)."""
    with contextlib.suppress(Exception):
        import matplotlib.backends.backend_agg
        import matplotlib.figure  # noqa: F401


def figure_of(spec: FigureSpec) -> Figure:
    """The figure of ``spec`` (not saved)."""
    from matplotlib.figure import Figure  # no pyplot: no global backend state

    figure = Figure(figsize=FIGURE_SIZE, dpi=DPI)
    axes = figure.add_subplot(1, 1, 1)
    if spec.no_data:
        axes.text(
            0.5, 0.5, "no data (see range_graph_errors)", ha="center", transform=axes.transAxes
        )
    for curve in spec.curves:
        axes.plot(
            curve.x,
            curve.y,
            color=curve.colour,
            linewidth=curve.width,
            linestyle=curve.style,
            label=curve.label,
        )
    draw_section_markers(axes, spec.markers, linewidth=1.0)
    if spec.note is not None:
        x, y, text = spec.note
        draw_governing_note(axes, (x, y), text, top=0.96, fontsize="small")
    if spec.allowable is not None:
        draw_allowable(axes, spec.allowable, linewidth=1.5)
    axes.set_title(spec.title)
    axes.set_xlabel(spec.x_label)
    axes.set_ylabel(spec.y_label)
    axes.grid(True, linewidth=0.3, alpha=0.6)
    handles, _ = axes.get_legend_handles_labels()
    if handles:
        axes.legend(loc="best", fontsize="small")
    figure.subplots_adjust(left=0.09, right=0.97, top=0.92, bottom=0.1)
    return figure


def save_png(spec: FigureSpec, folder: Path) -> Path:
    """Draw ``spec`` into ``folder/<file_name>`` (atomically); return the path."""
    figure = figure_of(spec)
    path = folder / spec.file_name
    with atomic_path(path) as tmp:
        figure.savefig(tmp, dpi=DPI, format="png", metadata={"Software": None})
    return path


def save_pngs(specs: list[FigureSpec], folder: Path) -> list[Path]:
    """:func:`save_png` of each spec, in order."""
    folder.mkdir(parents=True, exist_ok=True)
    return [save_png(spec, folder) for spec in specs]


def draw_section_markers(
    axes: Any, markers: Iterable[tuple[str, float]], linewidth: float
) -> None:
    """Draw each arc-length section marker as a dotted vertical line, named at the top."""
    for name, where in markers:
        axes.axvline(where, color="0.35", linestyle=":", linewidth=linewidth)
        axes.annotate(
            name,
            (where, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(2, -2),
            textcoords="offset points",
            rotation=90,
            va="top",
            fontsize="x-small",
            color="0.25",
        )


def draw_allowable(axes: Any, allowable: float, linewidth: float) -> None:
    """Draw the allowable as a dashed red line across the axes, in the legend."""
    axes.axhline(
        allowable,
        color="tab:red",
        linestyle="--",
        linewidth=linewidth,
        label=f"allowable {allowable:g}",
    )


def draw_governing_note(
    axes: Any, point: tuple[float, float], text: str, *, top: float, fontsize: Any
) -> None:
    """Label the governing case: ``text`` boxed near the top left (``top``, in axes
    fraction), with an arrow to ``point``."""
    axes.annotate(
        text,
        point,
        xytext=(0.02, top),
        textcoords="axes fraction",
        va="top",
        fontsize=fontsize,
        arrowprops={"arrowstyle": "->", "color": "0.3", "linewidth": 0.8},
        bbox={"boxstyle": "round,pad=0.3", "facecolor": "white", "edgecolor": "0.6"},
    )
