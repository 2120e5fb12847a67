"""The value types of the opp layout: how opp spells periods, line points, statistics ...

Each ``parse_*`` function reads one opp value into its native form, or raises
:class:`ValueError` saying what is wrong; :mod:`ofxpost._builtin.opp.models` attaches
them to the fields they read (``Annotated[..., BeforeValidator(parse_*)]``), so an error
names the key path and the value through the shared config-error formatter. ``None``
(a key written as ``null``) always reads as "not given".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BeforeValidator

COMMANDS = {
    "rangegraph": "range_graph",
    "timehistory": "time_history",
    "staticresult": "static_result",
    "getdata": "data",
}
"""opp's ``Command`` spellings (normalised) → native commands."""

STATISTICS = {
    "max": "max",
    "min": "min",
    "mean": "mean",
    "std": "std",
    "stddev": "std",
    "absmax": "abs_max",
    "rms": "rms",
}
CURVES = {"max": "max", "min": "min", "mean": "mean", "stddev": "std_dev", "std": "std_dev"}
PERIODS = {
    "wholesimulation": "whole_simulation",
    "staticstate": "static_state",
    "latestwave": "latest_wave",
}
POINTS = {"enda": "end_a", "endb": "end_b", "touchdown": "touchdown"}
RADIAL = {"inner": "inner", "outer": "outer", "mid": "mid", "0": "inner", "1": "outer"}
SUMMARY_STATISTICS = {"Minimum": "min", "Maximum": "max", "Mean": "mean", "StdDev": "std"}
ADD_TO_SUMMARY = {
    "AddMinimumToSummary": "min",
    "AddMaximumToSummary": "max",
    "AddMeanToSummary": "mean",
}
"""opp's legacy switches for the across-file rows of a summary table."""

UNSUPPORTED_COLUMN_KEYS = {
    "transform": "opp's transform (assetutilities TransformData) has no native equivalent",
    "Location": "rigid-pipe locations are not supported",
}
"""Column keys that would change results and have no native equivalent."""

_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_SPECIFIED = re.compile(
    rf"^(?:orcfxapi\.)?specifiedperiod\(\s*(?:fromtime\s*=\s*)?({_NUMBER})?\s*"
    rf"(?:,\s*(?:totime\s*=\s*)?({_NUMBER})\s*)?\)$",
    re.IGNORECASE,
)
"""``SpecifiedPeriod(a, b)`` / ``SpecifiedPeriod(a)`` written as a string."""
_STAGE = re.compile(r"^(?:stage\s*|(?:orcfxapi\.)?period\(\s*)(\d+)\s*\)?$", re.IGNORECASE)
"""``Stage 1`` / ``Period(1)`` written as a string."""


def norm(text: Any) -> str:
    """``text`` without spaces, ``_ - .`` and case: how opp's names are compared."""
    return re.sub(r"[\s_\-.]+", "", str(text)).lower()


def _is_number(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float)


def parse_period(value: Any) -> Any:
    """A ``SimulationPeriod``: a native period name, ``[start, end]`` or a stage number.

    ``[t]`` runs from ``t`` to the end (OrcFxAPI's ``SpecifiedPeriod(t)``; opp made it
    ``[t, t]``); an integer is a stage (opp's newest copy ignored it); ``[]`` is none.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError("not a period")
    if isinstance(value, int):
        if value < 0:
            raise ValueError("a stage number is 0 or more")
        return value
    if isinstance(value, str):
        return _period_text(value.strip())
    if isinstance(value, Sequence):
        items = list(value)
        if not items:
            return None
        for item in items:
            if item is not None and not _is_number(item):
                raise ValueError(f"not a time: {item!r}")
        if len(items) == 1:
            return [items[0], None]  # SpecifiedPeriod(t): from t to the end
        if len(items) == 2:
            return items
        raise ValueError("a period is [start, end]")
    raise ValueError("not a period")


def _period_text(text: str) -> Any:
    """``WholeSimulation``, ``PeriodNum.LatestWave``, ``SpecifiedPeriod(0.0, 120.0)``,
    ``SpecifiedPeriod(30)``, ``Stage 1`` ..."""
    name = re.sub(r"^(?:orcfxapi)?(?:periodnum|pn)?", "", norm(text))
    if name in PERIODS:
        return PERIODS[name]
    specified = _SPECIFIED.match(text)
    if specified is not None:
        start = float(specified.group(1)) if specified.group(1) is not None else 0.0
        end = float(specified.group(2)) if specified.group(2) is not None else None
        if end is not None and start > end:
            raise ValueError(f"period start {start} is after its end {end}")
        return [start, end]
    stage = _STAGE.match(text)
    if stage is not None:
        return int(stage.group(1))
    raise ValueError(
        "unknown period: expected WholeSimulation, StaticState, LatestWave, "
        "SpecifiedPeriod(from, to), [from, to], [from] or a stage number"
    )


def parse_arclength(value: Any) -> list[Any] | None:
    """``ArcLength``: ``[]``, ``[a]`` or ``[from, to]`` (a number is ``[a]``)."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError("not an arc length")
    if isinstance(value, int | float):
        return [value]
    if not isinstance(value, Sequence) or isinstance(value, str) or len(value) > 2:
        raise ValueError("expected [], [a] or [from, to]")
    for item in value:
        if not _is_number(item):
            raise ValueError(f"not an arc length: {item!r}")
    return list(value)


