"""Range graphs and linked statistics never compare or show values in a unit they are
not in: the same riser stored in kN (one file) and in N (another) gives the same
numbers in one unit, checked against the raw samples read with pyarrow."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from ofxpost._tools.synth import generate_batch
from tests._pp_helpers import read_table, run_config, write_yaml

pytestmark = pytest.mark.integration

TENSION = "Effective tension"


def _in_newtons(source: Path, target: Path) -> None:
    """``source`` with every effective tension stored in N (values × 1000)."""
    table = pq.read_table(source)
    metadata = dict(table.schema.metadata)
    info = json.loads(metadata[b"ofxpost.archive"])
    for item in info["objects"]:
        if item["name"] == "Riser":
            item["units"][TENSION] = "N"
            item["static"][TENSION] = [v * 1000.0 for v in item["static"][TENSION]]
    columns = [
        pc.multiply(table[name], 1000.0) if name.startswith(f"Riser|{TENSION}|") else table[name]
        for name in table.column_names
    ]
    metadata[b"ofxpost.archive"] = json.dumps(info).encode()
    out = pa.table(columns, names=table.column_names).replace_schema_metadata(metadata)
    pq.write_table(out, target)


@pytest.fixture(scope="module")
def sims(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("units") / "sims"
    generate_batch(folder, cases=2, seed=11)
    _first, second = sorted(folder.glob("*.ofx.parquet"))
    _in_newtons(second, second.with_name("tmp.parquet"))
    second.unlink()
    second.with_name("tmp.parquet").rename(second)
    return folder


def _run(root: Path, sims: Path, name: str, **sections: Any) -> Any:
    config = {
        "inputs": [f"{sims.name}/*.ofx.parquet"],
        "output_dir": name,
        "outputs": {"formats": ["csv", "parquet"]},
        **sections,
    }
    return run_config(write_yaml(root / f"{name}.yml", config), sequential=True)


def _raw_kn(path: Path, point: str) -> np.ndarray[Any, Any]:
    """A point's effective tension in kN, from the stored samples."""
    table = pq.read_table(path)
    info = json.loads(table.schema.metadata[b"ofxpost.archive"])
    (riser,) = [o for o in info["objects"] if o["name"] == "Riser"]
    scale = {"kN": 1.0, "N": 1e-3}[riser["units"][TENSION]]
    return table[f"Riser|{TENSION}|{point}"].to_numpy() * scale


def test_range_graph_envelope_in_one_unit(sims: Path) -> None:
    graph = {"object": "Riser", "variable": TENSION, "units": "kN", "allowable": 850.0}
    result = _run(sims.parent, sims, "rg", range_graph={"graphs": [{**graph, "label": "te"}]})
    assert result.exit_code == 0
    envelope = read_table(sims.parent / "rg", "range_graph_envelope")
    first = envelope.iloc[0]  # x = 0: End A
    files = sorted(sims.glob("*.ofx.parquet"))
    peaks = {p.name.split(".")[0]: float(_raw_kn(p, "end_a").max()) for p in files}
    assert first["max"] == pytest.approx(max(peaks.values()), rel=1e-9)
    assert first["max_stem"] == max(peaks, key=lambda k: peaks[k])
    assert first["unit"] == "kN"
    long = read_table(sims.parent / "rg", "range_graph")
    at_a = long[long["x"] == 0.0].set_index("stem")["max"]
    for stem, peak in peaks.items():
        assert at_a[stem] == pytest.approx(peak, rel=1e-9)  # the N file shown in kN


def test_a_range_graph_allowable_with_files_in_two_units_needs_the_graphs_unit(
    sims: Path,
) -> None:
    graph = {"object": "Riser", "variable": TENSION, "allowable": 850.0, "label": "te"}
    result = _run(sims.parent, sims, "rg2", range_graph={"graphs": [graph]})
    assert result.exit_code == 1
    (failure,) = result.output_failures
    assert failure.target == "range_graph_envelope" and "give the graph's units" in failure.message


def test_linked_statistics_in_one_unit_per_column(sims: Path) -> None:
    column = {
        "object": "Riser",
        "object_extra": "end_a",
        "variable": TENSION,
        "linked_variables": ["Bend moment"],
        "label": "top",
    }
    result = _run(sims.parent, sims, "ls", linked_statistics={"columns": [column]})
    assert result.exit_code == 0
    table = read_table(sims.parent / "ls", "linked_statistics").set_index("stem")
    for path in sorted(sims.glob("*.ofx.parquet")):
        raw = _raw_kn(path, "end_a")
        row = table.loc[path.name.split(".")[0]]
        assert row["primary_unit"] == "kN"
        assert row["value_at_max"] == pytest.approx(raw.max(), rel=1e-9)
        assert row["value_at_min"] == pytest.approx(raw.min(), rel=1e-9)
        assert row["mean"] == pytest.approx(raw.mean(), rel=1e-9)
        assert row["std"] == pytest.approx(raw.std(), rel=1e-9)
