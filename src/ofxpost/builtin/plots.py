"""Range-graph plots: one PNG per graph, every file's curves and the envelope.

Each figure is 10 × 6 inches at 100 dpi (1000 × 600 pixels, always: no tight
bounding box). Per-file Max/Min curves are thin grey lines, the envelope is bold,
an ``allowable`` limit is a dashed red line. When the batch was cancelled the title
says PARTIAL. Matplotlib is imported only here, lazily, and drives its Agg
renderer through :class:`~matplotlib.figure.Figure` (no pyplot, no global backend).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pandas as pd

from ofxpost.atomic import atomic_path
from ofxpost.builtin.naming import safe_name, unique

if TYPE_CHECKING:
    from matplotlib.figure import Figure

FIGURE_SIZE = (10.0, 6.0)
"""Figure size in inches."""
DPI = 100
"""Dots per inch: plots are 1000 × 600 pixels."""


class RangeGraphEntry(Protocol):
    """What a plot needs of one range graph.

    :class:`ofxpost.builtin.rangegraph.RangeGraphEntry` has it; this module does not
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


def _import_renderer() -> None:
    with contextlib.suppress(Exception):  # a failure shows when the plots are drawn
        import matplotlib.backends.backend_agg
        import matplotlib.figure  # noqa: F401


def warm_up() -> threading.Thread:
    """Import matplotlib in a background thread (the controller is idle while files run).

    Importing it takes ~0.5 s; done during the batch, the plots at the end no
    longer wait for it. A failed import is left for :func:`build_figure` to report.
    """
    thread = threading.Thread(
        target=_import_renderer,
        name="ofxpost-plots-warm-up",
        daemon=True,
    )
    thread.start()
    return thread


def plot_file_names(entries: Sequence[RangeGraphEntry]) -> list[str]:
    """The PNG file name of each entry (``range_graph_<label>.png``, unique)."""
    stems = unique([f"range_graph_{safe_name(e.name)}" for e in entries])
    return [f"{stem}.png" for stem in stems]


def plot_range_graphs(
    table: pd.DataFrame,
    envelope: pd.DataFrame | None,
    entries: Sequence[RangeGraphEntry],
    folder: Path,
    *,
    partial: bool = False,
) -> list[Path]:
    """Write one PNG per entry into ``folder``; return the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for entry, file_name in zip(entries, plot_file_names(entries), strict=True):
        figure = build_figure(table, envelope, entry, partial=partial)
        path = folder / file_name
        with atomic_path(path) as tmp:
            figure.savefig(tmp, dpi=DPI, format="png", metadata={"Software": None})
        written.append(path)
    return written


def build_figure(
    table: pd.DataFrame,
    envelope: pd.DataFrame | None,
    entry: RangeGraphEntry,
    *,
    partial: bool = False,
) -> Figure:
    """The figure of one range graph (not saved)."""
    from matplotlib.figure import Figure  # no pyplot: no global backend state

    figure = Figure(figsize=FIGURE_SIZE, dpi=DPI)
    axes = figure.add_subplot(1, 1, 1)
    _draw(axes, table, envelope, entry)
    title = entry.title or entry.name
    if partial:
        title = f"PARTIAL: {title} (cancelled batch: some files missing)"
    axes.set_title(title)
    axes.set_xlabel(entry.x_label)
    axes.set_ylabel(entry.axis_title)
    axes.grid(True, linewidth=0.3, alpha=0.6)
    handles, _ = axes.get_legend_handles_labels()
    if handles:
        axes.legend(loc="best", fontsize="small")
    figure.subplots_adjust(left=0.09, right=0.97, top=0.92, bottom=0.1)
    return figure


def _draw(
    axes: Any, table: pd.DataFrame, envelope: pd.DataFrame | None, entry: RangeGraphEntry
) -> None:
    part = table[table["label"] == entry.name]
    if part.empty:
        axes.text(
            0.5, 0.5, "no data (see range_graph_errors)", ha="center", transform=axes.transAxes
        )
    curves: list[str] = [c for c in ("max", "min") if c in entry.statistics]
    if not curves:
        curves = [str(entry.statistics[0])]
    first = True
    for _, per_file in part.groupby("file", sort=False):
        for curve in curves:
            axes.plot(
                per_file["x"].to_numpy(dtype=float),
                per_file[curve].to_numpy(dtype=float),
                color="0.65",
                linewidth=0.7,
                label="per file" if first else None,
            )
            first = False
    if envelope is not None and not envelope.empty:
        env = envelope[envelope["label"] == entry.name]
        x = env["x"].to_numpy(dtype=float)
        for column, colour in (("max", "tab:blue"), ("min", "tab:green")):
            values = env[column].to_numpy(dtype=float)
            if values.size and not np.all(np.isnan(values)):
                axes.plot(x, values, color=colour, linewidth=2.2, label=f"envelope {column}")
    if entry.allowable is not None:
        axes.axhline(
            entry.allowable,
            color="tab:red",
            linestyle="--",
            linewidth=1.5,
            label=f"allowable {entry.allowable:g}",
        )
