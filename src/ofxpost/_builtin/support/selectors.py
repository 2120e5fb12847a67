"""Column selectors shared by the post-processing plugins.

The native config writes *where* and *when* a result is read in a few short forms;
this module validates them (pydantic models, so a typo is a config error naming the
key) and turns them into OrcFxAPI arguments for one model at a time:

* **period** -- ``whole_simulation``, ``static_state``, ``latest_wave``, a stage
  number ``N`` or ``{stage: N}``, or ``[t0, t1]`` where ``null`` means *that file's*
  own ``simulationStartTime`` / ``simulationStopTime``. A period is resolved per
  file by :func:`period_arg`; the config is never changed.
* **object_extra** -- ``end_a``, ``end_b``, ``touchdown``, ``{arc_length: x}``,
  ``{node: n}``, ``{end: end_b}`` or a vessel/buoy/environment position
  ``[x, y, z]`` (``{position: [x, y, z]}``); the line forms take an optional
  ``radial_position`` (``inner``, ``outer``, ``mid`` or a radius) and ``theta``;
  ``{support: n}`` (``{support: n, supported_line: name}``) is support ``n`` of a
  vessel or 6D buoy (OrcFxAPI's ``oeSupport``, ``n`` from 1).
* **arclength_range** -- ``[a, b]`` (arc lengths), ``{sections: [i, j]}``; absent
  means the entire line.

OrcFxAPI objects come from :mod:`ofxpost.ofx`, imported only when a selector is
turned into an argument (so validating a config imports no OrcaFlex code).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ofxpost.errors import ObjectNotFound, UnknownObjectError

PeriodName = Literal["whole_simulation", "static_state", "latest_wave"]
PERIOD_NAMES: tuple[str, ...] = ("whole_simulation", "static_state", "latest_wave")
"""The named periods."""

EndName = Literal["end_a", "end_b", "touchdown"]
END_NAMES: tuple[str, ...] = ("end_a", "end_b", "touchdown")
"""The named line points."""

RadialName = Literal["inner", "outer", "mid"]


class Frozen(BaseModel):
    """Base of every config model here: unknown keys are errors, instances immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


# --------------------------------------------------------------------------- period


