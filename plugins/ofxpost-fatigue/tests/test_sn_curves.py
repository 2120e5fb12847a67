"""DNV-RP-C203 S-N curves: the published parameters hang together; thickness correction."""

from __future__ import annotations

import math

import pytest

from ofxpost_fatigue import DNV_AIR, DNV_SEAWATER_CP, dnv_curve
from ofxpost_fatigue.sn_curves import FATIGUE_LIMIT_1E7_MPA, thickness_factor


@pytest.mark.parametrize("name", list(DNV_AIR))
def test_air_curves_meet_at_1e7_cycles_at_the_published_limit(name: str) -> None:
    curve = DNV_AIR[name]
    assert curve.m2 == 5.0
    assert math.log10(curve.knee_cycles) == pytest.approx(7.0, abs=0.01)
    assert curve.stress_at(1e7) == pytest.approx(FATIGUE_LIMIT_1E7_MPA[name], rel=2e-3)


@pytest.mark.parametrize("name", list(DNV_SEAWATER_CP))
def test_seawater_cp_curves_meet_at_1e6_cycles(name: str) -> None:
    curve = DNV_SEAWATER_CP[name]
    assert math.log10(curve.knee_cycles) == pytest.approx(6.0, abs=0.01)
    # past the knee, seawater with CP and air share the m = 5 branch
    assert curve.log_a2 == DNV_AIR[name].log_a2
    assert curve.stress_at(1e7) == pytest.approx(FATIGUE_LIMIT_1E7_MPA[name], rel=2e-3)
    # below 1e6 cycles, seawater with CP is 2.5 times shorter than air (log a1 - 0.4)
    assert DNV_AIR[name].log_a1 - curve.log_a1 == pytest.approx(0.4 if curve.m1 == 3 else 0.2)


def test_cycles_to_failure_follow_the_formula_on_both_slopes() -> None:
    d = dnv_curve("D", "air")
    high, low = 100.0, 30.0  # MPa: above and below the 52.63 MPa knee
    n = d.cycles_to_failure([high, low, 0.0])
    assert n[0] == pytest.approx(10 ** (12.164 - 3 * math.log10(high)))
    assert n[1] == pytest.approx(10 ** (15.606 - 5 * math.log10(low)))
    assert math.isinf(n[2])


def test_thickness_correction() -> None:
    d = dnv_curve("D", "seawater_cp")
    assert thickness_factor(d, 20.0) == 1.0  # t < tref: no correction
    assert thickness_factor(d, 50.0) == pytest.approx(2.0**0.2)
    n_thick = d.cycles_to_failure([100.0], thickness_mm=50.0)[0]
    assert n_thick == pytest.approx(10 ** (11.764 - 3 * math.log10(100.0 * 2.0**0.2)))
    assert thickness_factor(d, 32.0, t_ref_mm=16.0) == pytest.approx(2.0**0.2)


def test_unknown_curve_and_environment() -> None:
    with pytest.raises(ValueError, match="unknown DNV-RP-C203 curve 'Z'"):
        dnv_curve("Z")
    with pytest.raises(ValueError, match="unknown environment"):
        dnv_curve("D", "freshwater")  # type: ignore[arg-type]
