"""Per file, in the worker: the stress history at each point, rainflow-counted,
its Miner damage and damage-equivalent range."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ofxpost_fatigue._numpy import np
from ofxpost_fatigue.damage import damage_equivalent_range, miner_damage
from ofxpost_fatigue.rainflow_counting import count_cycles
from ofxpost_fatigue.section import (
    FatigueLine,
    FatigueSection,
    StressSpec,
)
from ofxpost_fatigue.units import converted

if TYPE_CHECKING:  # pandas is imported where the tables are built: workers never need it
    pass


def _ofx() -> Any:
    """``ofxpost.ofx``, imported in the worker: importing it tries ``import OrcFxAPI``
    (and, with the OrcFxAPI wheel installed, numpy), which the controller never needs."""
    from ofxpost import ofx

    return ofx


def _period(model: Any, section: FatigueSection) -> Any:
    start, stop = section.period
    begin = float(model.simulationStartTime) if start is None else float(start)
    end = float(model.simulationStopTime) if stop is None else float(stop)
    return _ofx().SpecifiedPeriod(begin, end)


def stress_histories(
    obj: Any, spec: StressSpec, period: Any, extra: Any, object_name: str = ""
) -> tuple[np.ndarray[Any, Any], str]:
    """The stress histories (MPa) at one point, one row per hot spot of
    ``spec.hot_spots()``, and the units the file gave its variables
    (``"Wall tension [kN]; x bend moment [kN.m]"``).

    Each variable is converted from the unit the file states (pint); a missing or
    unknown unit raises :class:`~ofxpost_fatigue.units.FatigueUnitError`.
    """
    name = object_name or str(obj)
    if spec.kind == "section":
        assert spec.area is not None and spec.section_modulus is not None
        assert spec.moment_variable is not None
        tension, t_unit = converted(obj, name, spec.tension_variable, period, extra, "N")
        moment, m_unit = converted(obj, name, spec.moment_variable, period, extra, "N*m")
        pascal = tension / spec.area + moment / spec.section_modulus
        units = f"{spec.tension_variable} [{t_unit}]; {spec.moment_variable} [{m_unit}]"
        return np.asarray([spec.scf * pascal * 1e-6], dtype=float), units
    if spec.kind == "pipe":
        assert spec.outer_diameter is not None and spec.wall_thickness is not None
        outer = spec.outer_diameter / 2.0
        inner = outer - spec.wall_thickness
        area = np.pi * (outer**2 - inner**2)
        second_moment = np.pi / 4.0 * (outer**4 - inner**4)
        tension, t_unit = converted(obj, name, spec.tension_variable, period, extra, "N")
        mx, x_unit = converted(obj, name, spec.x_moment_variable, period, extra, "N*m")
        my, y_unit = converted(obj, name, spec.y_moment_variable, period, extra, "N*m")
        rows = []
        for fibre in spec.fibres:
            radius = outer if fibre == "outer" else inner
            for angle in spec.angles_deg:
                theta = np.radians(angle)
                bending = radius * (mx * np.sin(theta) - my * np.cos(theta)) / second_moment
                rows.append(spec.scf * (tension / area + bending) * 1e-6)
        units = (
            f"{spec.tension_variable} [{t_unit}]; {spec.x_moment_variable} [{x_unit}]; "
            f"{spec.y_moment_variable} [{y_unit}]"
        )
        return np.asarray(rows, dtype=float), units
    assert spec.variable is not None
    values, unit = converted(obj, name, spec.variable, period, extra, "MPa", spec.factor_unit)
    stress = spec.scf * spec.factor * values
    return np.asarray([stress], dtype=float), f"{spec.variable} [{unit}]"


def _line_results(
    model: Any, line: FatigueLine, section: FatigueSection, period: Any
) -> dict[str, Any]:
    """Per arc length, lists over the hot spots of damage, cycles, max range, DEL and
    ``nsm = Σ n·S^m``, and the units read."""
    choice = section.curve_of(line)
    curve = choice.get()
    m = section.del_m or curve.m1
    obj = model[line.object]
    out: dict[str, list[Any]] = {
        "damage": [], "cycles": [], "max_range": [], "del": [], "nsm": [], "units": [],
    }  # fmt: skip
    for arc in line.arc_lengths:
        stresses, units = stress_histories(
            obj, line.stress, period, _ofx().oeArcLength(arc), line.object
        )
        spots: dict[str, list[float]] = {
            k: [] for k in ("damage", "cycles", "max_range", "del", "nsm")
        }
        for stress in stresses:
            ranges, counts = count_cycles(stress)
            spots["damage"].append(
                miner_damage(ranges, counts, curve, choice.thickness_mm, choice.t_ref_mm)
            )
            spots["cycles"].append(float(counts.sum()))
            spots["max_range"].append(float(ranges.max()) if ranges.size else 0.0)
            spots["del"].append(damage_equivalent_range(ranges, counts, m, section.del_n_eq))
            spots["nsm"].append(float(np.sum(counts * ranges**m)) if ranges.size else 0.0)
        for key, values in spots.items():
            out[key].append(values)
        out["units"].append(units)
    return {**out, "del_m": float(m)}
