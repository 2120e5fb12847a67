"""The report's range-graph plots: SVG, drawn from the tables with matplotlib.

Each graph shows every file's requested curves (thin, grey), the envelope of each
requested curve over the files (``max``: largest Max, ``min``: smallest Min,
``mean``: largest Mean; ``std_dev`` is not an envelope and is left out), the
allowable as a dashed red line, the points over it marked, and the governing
case (the file of the envelope's peak) labelled. Arc-length section boundaries
(the graph's ``markers``) are dotted vertical lines, labelled. Axis titles carry the units.

The SVG is deterministic: a fixed hash salt, no date, text kept as text.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ofxpost._builtin.support.figures import (
    draw_allowable,
    draw_governing_note,
    draw_section_markers,
)
from ofxpost._builtin.support.graph_rows import graph_rows
from ofxpost._builtin.support.numpy import np
from ofxpost._builtin.support.pandas import pd

ENVELOPE_STYLE: dict[str, tuple[str, str]] = {
    "max": ("tab:blue", "-"),
    "min": ("tab:green", "-"),
    "mean": ("tab:orange", "-."),
}
LINE_ZORDER = 2
"""Matplotlib's z-order of plotted lines: the per-file collection shares it, so that
the envelopes, plotted after it, are drawn over it."""
SIZE = (9.0, 4.8)
"""Figure size in inches (the SVG scales to the page)."""


@dataclass(frozen=True)
class GraphPlot:
    """What one report plot shows."""

    label: str
    title: str
    y_label: str
    x_label: str = "Arc length (m)"
    curves: Sequence[str] = ("max", "min")
    allowable: float | None = None
    markers: Sequence[tuple[str, float]] = field(default_factory=tuple)
    """Named arc lengths (section boundaries ...): dotted lines."""
    unit: str | None = None
    """Units of the values (for captions)."""


def graph_plots(
    envelope: pd.DataFrame, long: pd.DataFrame | None, settings: pd.DataFrame | None
) -> list[GraphPlot]:
    """One :class:`GraphPlot` per graph of the envelope table; ``settings`` (the
    ``report_graphs`` table) gives titles, curves and units, else they are guessed."""
    known: dict[str, Any] = {}
    if settings is not None and "label" in settings.columns:
        known = {str(row.label): row for row in settings.itertuples(index=False)}
    unit = envelope.attrs.get("ofxpost.units", {}).get("max")
    plots: list[GraphPlot] = []
    for label in dict.fromkeys(str(v) for v in envelope["label"].tolist()):
        part = envelope[envelope["label"] == label]
        allowable = part["allowable"].iloc[0]
        allowable = None if allowable is None or allowable != allowable else float(allowable)
        row = known.get(label)
        if row is not None:
            curves = [c for c in str(row.curves).split() if c in ENVELOPE_STYLE]
            plots.append(
                GraphPlot(
                    label,
                    str(row.title),
                    str(row.y_label),
                    str(row.x_label),
                    curves or ["max"],
                    allowable,
                    unit=str(row.units) or unit,
                    markers=_markers(getattr(row, "markers", "")),
                )
            )
            continue
        curves = ["max", "min"]
        if long is not None and "mean" in long.columns:
            mine = long[long["label"] == label]
            curves = [c for c in ("max", "min", "mean") if mine[c].notna().any()]
        y_label = f"{label} ({unit})" if unit else label
        plots.append(
            GraphPlot(label, label, y_label, "Arc length (m)", curves, allowable, unit=unit)
        )
    return plots


def _markers(text: Any) -> tuple[tuple[str, float], ...]:
    try:
        found = json.loads(str(text)) if text else {}
    except ValueError:
        return ()
    if not isinstance(found, dict):
        return ()
    return tuple((str(k), float(v)) for k, v in found.items() if isinstance(v, int | float))


def _per_file_curves(axes: Any, plot: GraphPlot, long: pd.DataFrame) -> None:
    """Every file's requested curves, thin and grey, as one line collection.

    One artist instead of a line per file and curve: the SVG of a 128-file graph is
    drawn in about half the time (0.16-0.27 s -> 0.08-0.10 s each), and the report
    is 3-5 % smaller. Curves are drawn in the same order (file by file, each file's
    curves in ``plot.curves`` order), under the envelopes (drawn later, same
    z-order), and a gap in a curve (NaN) is a gap, as in a plotted line.
    """
    from matplotlib.collections import LineCollection

    segments = [
        np.column_stack((per_file.values["x"], per_file.values[curve]))
        for per_file in graph_rows(long, plot.label, ["x", *plot.curves])
        for curve in plot.curves
    ]
    if not segments:
        return
    curves = LineCollection(
        segments, colors="0.75", linewidths=0.5, label="per file", zorder=LINE_ZORDER
    )
    axes.add_collection(curves, autolim=False)  # the limits from the finite points only
    points = np.concatenate([s[np.isfinite(s).all(axis=1)] for s in segments])
    if points.size:
        axes.update_datalim(points)
    axes.autoscale_view()


def svg_of(plot: GraphPlot, envelope: pd.DataFrame, long: pd.DataFrame | None) -> str:
    """The SVG text of ``plot``."""
    import matplotlib
    from matplotlib.figure import Figure

    env = envelope[envelope["label"] == plot.label]
    x = env["x"].to_numpy(dtype=float)
    with matplotlib.rc_context({"svg.hashsalt": "ofxpost-report", "svg.fonttype": "none"}):
        figure = Figure(figsize=SIZE)
        axes = figure.add_subplot(1, 1, 1)
        if long is not None and not long.empty:
            _per_file_curves(axes, plot, long)
        for curve in plot.curves:
            colour, style = ENVELOPE_STYLE[curve]
            if curve in ("max", "min"):
                values = env[curve].to_numpy(dtype=float)
            elif long is not None and not long.empty:
                mine = long[long["label"] == plot.label]
                values = mine.groupby("x", sort=True)[curve].max().reindex(x).to_numpy(dtype=float)
            else:
                continue
            axes.plot(
                x, values, color=colour, linestyle=style, linewidth=1.8, label=f"envelope {curve}"
            )
        draw_section_markers(axes, plot.markers, linewidth=0.9)
        top = env["max"].to_numpy(dtype=float)
        if plot.allowable is not None:
            draw_allowable(axes, plot.allowable, linewidth=1.4)
            over = top > plot.allowable
            if over.any():
                axes.plot(
                    x[over],
                    top[over],
                    "o",
                    color="tab:red",
                    markersize=3.5,
                    label=f"over allowable ({int(over.sum())} points)",
                )
        if "max" in plot.curves and np.isfinite(top).any():
            at = int(np.nanargmax(top))
            stem = env["max_stem"].iloc[at]
            text = f"governing: {stem}\n{top[at]:.4g} at {x[at]:g} m"
            draw_governing_note(axes, (x[at], top[at]), text, top=0.95, fontsize=8)
        axes.set_title(plot.title)
        axes.set_xlabel(plot.x_label)
        axes.set_ylabel(plot.y_label)
        axes.grid(True, linewidth=0.3, alpha=0.6)
        axes.legend(loc="lower right", fontsize="x-small")
        figure.subplots_adjust(left=0.09, right=0.98, top=0.92, bottom=0.11)
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    return buffer.getvalue()
