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
    try:
        return _parse(unit)
    except _Refused as refused:
        raise UnitConversionError(f"{where}: {refused}") from refused.__cause__


def _parse(unit: str) -> Any:
    if not unit or not unit.strip():
        raise _Refused("no unit is known")
    try:
        return registry().Unit(pint_text(unit))
    except Exception as exc:  # pint raises several kinds (UndefinedUnitError, syntax ...)
        raise _Refused(f"unit {unit!r} is not understood") from exc


def conversion_factor(source: str, target: str, where: str) -> float:
    """The factor that turns a value in ``source`` into ``target`` (``kN`` -> ``N``: 1000).

    The factor has 15 significant digits (the exact value of a factor defined in
    decimal, as ``ft`` -> ``m`` is 0.3048).

    :raises UnitConversionError: a unit is missing or unknown, the two are of
        different dimensions, or they differ by an offset (``degC`` -> ``K``); the
        message starts with ``where``.
    """
    try:
        return _factor(source, target)
    except _Refused as refused:
        raise UnitConversionError(f"{where}: {refused}") from refused.__cause__


class _Refused(UnitConversionError):
    """Why two units give no factor (the caller adds where)."""


@functools.lru_cache(maxsize=4096)
def _factor(source: str, target: str) -> float:
    """:func:`conversion_factor` without the place, kept per pair of units (the folds
    ask for the same pair once per file and value)."""
    a, b = _parse(source), _parse(target)
    if a.dimensionality != b.dimensionality:
        raise _Refused(
            f"{source!r} cannot be converted to {target!r} "
            f"({a.dimensionality} is not {b.dimensionality})"
        )
    quantity = registry().Quantity
    if quantity(0.0, a).to(b).magnitude != 0.0:  # degC -> K: not a factor
        raise _Refused(
            f"{source!r} -> {target!r} is a conversion with an offset (a temperature "
            "scale), not a factor: state the values in one unit"
        )
    factor = float(quantity(1.0, a).to(b).magnitude)
    # pint goes through SI base units, which leaves binary rounding in factors defined
    # exactly in decimal (ft -> m gave 0.30479999999999996, m^4 -> mm^4
    # 999999999999.9999): 15 significant digits give back the defined value.
    return float(f"{factor:.15g}")