class PeriodSpec(Frozen):
    """A simulation period (normalised form; see the module docstring for shorthands)."""

    kind: Literal["whole_simulation", "static_state", "latest_wave", "stage", "specified"]
    """Which kind of period."""
    stage: int | None = Field(default=None, ge=0)
    """Stage number (``kind: stage``); stage 0 is the build-up."""
    start: float | None = None
    """Start time (``kind: specified``); ``None``: the file's simulation start time."""
    end: float | None = None
    """End time (``kind: specified``); ``None``: the file's simulation stop time."""

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        if isinstance(value, str):
            if value in PERIOD_NAMES:
                return {"kind": value}
            raise ValueError(
                f"unknown period {value!r}: expected one of {', '.join(PERIOD_NAMES)}, "
                "a stage number, {stage: N} or [start, end]"
            )
        if isinstance(value, bool):
            raise ValueError("a period cannot be true/false")
        if isinstance(value, int):
            return {"kind": "stage", "stage": value}
        if isinstance(value, Sequence):
            if len(value) != 2 or not all(v is None or _is_number(v) for v in value):
                raise ValueError("a specified period is [start, end] (numbers or null)")
            return {"kind": "specified", "start": value[0], "end": value[1]}
        if isinstance(value, Mapping) and "kind" not in value:
            if set(value) == {"stage"}:
                return {"kind": "stage", "stage": value["stage"]}
            raise ValueError("a period mapping is {stage: N}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> PeriodSpec:
        if self.kind == "stage" and self.stage is None:
            raise ValueError("a stage period needs a stage number")
        if self.kind != "stage" and self.stage is not None:
            raise ValueError("'stage' is only allowed with kind 'stage'")
        if self.kind != "specified" and (self.start is not None or self.end is not None):
            raise ValueError("'start'/'end' are only allowed with kind 'specified'")
        if self.start is not None and self.end is not None and self.start > self.end:
            raise ValueError(f"period start {self.start} is after its end {self.end}")
        return self

    def describe(self) -> str:
        """Short text for derived labels, e.g. ``stage 1`` or ``0-100``."""
        if self.kind == "stage":
            return f"stage {self.stage}"
        if self.kind == "specified":
            start = "start" if self.start is None else f"{self.start:g}"
            end = "stop" if self.end is None else f"{self.end:g}"
            return f"{start}-{end}"
        return self.kind


WHOLE_SIMULATION = PeriodSpec(kind="whole_simulation")
"""The default period of time-history and range-graph results."""


def period_bounds(spec: PeriodSpec, model: Any) -> tuple[float, float]:
    """The ``(start, end)`` times of a specified period for ``model``.

    ``None`` bounds become this model's own simulation start / stop time, read
    fresh for every file (never carried over from another file).
    """
    start = float(model.simulationStartTime) if spec.start is None else spec.start
    end = float(model.simulationStopTime) if spec.end is None else spec.end
    return start, end


def period_arg(spec: PeriodSpec | None, model: Any) -> Any:
    """The OrcFxAPI ``period`` argument for ``spec`` on ``model``."""
    import ofxpost.ofx as ofx

    spec = spec or WHOLE_SIMULATION
    if spec.kind == "whole_simulation":
        return ofx.PeriodNum.WholeSimulation
    if spec.kind == "static_state":
        return ofx.PeriodNum.StaticState
    if spec.kind == "latest_wave":
        return ofx.PeriodNum.LatestWave
    if spec.kind == "stage":
        return ofx.Period(int(spec.stage or 0))
    start, end = period_bounds(spec, model)
    return ofx.SpecifiedPeriod(start, end)


# ----------------------------------------------------------------------- object extra


class ObjectExtraSpec(Frozen):
    """Where on an object a result is read (normalised form)."""

    end: EndName | None = None
    """A named line point: ``end_a``, ``end_b`` or ``touchdown``."""
    arc_length: float | None = Field(default=None, ge=0)
    """An arc length along a line (m)."""
    node: int | None = Field(default=None, ge=1)
    """A node number of a line (1 = the node at End A)."""
    position: tuple[float, float, float] | None = None
    """A point ``[x, y, z]`` on a vessel or buoy (its own axes) or in the environment."""
    radial_position: RadialName | float | None = None
    """Line only: ``inner``, ``outer``, ``mid``, or a radius (a number)."""
    theta: float | None = None
    """Line only: the circumferential angle (degrees)."""
    support: int | None = Field(default=None, ge=1)
    """A support of a vessel or 6D buoy (1 = the first; OrcFxAPI's ``oeSupport``)."""
    supported_line: str | None = None
    """With ``support``: the part of its results due to this supported line."""

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        if isinstance(value, str):
            if value in END_NAMES:
                return {"end": value}
            raise ValueError(
                f"unknown object_extra {value!r}: expected {', '.join(END_NAMES)}, "
                "{arc_length: x}, {node: n}, {support: n} or a position [x, y, z]"
            )
        if isinstance(value, Sequence) and not isinstance(value, str):
            if len(value) == 3 and all(_is_number(v) for v in value):
                return {"position": list(value)}
            raise ValueError("a position is [x, y, z]")
        return value

    @model_validator(mode="after")
    def _one_point(self) -> ObjectExtraSpec:
        given = [
            name
            for name in ("end", "arc_length", "node", "position", "support")
            if getattr(self, name) is not None
        ]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of end, arc_length, node, position, support"
                + (f" (got {', '.join(given)})" if given else "")
            )
        if (self.position is not None or self.support is not None) and (
            self.radial_position is not None or self.theta is not None
        ):
            where = "a position" if self.position is not None else "a support"
            raise ValueError(f"radial_position/theta apply to line points, not to {where}")
        if self.supported_line is not None and self.support is None:
            raise ValueError("supported_line needs support: n")
        return self

    def describe(self) -> str:
        """Short text for derived labels, e.g. ``end_b`` or ``@12.5``."""
        text: str
        if self.end is not None:
            text = str(self.end)
        elif self.arc_length is not None:
            text = f"@{self.arc_length:g}"
        elif self.node is not None:
            text = f"node {self.node}"
        elif self.support is not None:
            text = f"support {self.support}"
            if self.supported_line:
                text += f" {self.supported_line}"
        else:
            text = "(" + ",".join(f"{v:g}" for v in self.position or ()) + ")"
        if self.radial_position is not None:
            radial = self.radial_position
            text += f" {radial}" if isinstance(radial, str) else f" r={radial:g}"
        if self.theta is not None:
            text += f" theta={self.theta:g}"
        return text


def _radial_arg(value: RadialName | float | None, ofx: Any) -> Any:
    if value is None:
        return ofx.RadialPos.Inner
    if isinstance(value, str):
        names = {"inner": "Inner", "outer": "Outer", "mid": "Mid"}
        return getattr(ofx.RadialPos, names[value])
    return float(value)


