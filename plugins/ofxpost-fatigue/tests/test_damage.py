"""Miner damage and damage-equivalent ranges."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ofxpost_fatigue import count_cycles, damage_equivalent_range, dnv_curve, miner_damage


def _sine(range_mpa: float, cycles: int, mean: float = 20.0) -> np.ndarray:
    t = np.linspace(0.0, cycles, cycles * 40 + 1)
    return mean + range_mpa / 2 * np.cos(2 * np.pi * t)  # from a peak to a peak: n cycles


@pytest.mark.parametrize(("curve", "env", "s"), [("D", "air", 80.0), ("D", "air", 40.0),
                                                 ("F", "seawater_cp", 120.0),
                                                 ("F", "seawater_cp", 35.0),
                                                 ("B1", "air", 150.0)])  # fmt: skip
def test_constant_amplitude_damage_is_n_over_N(curve: str, env: str, s: float) -> None:
    sn = dnv_curve(curve, env)  # type: ignore[arg-type]
    n = 200
    ranges, counts = count_cycles(_sine(s, n))
    damage = miner_damage(ranges, counts, sn)
    # N from the published parameters, by hand: the slope whose branch holds S
    log_n1 = sn.log_a1 - sn.m1 * math.log10(s)
    log_n = log_n1 if 10**log_n1 <= sn.knee_cycles else sn.log_a2 - sn.m2 * math.log10(s)
    assert damage == pytest.approx(n / 10**log_n, rel=1e-6)


def test_thickness_increases_damage() -> None:
    sn = dnv_curve("D", "seawater_cp")
    ranges, counts = count_cycles(_sine(100.0, 10))
    thin = miner_damage(ranges, counts, sn, thickness_mm=25.0)
    thick = miner_damage(ranges, counts, sn, thickness_mm=50.0)
    assert thick == pytest.approx(thin * (2.0**0.2) ** 3, rel=1e-9)


def test_damage_equivalent_range_convention() -> None:
    # 1000 cycles of 10 and 10 cycles of 50, m = 3, N_eq = 1e4
    ranges = np.array([10.0, 50.0])
    counts = np.array([1000.0, 10.0])
    expected = ((1000 * 10**3 + 10 * 50**3) / 1e4) ** (1 / 3)
    assert damage_equivalent_range(ranges, counts, 3.0, 1e4) == pytest.approx(expected)
    # constant amplitude S applied N_eq times is its own DEL
    assert damage_equivalent_range([7.0], [1e7], 5.0, 1e7) == pytest.approx(7.0)


def test_bad_inputs() -> None:
    sn = dnv_curve("D")
    with pytest.raises(ValueError, match="differ in shape"):
        miner_damage([1.0, 2.0], [1.0], sn)
    with pytest.raises(ValueError, match=">= 0"):
        miner_damage([-1.0], [1.0], sn)
    assert miner_damage([], [], sn) == 0.0
