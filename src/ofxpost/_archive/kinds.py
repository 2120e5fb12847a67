"""Object kinds of an archive model: range-graph objects (lines, turbines), vessels,
6D buoys, and the choice of class by object type.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from ofxpost._archive.format import (
    ObjectInfo,
)
from ofxpost._archive.objects import OrcaFlexObject
from ofxpost._archive.points import (
    PointRef,
    arc_positions,
    check_radial,
    check_variable,
)
from ofxpost._ofx import names as ofx
from ofxpost._ofx import stats

FloatArray = stats.FloatArray


class OrcaFlexRangeGraphObject(OrcaFlexObject):
    """An object with range graphs (lines, turbines)."""

    def _range_points(
        self, varName: str, objectExtra: Any, arclengthRange: Any
    ) -> tuple[FloatArray, list[PointRef]]:
        info = self._info
        source = self._model._source
        varName = check_variable(info, varName, source)
        check_radial(info, varName, objectExtra, source)
        positions = [
            (arc, point)
            for arc, point in arc_positions(info, info.results[varName])
            if point.startswith("node=")
        ]
        if not positions:
            raise ofx.DLLError(
                ofx.StatusCode.RangeGraphError,
                f"{info.name}: '{varName}' is not stored at any node in {source}",
            )
        low, high = _arclength_limits(info, arclengthRange, source)
        tolerance = 1e-9 * max(1.0, abs(positions[-1][0]))
        chosen = [(a, p) for a, p in positions if low - tolerance <= a <= high + tolerance]
        if not chosen:
            raise ofx.DLLError(
                ofx.StatusCode.InvalidArclengthRange,
                f"{info.name}: no stored node of '{varName}' between arc lengths {low:g} and "
                f"{high:g} in {source} (stored nodes span {positions[0][0]:g} to "
                f"{positions[-1][0]:g})",
            )
        x = np.array([a for a, _p in chosen], dtype=np.float64)
        refs = [PointRef(varName, (p,), (1.0,), p) for _a, p in chosen]
        return x, refs

    def RangeGraphXaxis(
        self, varName: str, arclengthRange: Any = None, period: Any = None
    ) -> FloatArray:
        """Arc lengths (m) of the stored nodes the range graph of ``varName`` covers."""
        x, _refs = self._range_points(varName, None, arclengthRange)
        return x

    def RangeGraph(
        self,
        varName: str,
        period: Any = None,
        objectExtra: Any = None,
        arclengthRange: Any = None,
        stormDurationHours: float | None = None,
    ) -> Any:
        """``X, Min, Max, Mean, StdDev, Upper, Lower`` over the stored nodes.

        ``X`` is the node arc lengths; ``Upper``/``Lower`` (limit curves, which
        archives do not store) are ``None``, as OrcFxAPI gives for curves that
        are not available.
        """
        x, refs = self._range_points(varName, objectExtra, arclengthRange)
        rows = self._model._rows(period)
        block = self._model._values(self._info, refs, rows)
        curves = stats.range_statistics(block)
        if rows.static:
            curves["StdDev"] = np.zeros_like(x)
        return ofx.objectFromDict({"X": x, **curves, "Upper": None, "Lower": None})

    def RangeGraphCollated(
        self,
        varName: str,
        period: Any = None,
        objectExtra: Any = None,
        arclengthRange: Any = None,
        restartModels: Iterable[int] | None = None,
    ) -> Any:
        """Not available: collated restart results (export each simulation of the chain)."""
        raise self._not_stored(
            "RangeGraphCollated",
            "export every simulation of the restart chain and combine their RangeGraph results",
        )


def _arclength_limits(info: ObjectInfo, arclengthRange: Any, source: str) -> tuple[float, float]:
    arcs = info.node_arclengths or [0.0]
    whole = (float(min(arcs)), float(max(arcs)))
    if arclengthRange is None:
        return whole
    mode = int(getattr(arclengthRange, "Mode", 0))
    modes = ofx.ArclengthRangeMode
    if mode == int(modes.EntireRange):
        return whole
    if mode == int(modes.SpecifiedArclengths):
        low = float(arclengthRange.FromArclength)
        high = float(arclengthRange.ToArclength)
        if low > high:
            raise ofx.DLLError(
                ofx.StatusCode.InvalidArclengthRange,
                f"{info.name}: arc-length range {low:g} to {high:g} runs backwards",
            )
        return low, high
    if mode == int(modes.SpecifiedSections):
        ends = info.section_ends or []
        first, last = int(arclengthRange.FromSection), int(arclengthRange.ToSection)
        if not ends or not 1 <= first <= last <= len(ends):
            raise ofx.DLLError(
                ofx.StatusCode.InvalidArclengthRange,
                f"{info.name}: sections {first} to {last} do not exist in {source} "
                f"({len(ends)} sections stored)",
            )
        return (0.0 if first == 1 else float(ends[first - 2])), float(ends[last - 1])
    raise ofx.DLLError(ofx.StatusCode.InvalidArclengthRange, f"unknown arc-length mode {mode}")


class OrcaFlexLineObject(OrcaFlexRangeGraphObject):
    """A line: range graphs, node arc lengths."""

    @property
    def NodeArclengths(self) -> FloatArray:
        """Arc length (m from End A) of every node."""
        return np.asarray(self._info.node_arclengths or [], dtype=np.float64)

    def NearestNodeArclength(self, targetArclength: float) -> float:
        """Arc length of the node nearest ``targetArclength``."""
        arcs = self.NodeArclengths
        if arcs.size == 0:
            raise ofx.DLLError(ofx.StatusCode.NoSuchNodeNum, f"{self._info.name} has no nodes")
        return float(arcs[int(np.argmin(np.abs(arcs - float(targetArclength))))])


class OrcaFlexTurbineObject(OrcaFlexRangeGraphObject):
    """A turbine (range graphs only)."""


class OrcaFlexVesselObject(OrcaFlexObject):
    """A vessel."""


class OrcaFlex6DBuoyObject(OrcaFlexObject):
    """A 6D buoy."""


def _make_object(model: Any, info: ObjectInfo) -> OrcaFlexObject:
    kinds = ofx.ObjectType
    cls: type[OrcaFlexObject]
    if info.type == int(kinds.Line):
        cls = OrcaFlexLineObject
    elif info.type == int(kinds.Turbine):
        cls = OrcaFlexTurbineObject
    elif info.node_arclengths is not None:
        cls = OrcaFlexRangeGraphObject
    elif info.type == int(kinds.Vessel):
        cls = OrcaFlexVesselObject
    elif info.type == int(kinds.Buoy6D):
        cls = OrcaFlex6DBuoyObject
    else:
        cls = OrcaFlexObject
    return cls(model, info)