def object_extra_arg(spec: ObjectExtraSpec | None, obj: Any = None) -> Any:
    """The OrcFxAPI ``objectExtra`` argument for ``spec`` (``None`` for none).

    A position becomes ``oeEnvironment`` for the environment and ``oeVessel``
    (a rigid-body point) for anything else. The shared ``oeEndA``/``oeEndB``/
    ``oeTouchdown`` instances are used as they are, never changed: a radial
    position or angle builds a fresh ``oeLine`` instead.
    """
    if spec is None:
        return None
    import ofxpost.ofx as ofx

    if spec.support is not None:
        return ofx.oeSupport(spec.support, spec.supported_line)
    if spec.position is not None:
        x, y, z = spec.position
        if _is_environment(obj):
            return ofx.oeEnvironment(x, y, z)
        return ofx.oeVessel(x, y, z)
    plain = spec.radial_position is None and spec.theta is None
    if spec.end is not None:
        if plain:
            return {"end_a": ofx.oeEndA, "end_b": ofx.oeEndB, "touchdown": ofx.oeTouchdown}[
                spec.end
            ]
        point = {
            "end_a": ofx.LinePoint.EndA,
            "end_b": ofx.LinePoint.EndB,
            "touchdown": ofx.LinePoint.Touchdown,
        }[spec.end]
        return ofx.oeLine(
            LinePoint=point,
            RadialPos=_radial_arg(spec.radial_position, ofx),
            Theta=spec.theta or 0.0,
        )
    if spec.node is not None:
        if plain:
            return ofx.oeNodeNum(spec.node)
        return ofx.oeLine(
            LinePoint=ofx.LinePoint.NodeNum,
            NodeNum=spec.node,
            RadialPos=_radial_arg(spec.radial_position, ofx),
            Theta=spec.theta or 0.0,
        )
    arc = float(spec.arc_length or 0.0)
    if plain:
        return ofx.oeArcLength(arc)
    return ofx.oeLine(
        LinePoint=ofx.LinePoint.ArcLength,
        ArcLength=arc,
        RadialPos=_radial_arg(spec.radial_position, ofx),
        Theta=spec.theta or 0.0,
    )


def _is_environment(obj: Any) -> bool:
    if obj is None:
        return False
    type_name = getattr(obj, "typeName", None)
    if isinstance(type_name, str):
        return type_name == "Environment"
    kind = getattr(obj, "type", None)
    return getattr(kind, "name", None) == "Environment"


# --------------------------------------------------------------------- arclength range


class ArclengthRangeSpec(Frozen):
    """Which part of a line a range graph covers (normalised form)."""

    arclengths: tuple[float, float] | None = None
    """From and to arc length (m)."""
    sections: tuple[int, int] | None = None
    """From and to section number, as OrcaFlex numbers them (1 = the first)."""

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        if isinstance(value, Sequence) and not isinstance(value, str):
            if len(value) != 2 or not all(_is_number(v) for v in value):
                raise ValueError("an arc-length range is [from, to] (two numbers)")
            return {"arclengths": list(value)}
        return value

    @model_validator(mode="after")
    def _one_form(self) -> ArclengthRangeSpec:
        if (self.arclengths is None) == (self.sections is None):
            raise ValueError("give either [from, to] arc lengths or {sections: [from, to]}")
        if self.arclengths is not None and self.arclengths[0] > self.arclengths[1]:
            raise ValueError(f"arc-length range {list(self.arclengths)} runs backwards")
        if self.sections is not None:
            first, last = self.sections
            if first < 1 or last < first:
                raise ValueError(f"section range {list(self.sections)} is not 1 <= from <= to")
        return self

    def describe(self) -> str:
        """Short text for derived labels."""
        if self.arclengths is not None:
            return f"{self.arclengths[0]:g}-{self.arclengths[1]:g}"
        first, last = self.sections or (0, 0)
        return f"sections {first}-{last}"


def arclength_range_arg(spec: ArclengthRangeSpec | None) -> Any:
    """The OrcFxAPI ``arclengthRange`` argument (``None``: the entire line)."""
    if spec is None:
        return None
    import ofxpost.ofx as ofx

    if spec.arclengths is not None:
        return ofx.arSpecifiedArclengths(*spec.arclengths)
    first, last = spec.sections or (1, 1)
    return ofx.arSpecifiedSections(first, last)


# ------------------------------------------------------------------------- objects


def find_object(model: Any, name: str) -> Any:
    """``model[name]``, with a clear error naming the object when it is missing."""
    try:
        return model[name]
    except UnknownObjectError as exc:  # an archive: its text names the nearest objects
        raise ObjectNotFound(str(exc)) from None
    except KeyError:
        raise ObjectNotFound(f"no object named {name!r} in this model") from None


def describe_error(exc: BaseException) -> str:
    """One clear line for an exception raised while reading a result."""
    if isinstance(exc, ObjectNotFound):
        return str(exc)
    text = str(exc).strip().replace("\n", " ")
    if isinstance(exc, KeyError) and exc.args:
        text = str(exc.args[0])
    name = type(exc).__name__
    return f"{name}: {text}" if text else name
