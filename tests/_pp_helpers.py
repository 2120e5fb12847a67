"""Helpers of the post-processing tests: small synthetic batches, configs, raw readers.

Expected values are computed here *independently* of ofxpost's archive reader:
the archives are read with pyarrow directly (see :func:`raw_columns`).
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import yaml

RISER = "Riser"
VESSEL = "Vessel"
TENSION = "Effective tension"
BEND = "Bend moment"
CURVATURE = "Curvature"

SMALL = {"duration": 30.0, "dt": 0.5, "nodes": 9}
"""Settings of the small synthetic archives the tests use."""


def opp_config(sims: str = "sims", out: str = "results_opp") -> dict[str, Any]:
    """A digitalmodel opp config with masters and all four features."""
    config: dict[str, Any] = {
        "orcaflex": {
            "postprocess": {
                "visualization": {"flag": False},
                "summary": {
                    "flag": True,
                    "csv_decimal": 8,
                    "statistics": {"Minimum": True, "Maximum": True, "Mean": True, "StdDev": True},
                },
                "linked_statistics": {"flag": True, "csv_decimal": 6},
                "RangeGraph": {"flag": True},
                "time_series": {"flag": True, "csv_decimal": 6},
                "RAOs": {"flag": False},
                "cummulative_histograms": {"flag": False},
            }
        },
        "summary_settings_master": {
            "groups": [{"Label": "dynamics", "Columns": [{"SimulationPeriod": [None, None]}]}]
        },
        "summary_settings": {
            "groups": [
                {
                    "Label": "dynamics",
                    "Columns": [
                        {
                            "Command": "TimeHistory",
                            "ObjectName": RISER,
                            "objectExtra": ["End A"],
                            "Variable": TENSION,
                            "Statistic_Type": "Max",
                            "Label": "TopTensionMax",
                        },
                        {
                            "Command": "TimeHistory",
                            "ObjectName": RISER,
                            "objectExtra": ["End A"],
                            "Variable": TENSION,
                            "Statistic_Type": "Mean",
                            "SimulationPeriod": 1,
                            "Label": "TopTensionStage1",
                        },
                        {
                            "Command": "Range Graph",
                            "ObjectName": RISER,
                            "Variable": TENSION,
                            "Statistic_Type": "Max",
                            "ArcLength": [0.0, 60.0],
                            "Label": "RGMaxTension",
                        },
                        {
                            "Command": "TimeHistory",
                            "ObjectName": RISER,
                            "objectExtra": ["Touchdown"],
                            "Variable": BEND,
                            "Statistic_Type": "Max",
                            "Label": "TDPBend",
                        },
                        {
                            "Command": "Static Result",
                            "ObjectName": RISER,
                            "objectExtra": ["End A"],
                            "Variable": TENSION,
                            "Label": "StaticTopTension",
                        },
                    ],
                }
            ]
        },
        "linked_statistics_settings_master": {
            "groups": [{"Columns": [{"SimulationPeriod": "WholeSimulation", "ObjectType": "line"}]}]
        },
        "linked_statistics_settings": {
            "groups": [
                {
                    "Label": "end_a",
                    "Columns": [
                        {
                            "ObjectName": RISER,
                            "objectExtra": ["End A"],
                            "Variable": [TENSION, BEND, CURVATURE],
                            "Label": "top",
                        }
                    ],
                }
            ]
        },
        "RangeGraph": [
            {
                "ObjectName": RISER,
                "SimulationPeriod": "WholeSimulation",
                "Variable": TENSION,
                "ArcLength": [],
                "AdditionalData": ["Max", "Min", "Mean", "StdDev"],
                "axhline": 4000.0,
                "Label": "tension",
            }
        ],
        "time_series_settings_master": {
            "groups": [{"Columns": [{"SimulationPeriod": [0.0, None]}]}]
        },
        "time_series_settings": {
            "data": True,
            "histogram": False,
            "summation": False,
            "groups": [
                {
                    "Label": "top",
                    "Columns": [
                        {
                            "Command": "TimeHistory",
                            "ObjectName": RISER,
                            "objectExtra": ["End A"],
                            "Variable": TENSION,
                            "Label": "EndA_EffTension",
                        }
                    ],
                }
            ],
        },
        "file_management": {
            "input_directory": sims,
            "output_directory": out,
            "filename": {"extension": ["ofx.parquet"], "pattern": None},
        },
        "parallel_processing": {"enabled": True, "max_workers": 2},
    }
    return copy.deepcopy(config)


def write_yaml(path: Path, data: dict[str, Any]) -> Path:
    """Write ``data`` as YAML to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


# ------------------------------------------------------------------ synthetic batches


def make_sims(folder: Path, cases: int = 4, seed: int = 1, **overrides: Any) -> list[Path]:
    """Write ``cases`` small synthetic archives (and ``load_matrix.csv``) into ``folder``."""
    from ofxpost._tools.synth import generate_batch

    options = {**SMALL, **overrides}
    return list(generate_batch(folder, cases=cases, seed=seed, **options).paths)


