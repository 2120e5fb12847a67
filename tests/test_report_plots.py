"""The report's range-graph SVGs: every file's curves, the envelopes over them."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from ofxpost._builtin.support import report_plots
from ofxpost._builtin.support.report_plots import GraphPlot


def _long(files: int = 3, nodes: int = 6) -> pd.DataFrame:
    rows = []
    for index in range(files):
        for node in range(nodes):
            x = 10.0 * node
            top = 100.0 + 7.0 * index + node
            rows.append((f"sims/c{index}.ofx.parquet", f"c{index}", "tension", x, top, top - 50.0))
    return pd.DataFrame(rows, columns=["file", "stem", "label", "x", "max", "min"])


def _envelope(long: pd.DataFrame) -> pd.DataFrame:
    top = long.loc[long.groupby("x", sort=True)["max"].idxmax()]
    bottom = long.groupby("x", sort=True)["min"].min()
    return pd.DataFrame(
        {
            "label": "tension",
            "x": top["x"].to_numpy(),
            "max": top["max"].to_numpy(),
            "max_stem": top["stem"].to_numpy(),
            "min": bottom.to_numpy(),
            "allowable": np.nan,
        }
    )


def test_each_files_curves_are_drawn_in_file_and_curve_order() -> None:
    long = _long()
    plot = GraphPlot("tension", "Tension", "Tension (kN)", curves=("max", "min"))
    axes = Figure().add_subplot(1, 1, 1)
    report_plots._per_file_curves(axes, plot, long)

    (collection,) = axes.collections
    assert isinstance(collection, LineCollection) and collection.get_label() == "per file"
    expected = [
        part[["x", curve]].to_numpy()
        for _, part in long.groupby("file", sort=False)
        for curve in ("max", "min")
    ]
    segments = collection.get_segments()
    assert len(segments) == 6
    for found, wanted in zip(segments, expected, strict=True):
        np.testing.assert_array_equal(found, wanted)
    # under the envelopes, which are plotted after it with the same z-order
    envelope = axes.plot([0.0, 50.0], [0.0, 1.0])[0]
    assert collection.get_zorder() == envelope.get_zorder()
    assert axes.get_children().index(collection) < axes.get_children().index(envelope)


def test_a_gap_in_a_curve_leaves_the_axes_limits_to_the_finite_points() -> None:
    long = _long()
    long.loc[(long["stem"] == "c2") & (long["x"] == 50.0), "max"] = np.nan  # the highest point
    long.loc[(long["stem"] == "c0") & (long["x"] == 0.0), "min"] = -np.inf
    plot = GraphPlot("tension", "Tension", "Tension (kN)", curves=("max", "min"))
    axes = Figure().add_subplot(1, 1, 1)
    report_plots._per_file_curves(axes, plot, long)

    finite = long[["max", "min"]].to_numpy()
    finite = finite[np.isfinite(finite)]
    (x0, y0), (x1, y1) = axes.dataLim.get_points()
    assert (x0, x1) == (0.0, 50.0)
    assert (y0, y1) == (finite.min(), finite.max())


def test_the_svg_holds_one_path_per_file_and_curve_and_no_nan() -> None:
    long = _long(files=4)
    long.loc[(long["stem"] == "c1") & (long["x"] == 20.0), "max"] = np.nan
    plot = GraphPlot("tension", "Tension", "Tension (kN)", curves=("max", "min"))
    svg = report_plots.svg_of(plot, _envelope(long), long)

    group = re.search(r'<g id="LineCollection_1">(.*?)</g>\s*<g id="line2d', svg, re.S)
    assert group is not None
    assert group.group(1).count("<path ") == 4 * 2
    assert "nan" not in svg.lower()
    assert "per file" in svg and "envelope max" in svg and "envelope min" in svg
    assert svg == report_plots.svg_of(plot, _envelope(long), long)  # deterministic
