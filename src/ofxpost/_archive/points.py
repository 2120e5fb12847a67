"""Turning an OrcFxAPI ``objectExtra`` argument into stored archive columns.

Lines (objects with node arc lengths):

* ``oeEndA`` / ``oeEndB`` / ``oeTouchdown`` -> points ``end_a`` / ``end_b`` /
  ``touchdown``;
* ``oeNodeNum(n)`` -> ``node=n`` (1-based; a node the line does not have gives
  ``NoSuchNodeNum``);
* ``oeArcLength(s)`` -> the stored point at exactly ``s`` (a node or ``arc=s``)
  if there is one, else **linear interpolation** in arc length between the two
  nearest stored node/arc points around ``s``; outside them ``InvalidObjectExtra``;
* ``None`` -> the point ``""`` (whole-line results), if stored.

The radial position and angle (``RadialPos``, ``Theta``) do not change where a
result is read. Archives store results at the default cross-section position
(``Inner``, ``Theta=0``); asking a variable whose name contains ``stress`` or
``strain`` at another position raises ``InvalidObjectExtra`` rather than
returning a value for the wrong fibre.

Other objects: ``None`` or an all-zero ``oeVessel``/``oeEnvironment`` position ->
the point ``""``; another position -> ``pos=x,y,z`` if stored.

Supports (any object): ``oeSupport(SupportIndex=n)`` -> ``support=n``;
``oeSupport(n, SupportedLineName=name)`` -> ``support=n;line=<name>`` (the line's name
matched by the OrcaFlex name rules). A support index that is not stored raises
``InvalidObjectExtra`` naming the object, the variable, the support and the stored points.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from ofxpost._archive.format import (
    DEFAULT_POINT,
    END_A,
    END_B,
    TOUCHDOWN,
    ObjectInfo,
    node_point,
    point_arc,
    point_node,
    point_support,
    position_point,
)
from ofxpost._archive.names import lookup, unknown_name_text
from ofxpost._ofx import names as ofx


@dataclass(frozen=True)
class PointRef:
    """A result as a weighted sum of stored points (one point, or two interpolated)."""

    variable: str
    points: tuple[str, ...]
    weights: tuple[float, ...]
    label: str


def _error(status: Any, message: str) -> Exception:
    return ofx.DLLError(status, message)


def describe_points(points: Sequence[str]) -> str:
    """Short text of stored points: ``end_a, end_b, touchdown, nodes 1-41``."""
    nodes = sorted(n for n in (point_node(p) for p in points) if n is not None)
    others = [repr(p) if p == DEFAULT_POINT else p for p in points if point_node(p) is None]
    parts = list(others)
    if nodes:
        runs: list[str] = []
        first = previous = nodes[0]
        for node in [*nodes[1:], None]:
            if node is not None and node == previous + 1:
                previous = node
                continue
            runs.append(str(first) if first == previous else f"{first}-{previous}")
            if node is not None:
                first = previous = node
        parts.append("nodes " + ", ".join(runs))
    return ", ".join(parts) if parts else "none"


def is_line(info: ObjectInfo) -> bool:
    """Whether ``info`` is a line-like object (it has node arc lengths)."""
    return info.node_arclengths is not None


def _radial_is_default(extra: Any) -> bool:
    radial = int(getattr(extra, "RadialPos", 0) or 0)
    theta = float(getattr(extra, "Theta", 0.0) or 0.0)
    return radial == int(ofx.RadialPos.Inner) and theta == 0.0


def _position(extra: Any, info: ObjectInfo) -> list[float]:
    name = "EnvironmentPos" if info.type == int(ofx.ObjectType.Environment) else "RigidBodyPos"
    raw = getattr(extra, name, None)
    return [0.0, 0.0, 0.0] if raw is None else [float(v) for v in raw]


def arc_positions(info: ObjectInfo, points: Sequence[str]) -> list[tuple[float, str]]:
    """``(arc length, point)`` of every node/arc point in ``points``, sorted."""
    arcs = info.node_arclengths or []
    out: list[tuple[float, str]] = []
    for point in points:
        node = point_node(point)
        if node is not None and 1 <= node <= len(arcs):
            out.append((float(arcs[node - 1]), point))
            continue
        arc = point_arc(point)
        if arc is not None:
            out.append((arc, point))
    out.sort()
    return out


def _missing(info: ObjectInfo, variable: str, where: str, source: str) -> Exception:
    points = info.results.get(variable, [])
    return _error(
        ofx.StatusCode.InvalidObjectExtra,
        f"{info.name}: '{variable}' is not stored at {where} in {source}; "
        f"stored points: {describe_points(points)}",
    )


def _single(variable: str, point: str, stored: Sequence[str]) -> PointRef | None:
    if point in stored:
        return PointRef(variable, (point,), (1.0,), point or "default point")
    return None


def _line_point(info: ObjectInfo, variable: str, extra: Any, source: str) -> PointRef:
    stored = info.results[variable]
    if extra is None:
        found = _single(variable, DEFAULT_POINT, stored)
        if found is None:
            raise _error(
                ofx.StatusCode.InvalidObjectExtra,
                f"{info.name}: '{variable}' needs an objectExtra (oeEndA, oeNodeNum(n), "
                f"oeArcLength(s) ...); stored points: {describe_points(stored)}",
            )
        return found
    check_radial(info, variable, extra, source)
    kind = int(getattr(extra, "LinePoint", 0))
    points = ofx.LinePoint
    named = {int(points.EndA): END_A, int(points.EndB): END_B, int(points.Touchdown): TOUCHDOWN}
    if kind in named:
        found = _single(variable, named[kind], stored)
        if found is None:
            raise _missing(info, variable, named[kind], source)
        return found
    if kind == int(points.NodeNum):
        node = int(getattr(extra, "NodeNum", 0))
        count = len(info.node_arclengths or [])
        if not 1 <= node <= count:
            raise _error(
                ofx.StatusCode.NoSuchNodeNum,
                f"{info.name}: node {node} does not exist (the line has nodes 1-{count})",
            )
        found = _single(variable, node_point(node), stored)
        if found is None:
            raise _missing(info, variable, f"node {node}", source)
        return found
    if kind == int(points.ArcLength):
        return _interpolate(info, variable, float(getattr(extra, "ArcLength", 0.0)), source)
    raise _error(ofx.StatusCode.InvalidObjectExtra, f"{info.name}: unknown LinePoint {kind}")


def _interpolate(info: ObjectInfo, variable: str, target: float, source: str) -> PointRef:
    stored = info.results[variable]
    positions = arc_positions(info, stored)
    length = positions[-1][0] if positions else 0.0
    tolerance = 1e-9 * max(1.0, abs(length))
    for arc, point in positions:
        if abs(arc - target) <= tolerance:
            return PointRef(variable, (point,), (1.0,), f"arc length {target:g}")
    for (low, low_point), (high, high_point) in pairwise(positions):
        if low < target < high:
            weight = (target - low) / (high - low)
            return PointRef(
                variable,
                (low_point, high_point),
                (1.0 - weight, weight),
                f"arc length {target:g}",
            )
    raise _missing(info, variable, f"arc length {target:g}", source)


def check_variable(info: ObjectInfo, variable: str, source: str) -> str:
    """The stored spelling of ``variable`` (OrcaFlex name rules, :mod:`.names`).

    :raises DLLError: ``UnrecognisedVarName``, listing the nearest stored names.
    """
    found = lookup(variable, info.results)
    if found is None:
        raise _error(
            ofx.StatusCode.UnrecognisedVarName,
            f"{info.name}: "
            + unknown_name_text("variable", variable, info.results, source)
            + f" (stored variables: {', '.join(repr(v) for v in info.results) or 'none'})",
        )
    return found


def check_radial(info: ObjectInfo, variable: str, extra: Any, source: str) -> None:
    """Raise ``InvalidObjectExtra`` for a stress/strain variable asked at a
    non-default cross-section position (archives store the default one only)."""
    if extra is None or _radial_is_default(extra):
        return
    if any(word in variable.lower() for word in ("stress", "strain")):
        raise _error(
            ofx.StatusCode.InvalidObjectExtra,
            f"{info.name}: '{variable}' is stored at the default cross-section position "
            f"(RadialPos Inner, Theta 0) only in {source}",
        )


def support_of(extra: Any) -> tuple[int, str | None] | None:
    """``(support index, supported line or None)`` of an ``oeSupport`` extra, else ``None``."""
    if extra is None:
        return None
    index = int(getattr(extra, "SupportIndex", 0) or 0)
    if index <= 0:
        return None
    line = getattr(extra, "SupportedLineName", None)
    return index, (str(line) if line else None)


def _support_point(
    info: ObjectInfo, variable: str, support: tuple[int, str | None], source: str
) -> PointRef:
    index, line = support
    stored = info.results[variable]
    for point in stored:
        found = point_support(point)
        if found is None or found[0] != index:
            continue
        if (found[1] is None and line is None) or (
            found[1] is not None and line is not None and lookup(line, [found[1]]) is not None
        ):
            where = f"support {index}" + (f" (line {line!r})" if line else "")
            return PointRef(variable, (point,), (1.0,), where)
    where = f"support {index}" + (f" for the supported line {line!r}" if line else "")
    raise _missing(info, variable, where, source)


def resolve_point(info: ObjectInfo, variable: str, extra: Any, source: str) -> PointRef:
    """Where ``variable`` of ``info`` is read for ``objectExtra`` ``extra``.

    ``variable`` is matched by the OrcaFlex name rules; the returned
    :class:`PointRef` holds the stored spelling.

    :param source: the archive's name, for messages.
    :raises DLLError: ``UnrecognisedVarName`` (variable not stored),
        ``InvalidObjectExtra`` (point or support not stored), ``NoSuchNodeNum``.
    """
    variable = check_variable(info, variable, source)
    support = support_of(extra)
    if support is not None:
        return _support_point(info, variable, support, source)
    if is_line(info):
        return _line_point(info, variable, extra, source)
    stored = info.results[variable]
    position = [0.0, 0.0, 0.0] if extra is None else _position(extra, info)
    if all(v == 0.0 for v in position):
        found = _single(variable, DEFAULT_POINT, stored)
    else:
        found = _single(variable, position_point(position), stored)
    if found is None:
        where = "the default point" if all(v == 0.0 for v in position) else f"position {position}"
        raise _missing(info, variable, where, source)
    return found


def static_value(info: ObjectInfo, ref: PointRef) -> float | None:
    """The static-state value of ``ref`` (``None`` if a point has none)."""
    points = info.results[ref.variable]
    values = info.static.get(ref.variable, [])
    total = 0.0
    for point, weight in zip(ref.points, ref.weights, strict=True):
        index = points.index(point)
        value = values[index] if index < len(values) else None
        if value is None:
            return None
        total += weight * value
    return total
