"""Unit factors (``ofxpost.plugin.conversion_factor``) checked against the defined
values, typed here from the definitions (not computed by pint)."""

from __future__ import annotations

import pytest

from ofxpost.errors import UnitConversionError
from ofxpost.plugin import conversion_factor

DEFINED = [
    ("ft", "m", 0.3048),  # the international foot
    ("in", "mm", 25.4),
    ("m^4", "mm^4", 1e12),
    ("kN.m", "N.m", 1000.0),
    ("te", "kN", 9.80665),  # a tonne force: 1000 kg x standard gravity
    ("lbf", "N", 4.4482216152605),  # 0.45359237 kg x 9.80665 m/s^2
    ("kPa", "MPa", 0.001),
    ("deg", "rad", 0.0174532925199433),  # pi / 180 to 15 digits
]


@pytest.mark.parametrize(("source", "target", "value"), DEFINED)
def test_a_factor_defined_in_decimal_is_exact(source: str, target: str, value: float) -> None:
    assert conversion_factor(source, target, "test") == value


def test_a_temperature_scale_is_refused_not_given_a_wrong_factor() -> None:
    # 1 degC is 274.15 K, but 10 degC is not 2741.5 K: there is no factor
    with pytest.raises(UnitConversionError, match=r"^col 'T': 'degC' -> 'K' .* offset"):
        conversion_factor("degC", "K", "col 'T'")


def test_errors_name_the_place_and_the_unit() -> None:
    with pytest.raises(UnitConversionError, match=r"^summary 'x': unit 'kNx' is not understood"):
        conversion_factor("kNx", "kN", "summary 'x'")
    with pytest.raises(UnitConversionError, match=r"^f: 'kN' cannot be converted to 'kN.m'"):
        conversion_factor("kN", "kN.m", "f")
