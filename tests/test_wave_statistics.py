"""``tz``, ``tc`` and ``mpm`` summary statistics, checked independently.

The sine checks use closed forms; the archive check recomputes every value with
plain loops over the samples read by pyarrow alone (:class:`RawArchive`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import ofxpost
from ofxpost._builtin.support.stats import evaluate
from tests._hand_stats import mean_std_by_hand, tc_by_hand, tz_by_hand
from tests._pp_helpers import (
    RISER,
    TENSION,
    RawArchive,
    make_sims,
    read_table,
    run_config,
    write_yaml,
)


def _sine(period: float, amplitude: float, offset: float, cycles: int, per_cycle: int) -> Any:
    dt = period / per_cycle
    times = np.arange(cycles * per_cycle + 1) * dt
    return times, offset + amplitude * np.sin(2 * math.pi * times / period + 0.3)


def test_sine_tz_tc_and_mpm_closed_form() -> None:
    times, values = _sine(period=8.0, amplitude=2.5, offset=10.0, cycles=40, per_cycle=32)
    assert evaluate(values, "tz", times) == pytest.approx(8.0, rel=1e-3)
    assert evaluate(values, "tc", times) == pytest.approx(8.0, rel=1e-9)
    # mean and sigma of a whole number of sine cycles (the last sample repeats the first)
    sigma = 2.5 / math.sqrt(2.0)
    for hours, default in ((3.0, True), (0.5, False)):
        expected = 10.0 + sigma * math.sqrt(2.0 * math.log(hours * 3600.0 / 8.0))
        found = evaluate(values, "mpm", times, None if default else hours)
        assert found == pytest.approx(expected, rel=2e-3)


def test_mpm_needs_one_cycle_and_times() -> None:
    times, values = _sine(period=8.0, amplitude=1.0, offset=0.0, cycles=10, per_cycle=16)
    assert math.isnan(evaluate(values, "mpm", times, 1.0 / 3600.0))  # 1 s storm < Tz
    with pytest.raises(ValueError, match="sample times"):
        evaluate(values, "tz")
    with pytest.raises(ValueError, match="evenly spaced"):
        evaluate(values, "tc", times**1.01)


TH = {"command": "time_history", "object": RISER, "variable": TENSION, "object_extra": "end_a"}


@pytest.mark.parametrize(
    ("column", "message"),
    [
        ({"statistic": "max", "storm_duration": 3}, "'storm_duration' is used only by"),
        ({"statistic": "mpm", "storm_duration": 0}, "greater than 0"),
        ({"command": "range_graph", "statistic": "tz", "object_extra": None}, "time histories"),
    ],
)
def test_misused_keys_are_config_errors(column: dict[str, Any], message: str) -> None:
    spec = {k: v for k, v in {**TH, **column}.items() if v is not None}
    config = {"inputs": ["x"], "summary": {"groups": [{"name": "g", "columns": [spec]}]}}
    with pytest.raises(ofxpost.ConfigError) as info:
        ofxpost.load_config(config)
    text = str(info.value)
    assert "summary.groups[0].columns[0]" in text and message in text


@pytest.mark.integration
def test_archive_tz_tc_mpm_match_hand_counts(tmp_path: Any) -> None:
    paths = make_sims(tmp_path / "sims", cases=2, duration=200.0, dt=0.25)
    columns = [
        {**TH, "statistic": "tz", "label": "tz"},
        {**TH, "statistic": "tc", "label": "tc"},
        {**TH, "statistic": "mpm", "label": "mpm3"},
        {**TH, "statistic": "mpm", "storm_duration": 10.5, "label": "mpm10"},
    ]
    config = {
        "inputs": ["sims/*.ofx.parquet"],
        "output_dir": "out",
        "outputs": {"formats": ["csv", "parquet"]},
        "summary": {"groups": [{"name": "wave", "columns": columns}]},
    }
    result = run_config(write_yaml(tmp_path / "batch.yml", config), sequential=True)
    assert result.exit_code == 0, result
    table = read_table(tmp_path / "out", "summary_wave").set_index("stem")
    for path in paths:
        raw = RawArchive(path)
        mask = raw.mask()
        times = [float(t) for t in raw.times[mask]]
        x = [float(v) for v in raw.column(RISER, TENSION, "end_a")[mask]]
        row = table.loc[path.name.removesuffix(".ofx.parquet")]
        tz, tc = tz_by_hand(times, x), tc_by_hand(times, x)
        mean, sigma = mean_std_by_hand(x)
        assert row["tz"] == pytest.approx(tz, rel=1e-9)
        assert row["tc"] == pytest.approx(tc, rel=1e-9)
        for label, hours in (("mpm3", 3.0), ("mpm10", 10.5)):
            expected = mean + sigma * math.sqrt(2 * math.log(hours * 3600 / tz))
            assert row[label] == pytest.approx(expected, rel=1e-9)