class RawArchive:
    """An archive read with pyarrow alone (independent of ofxpost's reader)."""

    def __init__(self, path: Path) -> None:
        import json

        import pyarrow.parquet as pq

        table = pq.read_table(path)
        self.path = path
        self.frame = table.to_pandas()
        self.meta = json.loads(table.schema.metadata[b"ofxpost.archive"])
        self.model = self.meta["model"]
        self.objects = {o["name"]: o for o in self.meta["objects"]}
        self.times = self.frame["time"].to_numpy(dtype=float)
        self.dt = float(self.model["log_sample_interval"])
        self.start = float(self.model["start_time"])
        self.stop = float(self.model["stop_time"])

    def column(self, obj: str, variable: str, point: str = "") -> Any:
        """One stored column as a float array."""
        return self.frame[f"{obj}|{variable}|{point}"].to_numpy(dtype=float)

    def mask(self, low: float | None = None, high: float | None = None) -> Any:
        """Samples of the period [low, high]: low <= t <= high (no snapping)."""
        low = self.start if low is None else low
        high = self.stop if high is None else high
        tolerance = 1e-6 * self.dt
        return (self.times >= low - tolerance) & (self.times <= high + tolerance)

    def stage(self, number: int) -> tuple[float, float]:
        """``(from, to)`` of a stage (0 = build-up)."""
        durations = [float(d) for d in self.model["stage_durations"]]
        begin = self.start + sum(durations[:number])
        return begin, begin + durations[number]

    def node_arcs(self, obj: str = RISER) -> list[float]:
        """Arc length of every node."""
        return [float(v) for v in self.objects[obj]["node_arclengths"]]

    def section_ends(self, obj: str = RISER) -> list[float]:
        """Arc length at the end of every section."""
        return [float(v) for v in self.objects[obj]["section_ends"]]

    def static(self, obj: str, variable: str, point: str) -> float:
        """The static value of one stored point."""
        info = self.objects[obj]
        return float(info["static"][variable][info["results"][variable].index(point)])

    def nodes_between(self, low: float, high: float, obj: str = RISER) -> list[tuple[float, int]]:
        """``(arc length, node)`` of the nodes in [low, high]."""
        return [(a, n) for n, a in enumerate(self.node_arcs(obj), start=1) if low <= a <= high]

    def node_block(self, variable: str, nodes: list[int], mask: Any, obj: str = RISER) -> Any:
        """``(samples, nodes)`` values of ``variable`` at ``nodes`` over ``mask``."""
        import numpy as np

        return np.column_stack([self.column(obj, variable, f"node={n}")[mask] for n in nodes])


def run_config(path: Path, **options: Any) -> Any:
    """Run the config at ``path`` (events discarded) and return the BatchResult."""
    import ofxpost

    return ofxpost.run(path, **options)


_UNIT_SUFFIX = re.compile(r"^(?P<name>.*\S) \[(?P<unit>[^\[\]]+)\]$")


def read_table(out: Path, name: str) -> Any:
    """A written CSV table as a DataFrame, with plain column names.

    CSV headers carry units (``max_tension [kN]``). The Parquet copy's field
    metadata says which columns have one; without a Parquet copy, a trailing
    `` [<unit>]`` is taken off unless it is a number (``Length [1]`` is a label).
    """
    import pandas as pd
    import pyarrow.parquet as pq

    frame = pd.read_csv(out / f"{name}.csv")
    parquet = out / "parquet" / f"{name}.parquet"
    if parquet.is_file():
        rename = {
            f"{field.name} [{field.metadata[b'unit'].decode()}]": field.name
            for field in pq.read_schema(parquet)
            if field.metadata and b"unit" in field.metadata
        }
    else:
        rename = {}
        for column in frame.columns:
            match = _UNIT_SUFFIX.match(str(column))
            if match and not match["unit"].strip().lstrip("-").isdigit():
                rename[column] = match["name"]
    return frame.rename(columns=rename)


def png_size(path: Path) -> tuple[int, int]:
    """Width and height of a PNG, read from its IHDR chunk."""
    import struct

    data = path.read_bytes()[:24]
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR", f"{path} is not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def feature_config(sims: str = "sims", out: str = "out") -> dict[str, Any]:
    """A native config using every feature once (the determinism and Excel tests)."""
    return {
        "inputs": [f"{sims}/*.ofx.parquet"],
        "output_dir": out,
        "parallel_processing": {"max_workers": 2},
        "outputs": {"formats": ["csv", "parquet", "xlsx"]},
        "load_matrix": f"{sims}/load_matrix.csv",
        "summary": {
            "groups": [
                {
                    "name": "main",
                    "columns": [
                        {
                            "command": "range_graph",
                            "object": RISER,
                            "variable": TENSION,
                            "statistic": "max",
                            "label": "max_tension",
                        },
                        {
                            "command": "time_history",
                            "object": RISER,
                            "variable": BEND,
                            "object_extra": "touchdown",
                            "statistic": "abs_max",
                            "label": "tdp_bend",
                        },
                        {
                            "command": "time_history",
                            "object": "Missing",
                            "variable": TENSION,
                            "statistic": "max",
                            "label": "missing_object",
                        },
                    ],
                }
            ]
        },
        "linked_statistics": {
            "columns": [
                {
                    "object": RISER,
                    "object_extra": "end_a",
                    "variable": TENSION,
                    "linked_variables": [BEND, CURVATURE],
                    "label": "top",
                }
            ]
        },
        "range_graph": {
            "graphs": [
                {
                    "object": RISER,
                    "variable": TENSION,
                    "units": "kN",
                    "allowable": 900.0,
                    "label": "tension",
                }
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
                            "label": "tension",
                        }
                    ],
                }
            ]
        },
    }
