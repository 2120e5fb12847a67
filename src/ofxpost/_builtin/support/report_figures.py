"""Drawing a report plot from plain data: the SVG of one range graph, without pandas.

:class:`ReportFigure` holds everything one of the report's plots shows -- each
file's curves, the envelopes, the allowable and the points over it, the governing
case -- as float arrays and strings, and :func:`draw_svg` draws it with
matplotlib's :class:`~matplotlib.figure.Figure` (no pyplot). The controller
builds the figures from the tables (:func:`ofxpost._builtin.support.report_plots.report_figure`)
and draws them. The module needs no pandas, so that the drawing could run in another
process; the SVG text is deterministic: a fixed hash salt, no date, text kept as text.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from ofxpost._builtin.support.figures import Curve, draw_section_markers
from ofxpost._builtin.support.numpy import np

SIZE = (9.0, 4.8)
"""Figure size in inches (the SVG scales to the page)."""
HASH_SALT = "ofxpost-report"
"""matplotlib's ``svg.hashsalt``: the SVG's element ids do not change between runs."""


@dataclass(frozen=True)
class ReportFigure:
    """Everything one report plot shows (picklable: plain values and arrays)."""

    title: str
    x_label: str
    y_label: str
    curves: tuple[Curve, ...] = ()
    """Each file's curves (thin, grey), then the envelopes, in drawing order."""
    markers: tuple[tuple[str, float], ...] = ()
    """Named arc lengths (section boundaries ...): dotted vertical lines, labelled."""
    allowable: float | None = None
    """The allowable: a dashed red line."""
    over: tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], str] | None = None
    """``(x, y, label)``: the envelope's points over the allowable, drawn as red dots
    (``None``: none is over)."""
    note: tuple[float, float, str] | None = None
    """``(x, y, text)``: the governing case, labelled with an arrow to its point."""


def draw_svg(spec: ReportFigure) -> str:
    """The SVG text of ``spec``."""
    import matplotlib
    from matplotlib.figure import Figure  # no pyplot: no global backend state

    with matplotlib.rc_context({"svg.hashsalt": HASH_SALT, "svg.fonttype": "none"}):
        figure = Figure(figsize=SIZE)
        axes = figure.add_subplot(1, 1, 1)
        for curve in spec.curves:
            axes.plot(
                curve.x,
                curve.y,
                color=curve.colour,
                linestyle=curve.style,
                linewidth=curve.width,
                label=curve.label,
            )
        draw_section_markers(axes, spec.markers, linewidth=0.9)
        if spec.allowable is not None:
            axes.axhline(
                spec.allowable,
                color="tab:red",
                linestyle="--",
                linewidth=1.4,
                label=f"allowable {spec.allowable:g}",
            )
        if spec.over is not None:
            over_x, over_y, label = spec.over
            axes.plot(over_x, over_y, "o", color="tab:red", markersize=3.5, label=label)
        if spec.note is not None:
            x, y, text = spec.note
            axes.annotate(
                text,
                (x, y),
                xytext=(0.02, 0.95),
                textcoords="axes fraction",
                va="top",
                fontsize=8,
                arrowprops={"arrowstyle": "->", "color": "0.3", "linewidth": 0.8},
                bbox={"boxstyle": "round,pad=0.3", "facecolor": "white", "edgecolor": "0.6"},
            )
        axes.set_title(spec.title)
        axes.set_xlabel(spec.x_label)
        axes.set_ylabel(spec.y_label)
        axes.grid(True, linewidth=0.3, alpha=0.6)
        axes.legend(loc="lower right", fontsize="x-small")
        figure.subplots_adjust(left=0.09, right=0.98, top=0.92, bottom=0.11)
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    return buffer.getvalue()
