"""Units read from the results, converted with pint: never assumed.

Every variable the plugin reads has its unit looked up in the file (``varDetails``:
the archive's ``VarUnits``, or OrcFxAPI's own) and is converted to the unit the
formula needs. A variable without a unit, or with one pint cannot read, is a
:class:`FatigueUnitError` naming the object, the variable and the unit.

OrcaFlex writes units such as ``kN``, ``kN.m``, ``N.m``, ``te`` (tonne force),
``kip.ft``, ``lbf.in``, ``kN/m^2``; ``.`` is a product and ``te`` is tonne force.
"""

from __future__ import annotations

from typing import Any

from ofxpost.plugin import pint_text, registry

from ofxpost_fatigue._numpy import np


class FatigueUnitError(ValueError):
    """A variable's unit is missing, unknown or of the wrong dimension."""


_pint_text = pint_text


def parse_unit(unit: str, where: str) -> Any:
    """The pint unit of an OrcaFlex unit string (``kN.m`` ...).

    :raises FatigueUnitError: empty or unknown, naming ``where`` and ``unit``.
    """
    if not unit or not unit.strip():
        raise FatigueUnitError(f"{where} has no unit in this file: it cannot be converted safely")
    try:
        parsed = registry().Unit(_pint_text(unit))
    except Exception as exc:  # pint raises several kinds (UndefinedUnitError, syntax ...)
        raise FatigueUnitError(f"{where} is in unit {unit!r}, which is not understood") from exc
    return parsed


def conversion_factor(unit: str, target: str, where: str, times: str = "") -> float:
    """The factor that turns a value in ``unit`` (times ``times``, when given) into
    ``target``.

    :raises FatigueUnitError: the unit is missing, unknown, or not a ``target``
        dimension (the message names ``where``, the unit and ``target``).
    """
    source = parse_unit(unit, where)
    if times:
        source = source * parse_unit(times, "factor_unit")
        unit = f"{unit}·{times}"
    wanted = registry().Unit(_pint_text(target))
    if source.dimensionality != wanted.dimensionality:
        raise FatigueUnitError(
            f"{where} is in unit {unit!r}, which cannot be converted to {target!r} "
            f"(dimension {source.dimensionality} is not {wanted.dimensionality})"
        )
    return float(registry().Quantity(1.0, source).to(wanted).magnitude)


def variable_unit(obj: Any, variable: str, extra: Any) -> str:
    """The unit of ``variable`` of ``obj`` at ``extra`` as the file states it
    (``varDetails``; ``""`` when the file gives none)."""
    from ofxpost import ofx

    try:
        details = obj.varDetails(ofx.ResultType.TimeHistory, extra)
    except Exception:
        details = obj.varDetails()
    for detail in details:
        if str(detail.VarName).lower() == variable.lower():
            return str(detail.VarUnits or "")
    return ""


def converted(
    obj: Any,
    object_name: str,
    variable: str,
    period: Any,
    extra: Any,
    target: str,
    times: str = "",
) -> tuple[np.ndarray[Any, Any], str]:
    """The time history of ``variable`` (times a factor in ``times``, when given)
    in ``target``, and the unit the file had.

    :raises FatigueUnitError: naming ``object_name``, ``variable`` and the unit.
    """
    unit = variable_unit(obj, variable, extra)
    where = f"{object_name}: variable {variable!r}"
    factor = conversion_factor(unit, target, where, times)
    values = np.asarray(obj.TimeHistory(variable, period, extra), dtype=float)
    return values * factor, unit
