"""Linked statistics against an independent computation from the raw archive columns."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from tests._hand_stats import mean_std_by_hand, tc_by_hand, tz_by_hand
from tests._pp_helpers import (
    BEND,
    CURVATURE,
    RISER,
    TENSION,
    RawArchive,
    make_sims,
    read_table,
    run_config,
    write_yaml,
)

pytestmark = pytest.mark.integration  # starts processes or runs whole batches

COLUMNS = [
    {
        "object": RISER,
        "object_extra": "end_a",
        "variable": TENSION,
        "linked_variables": [BEND, CURVATURE],
        "label": "top",
    },
    {
        "object": RISER,
        "object_extra": "touchdown",
        "variable": BEND,
        "linked_variables": [TENSION],
        "period": [2.0, None],
        "label": "tdp",
    },
    {
        "object": RISER,
        "object_extra": "end_a",
        "variable": "Nonsense",
        "linked_variables": [BEND],
        "label": "broken",
    },
]
POINTS = {"top": "end_a", "tdp": "touchdown"}


@pytest.fixture(scope="module")
def linked_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("linked")
    paths = make_sims(root / "sims", cases=3, seed=5)
    config = {
        "inputs": ["sims/*.ofx.parquet"],
        "output_dir": "out",
        "outputs": {"formats": ["csv"]},
        "linked_statistics": {"columns": COLUMNS},
    }
    result = run_config(write_yaml(root / "batch.yml", config), sequential=True)
    return {"out": root / "out", "paths": paths, "result": result}


def _expected(raw: RawArchive, column: dict[str, Any], linked: str) -> list[float]:
    low = column.get("period", [None, None])[0]
    mask = raw.mask(low, None)
    point = POINTS[column["label"]]
    primary = raw.column(RISER, column["variable"], point)[mask]
    other = raw.column(RISER, linked, point)[mask]
    times = raw.times[mask]
    high, lowest = int(np.argmax(primary)), int(np.argmin(primary))
    t, x = [float(v) for v in times], [float(v) for v in primary]
    return [
        primary[high],
        times[high],
        other[high],
        primary[lowest],
        times[lowest],
        other[lowest],
        *mean_std_by_hand(x),
        tz_by_hand(t, x),
        tc_by_hand(t, x),
    ]


def test_linked_values_match_numpy(linked_run: dict[str, Any]) -> None:
    table = read_table(linked_run["out"], "linked_statistics")
    values = [
        "value_at_max",
        "time_of_max",
        "linked_value_at_max",
        "value_at_min",
        "time_of_min",
        "linked_value_at_min",
        "mean",
        "std",
        "tz",
        "tc",
    ]
    checked = 0
    for path in linked_run["paths"]:
        raw = RawArchive(path)
        stem = path.name.removesuffix(".ofx.parquet")
        for column in COLUMNS[:2]:
            for linked in column["linked_variables"]:
                row = table[
                    (table["stem"] == stem)
                    & (table["label"] == column["label"])
                    & (table["linked_variable"] == linked)
                ]
                assert len(row) == 1
                got = row[values].iloc[0].to_numpy(dtype=float)
                np.testing.assert_allclose(
                    got, _expected(raw, column, linked), rtol=1e-10, atol=1e-11
                )
                checked += 1
    assert checked == 9


def test_layout_order_and_failed_column(linked_run: dict[str, Any]) -> None:
    table = read_table(linked_run["out"], "linked_statistics")
    assert list(table.columns) == [
        "file",
        "stem",
        "status",
        "label",
        "object",
        "primary",
        "linked_variable",
        "value_at_max",
        "time_of_max",
        "linked_value_at_max",
        "value_at_min",
        "time_of_min",
        "linked_value_at_min",
        "mean",
        "std",
        "tz",
        "tc",
        "error",
        "primary_unit",
        "linked_unit",
    ]
    per_file = ["top", "top", "tdp", "broken"]
    assert list(table["label"]) == per_file * 3
    assert list(table["stem"]) == [
        s for s in ("case_001", "case_002", "case_003") for _ in per_file
    ]
    broken = table[table["label"] == "broken"]
    assert broken["value_at_max"].isna().all()
    assert broken["error"].str.contains("Nonsense").all()
    assert table[table["label"] != "broken"]["error"].isna().all()


def test_across_file_statistics(linked_run: dict[str, Any]) -> None:
    table = read_table(linked_run["out"], "linked_statistics")
    stats = read_table(linked_run["out"], "linked_statistics_statistics")
    assert list(stats.columns[:3]) == ["label", "linked_variable", "statistic"]
    assert len(stats) == 4 * 4  # (top, Bend), (top, Curvature), (tdp, Tension), (broken, Bend)
    rows = table[(table["label"] == "top") & (table["linked_variable"] == BEND)]
    pick = stats[(stats["label"] == "top") & (stats["linked_variable"] == BEND)].set_index(
        "statistic"
    )
    assert pick.loc["max", "value_at_max"] == pytest.approx(rows["value_at_max"].max())
    assert pick.loc["min", "linked_value_at_min"] == pytest.approx(
        rows["linked_value_at_min"].min()
    )
    assert pick.loc["std", "value_at_max"] == pytest.approx(rows["value_at_max"].std(ddof=1))
