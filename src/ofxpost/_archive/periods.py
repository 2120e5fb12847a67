"""Turning an OrcFxAPI ``period`` argument into the rows of an archive.

Accepted forms, as ``OrcFxAPI.PreparePeriod`` accepts them: ``None``, an ``int``
or ``PeriodNum`` (stage ``n`` is period number ``n``), a ``Period`` (OrcFxAPI's or
the fallback's: anything with ``PeriodNum``, ``FromTime`` and ``ToTime``) or any
2-sequence ``(from, to)``.

One-argument ``SpecifiedPeriod(t)`` (``t > 0``; ``ToTime`` left at OrcFxAPI's
default 0) is the period from ``t`` to the end of the simulation, as OrcFxAPI
documents it; ``SpecifiedPeriod(a, b)`` with ``b < a`` otherwise runs backwards
(``InvalidPeriod``).

Sample inclusion: a sample at time ``t`` is in the period ``[from, to]`` when
``from <= t <= to`` (with a tolerance of :data:`TIME_TOLERANCE` log intervals
for rounding in the stored times): no sample outside the period is added, and a
period shorter than the log interval may hold no sample. A stage boundary that
falls on a sample puts that sample in both stages.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ofxpost._archive.format import ArchiveInfo
from ofxpost._ofx import names as ofx

TIME_TOLERANCE = 1e-6
"""Fraction of the log sample interval by which a sample time may miss a period
end and still count as on it (rounding of stored times)."""


@dataclass(frozen=True)
class Rows:
    """The rows of a period: ``start:stop`` of the sample table, or the static state."""

    start: int = 0
    stop: int = 0
    static: bool = False
    label: str = ""

    @property
    def count(self) -> int:
        """Number of samples (1 for the static state)."""
        return 1 if self.static else self.stop - self.start


def _error(status: Any, message: str) -> Exception:
    return ofx.DLLError(status, message)


def period_number(period: Any, info: ArchiveInfo) -> tuple[int, float, float]:
    """``(PeriodNum, FromTime, ToTime)`` of any accepted ``period`` argument."""
    if period is None:
        static = info.state == int(ofx.ModelState.InStaticState)
        number = ofx.PeriodNum.StaticState if static else ofx.PeriodNum.WholeSimulation
        return int(number), 0.0, 0.0
    if hasattr(period, "PeriodNum"):
        return (
            int(period.PeriodNum),
            float(getattr(period, "FromTime", 0.0)),
            float(getattr(period, "ToTime", 0.0)),
        )
    if isinstance(period, int) and not isinstance(period, bool):
        return int(period), 0.0, 0.0
    if isinstance(period, Iterable) and not isinstance(period, str | bytes):
        values = [float(v) for v in period]
        if len(values) == 2:
            return int(ofx.PeriodNum.SpecifiedPeriod), values[0], values[1]
    raise TypeError(
        f"period must be None, a stage number, a PeriodNum, a Period or (from, to), not {period!r}"
    )


def stage_bounds(info: ArchiveInfo, stage: int) -> tuple[float, float]:
    """``(from, to)`` of stage ``stage`` (0 = build-up), from the start time and
    ``StageDuration``."""
    durations = info.stage_durations
    if not 0 <= stage < len(durations):
        raise _error(
            ofx.StatusCode.InvalidPeriod,
            f"stage {stage} does not exist: the simulation has {len(durations)} stages "
            f"(0 = build-up to {len(durations) - 1})",
        )
    start = info.start_time + float(sum(durations[:stage]))
    return start, start + float(durations[stage])


def _bounds(
    number: int, from_time: float, to_time: float, info: ArchiveInfo
) -> tuple[float, float, str]:
    periods = ofx.PeriodNum
    if number == periods.WholeSimulation:
        return info.start_time, info.stop_time, "whole simulation"
    if number == periods.SpecifiedPeriod:
        if to_time == 0.0 and from_time > 0.0:  # SpecifiedPeriod(t): ToTime left at its default
            return from_time, info.stop_time, f"{from_time:g} s to the end"
        if math.isnan(from_time) or math.isnan(to_time) or from_time > to_time:
            raise _error(
                ofx.StatusCode.InvalidPeriod,
                f"specified period {from_time:g} to {to_time:g} runs backwards",
            )
        return from_time, to_time, f"{from_time:g} to {to_time:g} s"
    if number == periods.LatestWave:
        if info.latest_wave is None:
            raise _error(ofx.StatusCode.InvalidPeriod, "this archive stores no latest-wave period")
        low, high = info.latest_wave
        return low, high, "latest wave"
    if 0 <= number < 32000:
        low, high = stage_bounds(info, number)
        return low, high, f"stage {number}"
    raise _error(ofx.StatusCode.InvalidPeriod, f"unknown period number {number}")


def resolve_rows(period: Any, info: ArchiveInfo, times: np.ndarray[Any, Any]) -> Rows:
    """The rows of ``times`` (sorted sample times) that ``period`` selects.

    :raises DLLError: ``InvalidPeriod`` (unknown period, stage out of range, a
        period running backwards, no latest wave stored), ``InvalidModelState`` (a
        dynamic period of a model with no dynamic samples) or
        ``PeriodNotYetStarted`` (a period starting after the current time).
    """
    number, from_time, to_time = period_number(period, info)
    periods = ofx.PeriodNum
    if number == periods.StaticState:
        return Rows(static=True, label="static state")
    if times.size == 0:
        raise _error(
            ofx.StatusCode.InvalidModelState,
            f"the model is in state {info.state_name}: it has no dynamic results",
        )
    if number == periods.InstantaneousValue:
        return Rows(int(times.size) - 1, int(times.size), label="instantaneous value")
    low, high, label = _bounds(number, from_time, to_time, info)
    dt = info.log_sample_interval
    tolerance = TIME_TOLERANCE * dt if dt > 0 and math.isfinite(dt) else 1e-9
    if low - tolerance > float(times[-1]):
        raise _error(
            ofx.StatusCode.PeriodNotYetStarted,
            f"period {label} ({low:g} s) starts after the last sample ({float(times[-1]):g} s)",
        )
    start = int(np.searchsorted(times, low - tolerance, side="left"))
    stop = int(np.searchsorted(times, high + tolerance, side="right"))
    return Rows(start, max(start, stop), label=label)
