"""Range graphs: curves and envelopes against numpy, and the PNG plots."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from tests._pp_helpers import (
    BEND,
    RISER,
    TENSION,
    RawArchive,
    make_sims,
    png_size,
    read_table,
    run_config,
    write_yaml,
)

GRAPHS = [
    {"object": RISER, "variable": TENSION, "units": "kN", "allowable": 900.0, "label": "tension"},
    {
        "object": RISER,
        "variable": BEND,
        "statistics": ["max", "std_dev"],
        "arclength_range": [100.0, 700.0],
        "period": {"stage": 1},
        "label": "bend",
    },
    {"object": RISER, "variable": "Missing variable", "label": "broken"},
]


@pytest.fixture(scope="module")
def rg_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("rangegraph")
    paths = make_sims(root / "sims", cases=3, seed=11)
    config = {
        "inputs": ["sims/*.ofx.parquet"],
        "output_dir": "out",
        "outputs": {"formats": ["csv"]},
        "range_graph": {"graphs": GRAPHS},
    }
    result = run_config(write_yaml(root / "batch.yml", config), sequential=True)
    return {"out": root / "out", "paths": paths, "result": result}


@pytest.mark.integration
def test_curves_match_numpy_and_every_requested_curve_is_kept(rg_run: dict[str, Any]) -> None:
    table = read_table(rg_run["out"], "range_graph")
    assert list(table.columns) == ["file", "stem", "label", "x", "min", "max", "mean", "std_dev"]
    for path in rg_run["paths"]:
        raw = RawArchive(path)
        stem = path.name.removesuffix(".ofx.parquet")
        # tension: whole line, whole simulation, all four curves
        part = table[(table["stem"] == stem) & (table["label"] == "tension")]
        nodes = raw.nodes_between(-1.0, 1e9)
        block = raw.node_block(TENSION, [n for _, n in nodes], raw.mask())
        np.testing.assert_allclose(part["x"], [a for a, _ in nodes])
        for name, expected in (
            ("min", block.min(axis=0)),
            ("max", block.max(axis=0)),
            ("mean", block.mean(axis=0)),
            ("std_dev", block.std(axis=0)),
        ):
            np.testing.assert_allclose(part[name], expected, rtol=1e-10, atol=1e-9)
        # bend: a range and a stage; only max and std_dev kept
        part = table[(table["stem"] == stem) & (table["label"] == "bend")]
        nodes = raw.nodes_between(100.0, 700.0)
        block = raw.node_block(BEND, [n for _, n in nodes], raw.mask(*raw.stage(1)))
        np.testing.assert_allclose(part["x"], [a for a, _ in nodes])
        np.testing.assert_allclose(part["max"], block.max(axis=0), rtol=1e-10, atol=1e-9)
        np.testing.assert_allclose(part["std_dev"], block.std(axis=0), rtol=1e-10, atol=1e-9)
        assert part["min"].isna().all() and part["mean"].isna().all()


@pytest.mark.integration
def test_envelope_matches_independent_maximum_over_files(rg_run: dict[str, Any]) -> None:
    envelope = read_table(rg_run["out"], "range_graph_envelope")
    assert list(envelope.columns) == [
        "label",
        "x",
        "max",
        "max_stem",
        "min",
        "min_stem",
        "allowable",
        "unit",
        "exceeds",
    ]
    raws = [RawArchive(p) for p in rg_run["paths"]]
    stems = [p.name.removesuffix(".ofx.parquet") for p in rg_run["paths"]]
    nodes = raws[0].nodes_between(-1.0, 1e9)
    maxima = np.array(
        [r.node_block(TENSION, [n for _, n in nodes], r.mask()).max(axis=0) for r in raws]
    )
    minima = np.array(
        [r.node_block(TENSION, [n for _, n in nodes], r.mask()).min(axis=0) for r in raws]
    )
    part = envelope[envelope["label"] == "tension"]
    np.testing.assert_allclose(part["x"], [a for a, _ in nodes])
    np.testing.assert_allclose(part["max"], maxima.max(axis=0), rtol=1e-10)
    np.testing.assert_allclose(part["min"], minima.min(axis=0), rtol=1e-10)
    assert list(part["max_stem"]) == [stems[i] for i in maxima.argmax(axis=0)]
    assert list(part["min_stem"]) == [stems[i] for i in minima.argmin(axis=0)]
    assert (part["allowable"] == 900.0).all() and (part["unit"] == "kN").all()
    assert list(part["exceeds"]) == list(part["max"] > 900.0)
    bend = envelope[envelope["label"] == "bend"]
    assert bend["min"].isna().all() and bend["min_stem"].isna().all()
    assert bend["allowable"].isna().all()


@pytest.mark.integration
def test_failed_graph_is_reported(rg_run: dict[str, Any]) -> None:
    errors = read_table(rg_run["out"], "range_graph_errors")
    assert list(errors["label"]) == ["broken"] * 3
    assert errors["message"].str.contains("Missing variable").all()
    table = read_table(rg_run["out"], "range_graph")
    assert "broken" not in set(table["label"])


@pytest.mark.integration
def test_plots_are_pngs_of_the_fixed_size(rg_run: dict[str, Any]) -> None:
    import matplotlib.image

    plots = sorted((rg_run["out"] / "plots").glob("*.png"))
    assert [p.name for p in plots] == [
        "range_graph_bend.png",
        "range_graph_broken.png",
        "range_graph_tension.png",
    ]
    for plot in plots:
        assert png_size(plot) == (2000, 1200)  # 10 x 6 inches at 200 dpi
    image = matplotlib.image.imread(plots[2])
    assert image.shape[:2] == (1200, 2000)
    assert set(rg_run["result"].outputs) >= set(plots)


def test_plot_title_axes_and_partial_marker() -> None:
    from ofxpost._builtin.rangegraph import RangeGraphEntry, RangeGraphSection, envelope
    from ofxpost._builtin.support.plots import build_figure

    entry = RangeGraphEntry.model_validate(GRAPHS[0])
    table = pd.DataFrame(
        {
            "file": ["a", "a", "b", "b"],
            "stem": ["a", "a", "b", "b"],
            "label": ["tension"] * 4,
            "x": [0.0, 10.0, 0.0, 10.0],
            "min": [1.0, 2.0, 0.5, 2.5],
            "max": [3.0, 4.0, 3.5, 3.8],
            "mean": [2.0] * 4,
            "std_dev": [0.1] * 4,
        }
    )
    env = envelope(table, RangeGraphSection(graphs=[entry]))
    assert list(env["max"]) == [3.5, 4.0] and list(env["max_stem"]) == ["b", "a"]
    figure = build_figure(table, env, entry, partial=True)
    axes = figure.axes[0]
    assert "PARTIAL" in axes.get_title()
    assert axes.get_ylabel() == "Effective tension (kN)" and axes.get_xlabel() == "Arc length (m)"
    labels = [t.get_text() for t in axes.get_legend().get_texts()]
    assert labels == ["per file", "envelope max", "envelope min", "envelope mean", "allowable 900"]
    mean = next(line for line in axes.get_lines() if line.get_label() == "envelope mean")
    assert list(mean.get_ydata()) == [2.0, 2.0] and mean.get_linestyle() == "-."
    notes = [t.get_text() for t in axes.texts]
    assert notes == ["governing: a\nmax 4 at 10 m"]  # the envelope's peak and its file
    widths = {line.get_label(): line.get_linewidth() for line in axes.get_lines()}
    assert widths["envelope max"] > widths["per file"]
    assert "PARTIAL" not in build_figure(table, env, entry).axes[0].get_title()


def test_plot_markers_and_no_mean_unless_requested() -> None:
    from ofxpost._builtin.rangegraph import RangeGraphEntry, RangeGraphSection, envelope
    from ofxpost._builtin.support.plots import build_figure

    entry = RangeGraphEntry.model_validate(
        {**GRAPHS[0], "statistics": ["max", "min"], "markers": {"TDP": 5.0, "hang-off": 0.0}}
    )
    table = pd.DataFrame(
        {
            "file": ["a", "a"], "stem": ["a", "a"], "label": ["tension"] * 2, "x": [0.0, 10.0],
            "min": [1.0, 2.0], "max": [3.0, 4.0], "mean": [2.0, 2.0], "std_dev": [0.1, 0.1],
        }
    )  # fmt: skip
    axes = build_figure(table, envelope(table, RangeGraphSection(graphs=[entry])), entry).axes[0]
    labels = [line.get_label() for line in axes.get_lines()]
    assert "envelope mean" not in labels
    assert [t.get_text() for t in axes.texts][:2] == ["hang-off", "TDP"]  # by arc length
    verticals = [line.get_xdata()[0] for line in axes.get_lines() if line.get_linestyle() == ":"]
    assert verticals == [0.0, 5.0]


def test_per_load_case_plots_on_request(tmp_path: Path) -> None:
    from ofxpost._builtin.rangegraph import RangeGraphEntry, RangeGraphSection, envelope
    from ofxpost._builtin.support.figures import save_pngs
    from ofxpost._builtin.support.plots import case_specs

    entry = RangeGraphEntry.model_validate(
        {**GRAPHS[0], "statistics": ["max", "mean"], "per_case_plots": True}
    )
    plain = RangeGraphEntry.model_validate({**GRAPHS[0], "label": "other"})
    table = pd.DataFrame(
        {
            "file": ["a", "a", "b", "b"], "stem": ["case_a", "case_a", "case_b", "case_b"],
            "label": ["tension"] * 4, "x": [0.0, 10.0, 0.0, 10.0], "min": [1.0] * 4,
            "max": [3.0, 4.0, 3.5, 3.8], "mean": [2.0] * 4, "std_dev": [0.1] * 4,
        }
    )  # fmt: skip
    env = envelope(table, RangeGraphSection(graphs=[entry, plain]))
    specs = case_specs(table, env, [entry, plain])
    assert [s.file_name for s in specs] == [
        "range_graph_tension_case_a.png",
        "range_graph_tension_case_b.png",
    ]  # none for the graph that did not ask
    labels = [c.label for c in specs[1].curves]
    assert labels == ["envelope max", "envelope min", "case_b max", "case_b mean"]
    assert list(specs[1].curves[2].y) == [3.5, 3.8] and specs[1].allowable == 900.0
    assert specs[0].title.endswith(": case_a")
    written = save_pngs(specs, tmp_path)
    assert all(png_size(p) == (2000, 1200) for p in written)
