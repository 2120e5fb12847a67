"""Model data in archives: ``GetData`` columns of a summary work on archives.

The synthetic generator stores the input data a summary asks for (sea state,
current, vessel heading and draught, line sections and types), and
``export_model`` exports them from any OrcFxAPI-like model.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from ofxpost._archive import export_model, open_archive
from ofxpost._archive.writer import MODEL_DATA
from tests._pp_helpers import RISER, make_sims, read_table, run_config, write_yaml


def _data(path: Path, obj: str) -> dict[str, Any]:
    meta = json.loads(pq.ParquetFile(path).metadata.metadata[b"ofxpost.archive"])
    return next(o for o in meta["objects"] if o["name"] == obj).get("data", {})


def test_synthetic_archives_store_the_model_data(tmp_path: Path) -> None:
    paths = make_sims(tmp_path / "sims", cases=2)
    env = _data(paths[0], "Environment")
    assert {"WaveHs", "WaveTp", "WaveDirection", "RefCurrentSpeed", "WaterDepth"} <= set(env)
    assert set(_data(paths[0], "Vessel")) >= {"InitialHeading", "Draught"}
    riser = _data(paths[0], RISER)
    assert riser["Length"] == [100.0, 500.0, 300.0] and len(riser["LineType"]) == 3
    with open_archive(paths[0]) as model:
        assert model.environment.WaveHs == env["WaveHs"]
        assert model.environment.GetData("wavetp", -1) == env["WaveTp"]
        assert model[RISER].GetData("LineType", 2) == riser["LineType"][2]


def test_export_stores_model_data_by_default(tmp_path: Path) -> None:
    source = make_sims(tmp_path / "sims", cases=1)[0]
    with open_archive(source) as model:
        copy = export_model(model, tmp_path / "copy.ofx.parquet")
    for obj in ("Environment", "Vessel", RISER):
        assert _data(copy, obj) == _data(source, obj)
    exported = set(_data(copy, "Environment"))
    assert exported <= set(MODEL_DATA["Environment"])


@pytest.mark.integration
def test_summary_getdata_columns_end_to_end(tmp_path: Path) -> None:
    make_sims(tmp_path / "sims", cases=3)
    config = {
        "orcaflex": {"postprocess": {"summary": {"flag": True}}},
        "summary_settings": {
            "groups": [
                {
                    "Label": "inputs",
                    "Columns": [
                        {
                            "Command": "GetData",
                            "ObjectName": "Environment",
                            "Variable": ["WaveHs", -1],
                            "Label": "Hs",
                        },
                        {
                            "Command": "GetData",
                            "ObjectName": "Environment",
                            "Variable": ["WaveTp", -1],
                            "Label": "Tp",
                        },
                        {
                            "Command": "GetData",
                            "ObjectName": "environment",
                            "Variable": ["  waveDIRECTION ", -1],
                            "Label": "WaveDir",
                        },
                        {
                            "Command": "GetData",
                            "ObjectName": "Environment",
                            "Variable": ["RefCurrentSpeed", -1],
                            "Label": "Current",
                        },
                        {
                            "Command": "GetData",
                            "ObjectName": "Vessel",
                            "Variable": ["InitialHeading", -1],
                            "Label": "Heading",
                        },
                        {
                            "Command": "GetData",
                            "ObjectName": "Vessel",
                            "Variable": ["Draught", -1],
                            "Label": "Draught",
                        },
                        {
                            "Command": "GetData",
                            "ObjectName": RISER,
                            "Variable": ["Length", 1],
                            "Label": "Section2Length",
                        },
                        {
                            "Command": "GetData",
                            "ObjectName": RISER,
                            "Variable": ["LineType", 0],
                            "Label": "Section1Type",
                        },
                    ],
                }
            ]
        },
        "file_management": {
            "input_directory": "sims",
            "output_directory": "out",
            "filename": {"extension": ["ofx.parquet"], "pattern": None},
        },
    }
    path = write_yaml(tmp_path / "opp.yml", config)
    result = run_config(path)
    table = read_table(tmp_path / "out", "summary_inputs")
    errors = read_table(tmp_path / "out", "summary_errors")
    lm = read_table(tmp_path / "sims", "load_matrix")
    assert result.exit_code == 0, errors.to_dict("records")
    assert errors.empty
    assert list(table["Hs"]) == pytest.approx(list(lm["hs"]))
    assert list(table["Tp"]) == pytest.approx(list(lm["tp"]))
    assert list(table["WaveDir"]) == pytest.approx(list(lm["wave_heading"]))
    assert list(table["Current"]) == pytest.approx(list(lm["current_speed"]))
    assert (table["Heading"] == 0.0).all() and (table["Draught"] == "Draught1").all()
    assert (table["Section2Length"] == 500.0).all()
    assert (table["Section1Type"] == "12in SCR strakes").all()
