"""Summary allowables with a unit are converted to the column's unit, or refused."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from ofxpost import ofx
from ofxpost._archive import open_archive
from ofxpost.testing import BatchRunner


def _config(allowable: dict[str, Any]) -> dict[str, Any]:
    column = {
        "command": "time_history", "object": "Riser", "variable": "Effective tension",
        "object_extra": "end_a", "statistic": "max", "label": "top", "allowable": allowable,
    }  # fmt: skip
    return {
        "inputs": ["sims/*.ofx.parquet"],
        "output_dir": "out",
        "outputs": {"formats": ["csv", "parquet"]},
        "summary": {"groups": [{"name": "g", "columns": [column]}]},
    }


def _maxima_kn(paths: list[Any]) -> np.ndarray[Any, Any]:
    out = []
    for path in paths:
        model = open_archive(path)
        riser = model["Riser"]
        assert riser.varDetails()[0].VarUnits == "kN"
        out.append(float(np.max(riser.TimeHistory("Effective tension", None, ofx.oeEndA))))
    return np.asarray(out)


def test_allowable_in_n_is_compared_with_a_column_in_kn(
    ofxpost_archives: Any, ofxpost_batch: BatchRunner
) -> None:
    sims = ofxpost_archives(cases=3)
    maxima = _maxima_kn(sims.paths)
    limit_kn = float(np.median(maxima))  # one file above, one at, one below
    run = ofxpost_batch.run(_config({"max": limit_kn * 1000.0 - 1e-3, "unit": "N"}))
    assert run.result.exit_code == 0, run.result.output_errors
    table = run.table("summary_g")
    np.testing.assert_allclose(table["top"].to_numpy(float), maxima, rtol=1e-12)
    want = list(maxima > limit_kn - 1e-6)
    assert list(table["top exceeds"]) == want and sum(want) == 2
    # the same limit given in kN (the column's own unit) flags the same files
    same = ofxpost_batch.run(_config({"max": limit_kn - 1e-6}))
    assert list(same.table("summary_g")["top exceeds"]) == want


@pytest.mark.parametrize(
    ("unit", "shown"), [("m", "'m' cannot be converted"), ("kN.blorp", "not understood")]
)
def test_allowable_in_a_wrong_or_unknown_unit_is_refused(
    ofxpost_archives: Any, ofxpost_batch: BatchRunner, unit: str, shown: str
) -> None:
    ofxpost_archives(cases=2)
    run = ofxpost_batch.run(_config({"max": 1.0, "unit": unit}))
    assert run.result.exit_code == 1
    assert "summary_g" not in run.tables
    (message,) = [e for e in run.result.output_errors if "summary" in e]
    assert "'g'" in message and "'top'" in message and shown in message
