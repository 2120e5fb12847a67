"""Rainflow counting against the worked example of ASTM E1049-85."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from ofxpost_fatigue import count_cycles
from ofxpost_fatigue.rainflow_counting import summed_by_range

ASTM_HISTORY = [-2, 1, -3, 5, -1, 3, -4, 4, -2]
"""The load history of ASTM E1049-85, Fig. 6 (rainflow counting example)."""
ASTM_COUNTS = [(3.0, 0.5), (4.0, 1.5), (6.0, 0.5), (8.0, 1.0), (9.0, 0.5)]
"""Its result table: range (units) -> cycle count (ranges with 0 cycles left out)."""


def test_counts_equal_the_astm_e1049_example() -> None:
    ranges, counts = count_cycles(ASTM_HISTORY)
    assert summed_by_range(ranges, counts) == ASTM_COUNTS
    assert counts.sum() == 4.0


def test_sampling_between_reversals_does_not_change_the_count() -> None:
    # the same reversals joined by straight lines sampled 10 times per segment
    dense = np.concatenate(
        [np.linspace(a, b, 10, endpoint=False) for a, b in itertools.pairwise(ASTM_HISTORY)]
        + [np.array([ASTM_HISTORY[-1]], dtype=float)]
    )
    ranges, counts = count_cycles(dense)
    assert summed_by_range(ranges, counts) == ASTM_COUNTS


def test_constant_amplitude_sine_counts_one_cycle_per_period() -> None:
    t = np.arange(0, 100.0, 0.01)
    ranges, counts = count_cycles(5.0 * np.sin(2 * np.pi * t / 10.0))
    full = ranges[counts == 1.0]
    assert counts.sum() == pytest.approx(10.0, abs=0.5)
    assert np.allclose(full, 10.0, atol=1e-3)


def test_bad_and_short_series() -> None:
    with pytest.raises(ValueError, match="NaN"):
        count_cycles([0.0, float("nan"), 1.0])
    ranges, counts = count_cycles([1.0])
    assert ranges.size == 0 and counts.size == 0
