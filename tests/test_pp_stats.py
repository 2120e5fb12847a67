"""Statistics, selectors and naming: unit tests against plain numpy."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from ofxpost._builtin.support.naming import safe_name, sheet_name, unique
from ofxpost._builtin.support.selectors import ArclengthRangeSpec, ObjectExtraSpec, PeriodSpec
from ofxpost._builtin.support.stats import across_files, check_statistic, evaluate

SAMPLES = np.array([3.0, -7.5, 2.25, 9.0, 9.0, -1.0, 0.5])
TIMES = np.arange(SAMPLES.size) * 0.1 - 0.2


@pytest.mark.parametrize(
    ("statistic", "expected"),
    [
        ("max", 9.0),
        ("min", -7.5),
        ("mean", float(np.sum(SAMPLES) / SAMPLES.size)),
        ("std", math.sqrt(float(np.sum((SAMPLES - SAMPLES.mean()) ** 2)) / SAMPLES.size)),
        ("abs_max", 9.0),
        ("rms", math.sqrt(float(np.sum(SAMPLES**2)) / SAMPLES.size)),
        ("time_of_max", TIMES[3]),  # the first of two equal maxima
        ("time_of_min", TIMES[1]),
        ("p50", 2.25),
        ("p0", -7.5),
        ("p100", 9.0),
    ],
)
def test_statistics(statistic: str, expected: float) -> None:
    assert evaluate(SAMPLES, statistic, TIMES) == pytest.approx(expected, rel=1e-12)


def test_abs_max_of_negative_extreme() -> None:
    assert evaluate([-12.0, 3.0], "abs_max") == 12.0


def test_percentile_interpolates_linearly() -> None:
    values = np.arange(11, dtype=float)  # 0..10
    assert evaluate(values, "p95") == pytest.approx(9.5)
    assert evaluate(values, "p99.9") == pytest.approx(9.99)
    assert evaluate([1.0, 2.0], "p25") == pytest.approx(1.25)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=60),
    st.floats(0, 100),
)
def test_percentile_matches_sorted_interpolation(values: list[float], pct: float) -> None:
    name = f"p{pct:.4f}".rstrip("0").rstrip(".")
    pct = float(name[1:])  # the percentile the name says
    ordered = sorted(values)
    position = pct / 100 * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    expected = ordered[low] + (ordered[high] - ordered[low]) * (position - low)
    got = evaluate(values, name)
    assert got == pytest.approx(expected, rel=1e-6, abs=1e-3)


def test_empty_period_is_an_error() -> None:
    with pytest.raises(ValueError, match="no samples"):
        evaluate([], "max")


@pytest.mark.parametrize("bad", ["maximum", "p101", "p", "P50", "stdev", "time_of"])
def test_unknown_statistics_are_rejected(bad: str) -> None:
    with pytest.raises(ValueError):
        check_statistic(bad)


def test_across_files_skips_missing_and_uses_sample_std() -> None:
    frame = pd.DataFrame({"a": [1.0, np.nan, 3.0, 8.0], "b": [None, None, None, 2.0]})
    stats = across_files(frame, ["a", "b"]).set_index("statistic")
    assert list(stats.index) == ["min", "max", "mean", "std"]
    assert stats.loc["min", "a"] == 1.0 and stats.loc["max", "a"] == 8.0
    assert stats.loc["mean", "a"] == pytest.approx(4.0)
    assert stats.loc["std", "a"] == pytest.approx(float(np.std([1.0, 3.0, 8.0], ddof=1)))
    assert stats.loc["max", "b"] == 2.0 and math.isnan(stats.loc["std", "b"])


@pytest.mark.parametrize(
    ("value", "kind", "fields"),
    [
        ("whole_simulation", "whole_simulation", {}),
        ("static_state", "static_state", {}),
        ("latest_wave", "latest_wave", {}),
        (2, "stage", {"stage": 2}),
        ({"stage": 0}, "stage", {"stage": 0}),
        ([None, 30], "specified", {"start": None, "end": 30.0}),
        ([-5, None], "specified", {"start": -5.0, "end": None}),
        ({"kind": "specified", "start": 1, "end": 2}, "specified", {"start": 1.0, "end": 2.0}),
    ],
)
def test_period_forms(value: Any, kind: str, fields: dict[str, Any]) -> None:
    spec = PeriodSpec.model_validate(value)
    assert spec.kind == kind
    for key, expected in fields.items():
        assert getattr(spec, key) == expected


@pytest.mark.parametrize("bad", ["whole", True, [1, 2, 3], [5, 1], {"stage": -1}, {"from": 1}])
def test_bad_periods(bad: Any) -> None:
    with pytest.raises(ValidationError):
        PeriodSpec.model_validate(bad)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("end_a", {"end": "end_a"}),
        ("touchdown", {"end": "touchdown"}),
        ({"arc_length": 12.5}, {"arc_length": 12.5}),
        ({"node": 3, "radial_position": "outer", "theta": 90}, {"node": 3, "theta": 90.0}),
        ({"end": "end_b", "radial_position": 0.2}, {"end": "end_b", "radial_position": 0.2}),
        ([1, 2, 3], {"position": (1.0, 2.0, 3.0)}),
    ],
)
def test_object_extra_forms(value: Any, expected: dict[str, Any]) -> None:
    spec = ObjectExtraSpec.model_validate(value)
    for key, item in expected.items():
        assert getattr(spec, key) == item


@pytest.mark.parametrize(
    "bad",
    [
        "end_c",
        {"arc_length": 1, "node": 2},
        {},
        [1, 2],
        {"node": 0},
        {"position": [1, 2, 3], "theta": 1},
    ],
)
def test_bad_object_extras(bad: Any) -> None:
    with pytest.raises(ValidationError):
        ObjectExtraSpec.model_validate(bad)


def test_arclength_range_forms() -> None:
    assert ArclengthRangeSpec.model_validate([0, 50]).arclengths == (0.0, 50.0)
    assert ArclengthRangeSpec.model_validate({"sections": [1, 2]}).sections == (1, 2)
    for bad in ([50, 0], [1], {"sections": [0, 1]}, {"sections": [3, 2]}):
        with pytest.raises(ValidationError):
            ArclengthRangeSpec.model_validate(bad)


def test_names() -> None:
    assert safe_name("Eff. Tension (kN)") == "Eff._Tension_kN"
    assert safe_name("///") == "unnamed"
    assert unique(["a", "A", "a"]) == ["a", "A~2", "a~3"]
    long = ["x" * 40, "x" * 40]
    assert unique(long, limit=31) == ["x" * 31, "x" * 29 + "~2"]
    assert sheet_name("a/b:c*?[d]") == "a_b_c___d_"
