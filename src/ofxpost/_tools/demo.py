"""``ofxpost demo``: a synthetic batch and a config that exercises every feature."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import yaml

DEMO_CONFIG = "ofxpost-demo.yml"
"""Name of the config file the demo writes."""


RISER = "Riser"
VESSEL = "Vessel"
TENSION = "Effective tension"
BEND = "Bend moment"
SECTION_MARKERS = {"section 1/2": 100.0, "section 2/3": 600.0}
"""The synthetic riser's section boundaries (m), marked on the range-graph plots."""


def _summary_columns() -> list[dict[str, Any]]:
    """The demo's summary columns: range-graph extremes, point statistics, data."""
    riser = {"object": RISER}
    return [
        {
            **riser,
            "command": "range_graph",
            "variable": TENSION,
            "statistic": "max",
            "label": "max_tension",
            "allowable": {"max": 900.0},
        },
        {
            **riser,
            "command": "range_graph",
            "variable": TENSION,
            "statistic": "arc_length_of_max",
            "label": "max_tension_arc_length",
        },
        {
            **riser,
            "command": "range_graph",
            "variable": TENSION,
            "statistic": "min",
            "label": "min_tension",
            "allowable": {"min": 100.0},
        },
        {
            **riser,
            "command": "time_history",
            "variable": BEND,
            "object_extra": "touchdown",
            "statistic": "abs_max",
            "label": "tdp_bend_moment_max",
            "allowable": {"max": 280.0},
        },
        {
            **riser,
            "command": "time_history",
            "variable": TENSION,
            "object_extra": "end_a",
            "statistic": "p99",
            "label": "top_tension_p99",
        },
        {
            **riser,
            "command": "time_history",
            "variable": TENSION,
            "object_extra": "end_a",
            "statistic": "time_of_max",
            "period": {"stage": 1},
            "label": "top_tension_time_of_max",
        },
        {
            **riser,
            "command": "range_graph",
            "variable": "Curvature",
            "statistic": "max",
            "arclength_range": {"sections": [1, 1]},
            "label": "max_curvature_section_1",
        },
        {
            **riser,
            "command": "static_result",
            "variable": TENSION,
            "object_extra": "end_a",
            "label": "static_top_tension",
        },
        {
            "command": "time_history",
            "object": VESSEL,
            "variable": "Z",
            "statistic": "std",
            "period": [0, None],
            "label": "vessel_heave_std",
        },
        {**riser, "command": "data", "variable": "Length", "index": 0, "label": "section_1_length"},
    ]


def demo_config(cases: int) -> dict[str, Any]:
    """The native config the demo runs (paths relative to the demo folder).

    It exercises every post-processing feature on the synthetic batch: the load
    matrix ``sims/load_matrix.csv`` written by :func:`ofxpost._tools.synth.generate_batch`,
    a summary group (range-graph max tension, touchdown bend moment, percentiles,
    a stage period, a static result, an input-data item), linked statistics,
    range graphs with allowable lines (plots), allowables on three summary columns
    (the touchdown bend moment's is exceeded by some cases), a time-series group,
    the Excel workbook and the HTML report. ``cases`` does not change the config.
    """
    return {
        "inputs": ["sims/*.ofx.parquet"],
        "output_dir": "results",
        "parallel_processing": {"max_workers": "auto", "timeout_per_file": 600},
        "outputs": {"formats": ["csv", "parquet", "xlsx", "html"]},
        "excel": {"name": "ofxpost-demo-results.xlsx"},
        "load_matrix": "sims/load_matrix.csv",
        "summary": {"groups": [{"name": "extremes", "columns": _summary_columns()}]},
        "linked_statistics": {
            "columns": [
                {
                    "object": RISER,
                    "object_extra": "end_a",
                    "variable": TENSION,
                    "linked_variables": [BEND, "Declination"],
                    "label": "top",
                },
                {
                    "object": RISER,
                    "object_extra": "touchdown",
                    "variable": BEND,
                    "linked_variables": [TENSION],
                    "label": "touchdown",
                },
            ]
        },
        "range_graph": {
            "graphs": [
                {
                    "object": RISER,
                    "variable": TENSION,
                    "units": "kN",
                    "allowable": 900.0,
                    "label": "effective_tension",
                    "title": "Riser effective tension envelope",
                    "markers": SECTION_MARKERS,
                },
                {
                    "object": RISER,
                    "variable": BEND,
                    "units": "kN.m",
                    "allowable": 650.0,
                    "statistics": ["max", "mean"],
                    "label": "bend_moment",
                    "title": "Riser bend moment envelope",
                    "markers": SECTION_MARKERS,
                },
            ]
        },
        "time_series": {
            "groups": [
                {
                    "name": "top",
                    "period": [0, None],
                    "columns": [
                        {
                            "object": RISER,
                            "variable": TENSION,
                            "object_extra": "end_a",
                            "label": "top_tension",
                        },
                        {"object": VESSEL, "variable": "Z", "label": "vessel_heave"},
                    ],
                }
            ]
        },
    }


def prepare_demo(out: Path | None, cases: int = 24, seed: int = 0) -> Path:
    """Write ``cases`` synthetic archives and the demo config into ``out``.

    :param out: the demo folder (default: a fresh temporary folder).
    :returns: the config file's path.
    """
    from ofxpost._tools.synth import generate_batch

    folder = Path(out) if out is not None else Path(tempfile.mkdtemp(prefix="ofxpost-demo-"))
    folder.mkdir(parents=True, exist_ok=True)
    generate_batch(cases=cases, out_dir=folder / "sims", seed=seed)
    config_path = folder / DEMO_CONFIG
    config_path.write_text(yaml.safe_dump(demo_config(cases), sort_keys=False), encoding="utf-8")
    return config_path


def describe_outputs(output_dir: Path) -> str:
    """A few lines telling what the demo wrote: files, failures, tables, workbook, plots."""
    lines: list[str] = []
    files = output_dir / "files.csv"
    if files.is_file():
        import pandas as pd

        table = pd.read_csv(files)
        statuses = [str(s) for s in table["status"]] if "status" in table else []
        parts = ", ".join(f"{statuses.count(s)} {s}" for s in ("ok", "partial", "failed"))
        lines.append(f"files: {len(table)} ({parts})")
        failures = output_dir / "failures.csv"
        failed = len(pd.read_csv(failures)) if failures.is_file() else 0
        lines.append(f"failures: {failed} (see {failures})" if failed else "failures: none")
    tables = sorted(output_dir.glob("*.csv"))
    lines.append(f"tables: {len(tables)} CSV files in {output_dir} (Parquet in parquet/)")
    workbooks = sorted(output_dir.glob("*.xlsx"))
    if workbooks:
        lines.append(f"workbook: {workbooks[0]}")
    if (output_dir / "report.html").is_file():
        lines.append(f"report: {output_dir / 'report.html'}")
    plots = sorted((output_dir / "plots").glob("*.png")) if (output_dir / "plots").exists() else []
    if plots:
        lines.append(f"plots: {len(plots)} PNG files in {output_dir / 'plots'}")
    return "\n".join(lines)
