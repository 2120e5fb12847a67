"""Unit conversion with pint for the unit strings OrcaFlex writes (``kN``, ``kN.m``, ``te``).

``.`` is a product (``kN.m`` = kN·m) and ``te`` is a tonne force. A unit that
pint cannot read, or a conversion between different dimensions, raises
:class:`UnitConversionError` with a message naming what was being converted.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from ofxpost.errors import UnitConversionError

__all__ = ["conversion_factor", "parse_unit", "pint_text", "registry"]

_ALIASES = {"te": "force_metric_ton", "kips": "kip", "deg": "degree"}
_TOKEN = re.compile(r"[A-Za-z_]+")


@functools.cache
def registry() -> Any:
    """The pint unit registry (one per process, made on first use)."""
    import pint

    return pint.UnitRegistry()


def pint_text(unit: str) -> str:
    """``unit`` as pint reads it (``kN.m`` -> ``kN*m``, ``te`` -> ``force_metric_ton``)."""
    text = unit.strip().replace("·", "*").replace(".", "*").replace("²", "^2").replace("³", "^3")
    return _TOKEN.sub(lambda m: _ALIASES.get(m.group(0), m.group(0)), text)


def parse_unit(unit: str, where: str) -> Any:
    """The pint unit of an OrcaFlex unit string.

    :raises UnitConversionError: empty or not understood; the message starts with ``where``.
    """
    if not unit or not unit.strip():
        raise UnitConversionError(f"{where}: no unit is known")
    try:
        return registry().Unit(pint_text(unit))
    except Exception as exc:  # pint raises several kinds (UndefinedUnitError, syntax ...)
        raise UnitConversionError(f"{where}: unit {unit!r} is not understood") from exc


def conversion_factor(source: str, target: str, where: str) -> float:
    """The factor that turns a value in ``source`` into ``target`` (``kN`` -> ``N``: 1000).

    :raises UnitConversionError: a unit is missing or unknown, or the two are of
        different dimensions; the message starts with ``where``.
    """
    a, b = parse_unit(source, where), parse_unit(target, where)
    if a.dimensionality != b.dimensionality:
        raise UnitConversionError(
            f"{where}: {source!r} cannot be converted to {target!r} "
            f"({a.dimensionality} is not {b.dimensionality})"
        )
    return float(registry().Quantity(1.0, a).to(b).magnitude)