@dataclass(frozen=True)
class LinePoint:
    """An ``objectExtra``: a named line point (``end``) or a section range."""

    end: str | None = None
    sections: list[Any] | None = None


def parse_object_extra(value: Any) -> LinePoint | None:
    """``objectExtra``: ``['End A']``, ``['Touchdown']``, ``['Section', [from, to]]`` ..."""
    if value is None or (not value and not isinstance(value, str)):
        return None
    if not isinstance(value, str | Sequence):
        raise ValueError("expected ['End A'], ['End B'], ['Touchdown'] or ['Section', [a, b]]")
    items = [value] if isinstance(value, str) else list(value)
    if not items:
        return None
    head = norm(items[0])
    if head in POINTS:
        return LinePoint(end=POINTS[head])
    if head == "section":
        span = items[1] if len(items) > 1 else None
        span = [span] if isinstance(span, int) else span
        if not isinstance(span, Sequence) or not 1 <= len(span) <= 2:
            raise ValueError("expected ['Section', [from, to]]")
        return LinePoint(sections=[span[0], span[-1]])
    raise ValueError(f"unknown objectExtra {items[0]!r}")


def parse_radial(value: Any) -> Any:
    """``RadialPos``: Inner / Outer / Mid (``0`` / ``1``), or a number kept as is."""
    if value is None or isinstance(value, float):
        return value
    name = RADIAL.get(norm(value))
    if name is None:
        raise ValueError("expected Inner/Outer/Mid")
    return name


def parse_theta(value: Any) -> Any:
    """``Theta``: an angle."""
    if value is not None and not _is_number(value):
        raise ValueError("not an angle")
    return value


def parse_command(value: Any) -> str | None:
    """``Command``: the native command of opp's spelling."""
    if value is None:
        return None
    command = COMMANDS.get(norm(value))
    if command is None:
        raise ValueError("expected Range Graph, TimeHistory, Static Result or GetData")
    return command


def parse_statistic(value: Any) -> str | None:
    """``Statistic_Type``: Max, Min, Mean, StdDev, AbsMax, RMS."""
    if value is None:
        return None
    statistic = STATISTICS.get(norm(value))
    if statistic is None:
        raise ValueError("unknown statistic")
    return statistic


def parse_curves(value: Any) -> list[str] | None:
    """``AdditionalData``: the range-graph curves, each once, in the order written."""
    if value is None or (not value and not isinstance(value, str)):
        return None
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, Sequence):
        raise ValueError("expected a list of curves (Max, Min, Mean, StdDev)")
    curves: list[str] = []
    for item in items:
        curve = CURVES.get(norm(item))
        if curve is None:
            raise ValueError(f"unknown curve {item!r}")
        if curve not in curves:
            curves.append(curve)
    return curves


def parse_allowable(value: Any) -> Any:
    """``axhline``: one allowable value (``[v]`` or ``v``)."""
    if isinstance(value, list):
        if len(value) != 1:
            raise ValueError("one allowable value is supported")
        value = value[0]
    if value is not None and not _is_number(value):
        raise ValueError(f"not a number: {value!r}")
    return value


def parse_position(value: Any) -> list[Any] | None:
    """``Position``: a vessel point ``[x, y, z]``."""
    if value is None:
        return None
    if isinstance(value, str) or not isinstance(value, Sequence) or len(value) != 3:
        raise ValueError("expected [x, y, z]")
    return list(value)


