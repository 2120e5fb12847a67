"""The report's range-graph plots: made from the tables as plain data, drawn as SVG by
:mod:`.report_figures`.

Each graph shows every file's requested curves (thin, grey), the envelope of each
requested curve over the files (``max``: largest Max, ``min``: smallest Min,
``mean``: largest Mean; ``std_dev`` is not an envelope and is left out), the
allowable as a dashed red line, the points over it marked, and the governing
case (the file of the envelope's peak) labelled. Arc-length section boundaries
(the graph's ``markers``) are dotted vertical lines, labelled. Axis titles carry the units.

The SVG is deterministic: a fixed hash salt, no date, text kept as text.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ofxpost._builtin.support.figures import Curve
from ofxpost._builtin.support.graph_rows import graph_rows
from ofxpost._builtin.support.numpy import np
from ofxpost._builtin.support.pandas import pd
from ofxpost._builtin.support.report_figures import ReportFigure, draw_svg

ENVELOPE_STYLE: dict[str, tuple[str, str]] = {
    "max": ("tab:blue", "-"),
    "min": ("tab:green", "-"),
    "mean": ("tab:orange", "-."),
}
PER_FILE_COLOUR = "0.75"


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


def report_figure(
    plot: GraphPlot, envelope: pd.DataFrame, long: pd.DataFrame | None
) -> ReportFigure:
    """What ``plot`` shows, as plain data (:func:`~.report_figures.draw_svg` draws it)."""
    env = envelope[envelope["label"] == plot.label]
    x = env["x"].to_numpy(dtype=float)
    curves: list[Curve] = []
    mine = None
    if long is not None and not long.empty:
        for per_file in graph_rows(long, plot.label, ["x", *plot.curves]):
            for curve in plot.curves:
                label = "per file" if not curves else None
                values = per_file.values[curve]
                curves.append(Curve(per_file.values["x"], values, PER_FILE_COLOUR, 0.5, label))
        if "mean" in plot.curves:
            mine = long[long["label"] == plot.label]
    for curve in plot.curves:
        colour, style = ENVELOPE_STYLE[curve]
        if curve in ("max", "min"):
            values = env[curve].to_numpy(dtype=float)
        elif mine is not None:
            values = mine.groupby("x", sort=True)[curve].max().reindex(x).to_numpy(dtype=float)
        else:
            continue
        curves.append(Curve(x, values, colour, 1.8, f"envelope {curve}", style))
    top = env["max"].to_numpy(dtype=float)
    over = None
    if plot.allowable is not None:
        above = top > plot.allowable
        if above.any():
            over = (x[above], top[above], f"over allowable ({int(above.sum())} points)")
    note = None
    if "max" in plot.curves and np.isfinite(top).any():
        at = int(np.nanargmax(top))
        stem = env["max_stem"].iloc[at]
        note = (float(x[at]), float(top[at]), f"governing: {stem}\n{top[at]:.4g} at {x[at]:g} m")
    return ReportFigure(
        plot.title,
        plot.x_label,
        plot.y_label,
        tuple(curves),
        tuple(plot.markers),
        plot.allowable,
        over,
        note,
    )


def svg_of(plot: GraphPlot, envelope: pd.DataFrame, long: pd.DataFrame | None) -> str:
    """The SVG text of ``plot``."""
    return draw_svg(report_figure(plot, envelope, long))
