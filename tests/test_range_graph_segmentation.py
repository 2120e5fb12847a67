"""A range-graph envelope over files whose lines are segmented differently.

Arc lengths are matched exactly, so a file with results at 0, 225, 450 ... and one at
0, 112.5, 225 ... meet only at the shared points: the rows in between are envelopes
of some of the files. Before, that table was written with exit 0; now it is still
written, and the batch says it is incomplete (an ``output_failed`` naming the graph,
both files and their points; exit 1).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

import ofxpost
from ofxpost._tools.synth import generate_batch
from tests._pp_helpers import write_yaml


def _config(tmp_path: Path, nodes_b: int) -> Path:
    generate_batch(tmp_path / "a", cases=2, seed=1, duration=10.0, dt=0.5, nodes=5)
    generate_batch(tmp_path / "b", cases=2, seed=2, duration=10.0, dt=0.5, nodes=nodes_b)
    return write_yaml(
        tmp_path / "rg.yml",
        {
            "inputs": ["a/*.ofx.parquet", "b/*.ofx.parquet"],
            "output_dir": "out",
            "range_graph": {
                "graphs": [{"object": "Riser", "variable": "Effective tension", "label": "te"}]
            },
            "outputs": {"formats": ["csv"]},
            "parallel_processing": {"max_workers": 1},
        },
    )


def test_files_segmented_differently_make_the_envelope_an_output_failure(
    tmp_path: Path,
) -> None:
    result = ofxpost.run(_config(tmp_path, nodes_b=9), in_process=True)
    assert result.exit_code == 1 and result.succeeded == 4
    [failure] = result.output_failures
    assert failure.target == "range_graph_envelope"
    assert "graph 'te'" in failure.message and "different arc lengths" in failure.message
    assert "a/case_001.ofx.parquet: 5 points" in failure.message
    assert "b/case_001.ofx.parquet: 9 points" in failure.message
    # nothing lost: the table is written, and its rows are what the message says
    envelope = pd.read_csv(tmp_path / "out" / "range_graph_envelope.csv")
    long = pd.read_csv(tmp_path / "out" / "range_graph.csv")
    per_x = long.groupby("x")["file"].nunique()
    assert len(envelope) == len(per_x) == 9 and set(per_x) == {2, 4}


def test_files_segmented_alike_exit_zero(tmp_path: Path) -> None:
    result = ofxpost.run(_config(tmp_path, nodes_b=5), in_process=True)
    assert result.exit_code == 0 and result.output_failures == ()