def parse_support_index(value: Any) -> Any:
    """``SupportIndex``: a support number, 1 for the first (OrcFxAPI's ``oeSupport``)."""
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise ValueError("expected a support number (1 for the first support)")
    return value


def parse_count(value: Any) -> Any:
    """``csv_decimal``: a count of decimals."""
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        raise ValueError("not a count")
    return value


def parse_texts(value: Any) -> list[str]:
    """A filter: a text or a list of texts (numbers read as texts; empty ones dropped)."""
    if value is None:
        return []
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(v, str | int) for v in items):
        raise ValueError("expected a list of texts")
    return [str(v) for v in items if str(v)]


def parse_extensions(value: Any) -> list[str]:
    """``extension``: one file extension or a list of them."""
    if value is None or (not value and not isinstance(value, str)):
        return []
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list):
        raise ValueError("expected an extension or a list of extensions")
    return [str(e) for e in items]


def parse_paths(value: Any) -> list[str]:
    """An ``input_files`` entry: a list of paths (``null``: none)."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(p, str) for p in value):
        raise ValueError("expected a list of paths")
    return list(value)


def parse_required(value: Any) -> Any:
    """A key that must be given (not ``null``, ``""`` or ``[]``)."""
    if value is None or (isinstance(value, str | list) and not value):
        raise ValueError("required key is missing")
    return value


def parse_given(value: Any) -> Any:
    """A key that must be given and not empty (any false value is missing)."""
    if not value:
        raise ValueError("required key is missing")
    return value


def parse_switch(value: Any) -> bool:
    """A switch written as ``true`` / ``false`` or ``{flag: true}`` (``null``: off)."""
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, dict):
        extra = sorted(set(value) - {"flag"})
        if extra:
            raise ValueError(f"unknown key {extra[0]!r}: expected true/false or {{flag: ...}}")
        return parse_switch(value.get("flag", False))
    raise ValueError("expected true/false or {flag: true/false}")


def parse_histogram(value: Any) -> dict[str, Any] | None:
    """``histogram``: ``true`` (10 bins over each file's samples) or ``{flag, bins,
    range}``; the native ``histogram`` block, ``None`` when off."""
    if value is None or isinstance(value, bool):
        return {} if value else None
    if not isinstance(value, dict):
        raise ValueError("expected true/false or {flag: true, bins: N, range: [low, high]}")
    extra = sorted(set(value) - {"flag", "bins", "range"})
    if extra:
        raise ValueError(f"unknown key {extra[0]!r}: expected flag, bins and range")
    if not parse_switch(value.get("flag", True)):
        return None
    return {key: value[key] for key in ("bins", "range") if value.get(key) is not None}


def _empty_is_none(value: Any) -> Any:
    return value if value else None


PeriodValue = Annotated[Any, BeforeValidator(parse_period)]
ArcLengthValue = Annotated[list[Any] | None, BeforeValidator(parse_arclength)]
ObjectExtraValue = Annotated[LinePoint | None, BeforeValidator(parse_object_extra)]
RadialPosValue = Annotated[Any, BeforeValidator(parse_radial)]
ThetaValue = Annotated[Any, BeforeValidator(parse_theta)]
CommandValue = Annotated[str | None, BeforeValidator(parse_command)]
StatisticValue = Annotated[str | None, BeforeValidator(parse_statistic)]
CurvesValue = Annotated[list[str] | None, BeforeValidator(parse_curves)]
AllowableValue = Annotated[Any, BeforeValidator(parse_allowable)]
PositionValue = Annotated[list[Any] | None, BeforeValidator(parse_position)]
CountValue = Annotated[Any, BeforeValidator(parse_count)]
SupportIndexValue = Annotated[int | None, BeforeValidator(parse_support_index)]
TextsValue = Annotated[list[str], BeforeValidator(parse_texts)]
ExtensionsValue = Annotated[list[str], BeforeValidator(parse_extensions)]
PathsValue = Annotated[list[str], BeforeValidator(parse_paths)]
RequiredValue = Annotated[Any, BeforeValidator(parse_required)]
GivenValue = Annotated[Any, BeforeValidator(parse_given)]
SwitchValue = Annotated[bool, BeforeValidator(parse_switch)]
HistogramValue = Annotated[dict[str, Any] | None, BeforeValidator(parse_histogram)]
EmptyIsNone = BeforeValidator(_empty_is_none)
"""For ``Annotated[Model | None, EmptyIsNone]``: opp read an empty block (``{}``,
``null``, ``[]``) as an absent one."""
