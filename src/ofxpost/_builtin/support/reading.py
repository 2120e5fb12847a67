"""Read one result from an OrcFxAPI-like model, as a selector describes it.

Every function takes the model and plain selector values, makes the OrcFxAPI
call (``TimeHistory``, ``RangeGraph``, ``StaticResult``, ``GetData``,
``LinkedStatistics``, ``SampleTimes``) and returns numbers or numpy arrays.
Errors propagate: the calling plugin records them against the one column.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from ofxpost._builtin.support.numpy import np
from ofxpost._builtin.support.selectors import (
    ArclengthRangeSpec,
    ObjectExtraSpec,
    PeriodSpec,
    arclength_range_arg,
    find_object,
    object_extra_arg,
    period_arg,
)
from ofxpost.errors import NotSupported

Transform = Literal["sqrt", "abs"]
Curve = Literal["max", "min", "mean", "std_dev"]
CURVES: tuple[str, ...] = ("min", "max", "mean", "std_dev")
"""Range-graph curves, in table column order."""
_CURVE_ATTRIBUTES = {"max": "Max", "min": "Min", "mean": "Mean", "std_dev": "StdDev"}


def apply_transform(values: Any, transform: Transform | None) -> Any:
    """``sqrt`` or ``abs`` of ``values`` (unchanged for ``None``)."""
    if transform is None:
        return values
    data = np.asarray(values, dtype=float)
    if transform == "abs":
        return np.abs(data)
    with np.errstate(invalid="ignore"):
        return np.sqrt(data)


def time_history(
    model: Any,
    object_name: str,
    variable: str,
    period: PeriodSpec | None,
    object_extra: ObjectExtraSpec | None,
) -> np.ndarray[Any, Any]:
    """``obj.TimeHistory(variable, period, objectExtra)`` as a float array."""
    obj = find_object(model, object_name)
    values = obj.TimeHistory(
        variable, period_arg(period, model), object_extra_arg(object_extra, obj)
    )
    return np.asarray(values, dtype=float).ravel()


def sample_times(model: Any, period: PeriodSpec | None) -> np.ndarray[Any, Any]:
    """``model.SampleTimes(period)`` as a float array."""
    return np.asarray(model.SampleTimes(period_arg(period, model)), dtype=float).ravel()


@dataclass(frozen=True)
class RangeCurves:
    """A range graph: arc lengths and the four statistic curves."""

    x: np.ndarray[Any, Any]
    curves: dict[str, np.ndarray[Any, Any]]

    def curve(self, name: str) -> np.ndarray[Any, Any]:
        """One curve by name (``max``, ``min``, ``mean``, ``std_dev``)."""
        return self.curves[name]


def range_graph(
    model: Any,
    object_name: str,
    variable: str,
    period: PeriodSpec | None,
    object_extra: ObjectExtraSpec | None,
    arclength_range: ArclengthRangeSpec | None,
) -> RangeCurves:
    """``obj.RangeGraph(variable, period, objectExtra, arclengthRange)``."""
    obj = find_object(model, object_name)
    if not hasattr(obj, "RangeGraph"):
        raise NotSupported(f"object {object_name!r} has no range graphs (lines only)")
    result = obj.RangeGraph(
        variable,
        period_arg(period, model),
        object_extra_arg(object_extra, obj),
        arclength_range_arg(arclength_range),
    )
    x = np.asarray(result.X, dtype=float).ravel()
    curves: dict[str, np.ndarray[Any, Any]] = {}
    for name, attribute in _CURVE_ATTRIBUTES.items():
        value = getattr(result, attribute, None)
        array = (
            np.full(x.shape, np.nan) if value is None else np.asarray(value, dtype=float).ravel()
        )
        curves[name] = array
    return RangeCurves(x, curves)


def static_result(
    model: Any, object_name: str, variable: str, object_extra: ObjectExtraSpec | None
) -> float:
    """``obj.StaticResult(variable, objectExtra)`` as a float."""
    obj = find_object(model, object_name)
    return float(np.asarray(obj.StaticResult(variable, object_extra_arg(object_extra, obj))))


def input_data(model: Any, object_name: str, name: str, index: int) -> Any:
    """``obj.GetData(name, index)``: a number or a text value of the input data."""
    obj = find_object(model, object_name)
    getter = getattr(obj, "GetData", None)
    if getter is None:
        raise NotSupported(
            f"this model cannot read input data (GetData) of {object_name!r}: "
            "result archives hold results, not the model's data"
        )
    value = getter(name, index)
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, int | float | str | bool) or value is None:
        return value
    return str(value)


@dataclass(frozen=True)
class LinkedValues:
    """One ``LinkedStatistics.Query(primary, linked)`` answer."""

    value_at_max: float
    time_of_max: float
    linked_value_at_max: float
    value_at_min: float
    time_of_min: float
    linked_value_at_min: float
    mean: float = float("nan")
    """Mean of the primary variable over the period."""
    std: float = float("nan")
    """Population standard deviation of the primary variable."""
    tz: float = float("nan")
    """Mean up-crossing period (s) of the primary variable."""
    tc: float = float("nan")
    """Mean crest period (s) of the primary variable."""

    def as_list(self) -> list[float]:
        """The ten values, in table column order."""
        return [
            self.value_at_max,
            self.time_of_max,
            self.linked_value_at_max,
            self.value_at_min,
            self.time_of_min,
            self.linked_value_at_min,
            self.mean,
            self.std,
            self.tz,
            self.tc,
        ]


def linked_statistics(
    model: Any,
    object_name: str,
    primary: str,
    linked: list[str],
    period: PeriodSpec | None,
    object_extra: ObjectExtraSpec | None,
) -> dict[str, LinkedValues]:
    """``obj.LinkedStatistics([primary, *linked], ...)`` queried once per linked variable.

    Each answer also carries the primary variable's ``Mean``, ``StdDev``, ``Tz``
    and ``Tc`` from ``TimeSeriesStatistics(primary)`` of the same object.
    """
    obj = find_object(model, object_name)
    names = [primary, *[v for v in linked if v != primary]]
    stats = obj.LinkedStatistics(
        names, period_arg(period, model), object_extra_arg(object_extra, obj)
    )
    series = stats.TimeSeriesStatistics(primary)
    moments = (
        float(series.Mean),
        float(series.StdDev),
        float(series.Tz),
        float(series.Tc),
    )
    out: dict[str, LinkedValues] = {}
    for variable in linked:
        answer = stats.Query(primary, variable)
        out[variable] = LinkedValues(
            float(answer.ValueAtMax),
            float(answer.TimeOfMax),
            float(answer.LinkedValueAtMax),
            float(answer.ValueAtMin),
            float(answer.TimeOfMin),
            float(answer.LinkedValueAtMin),
            *moments,
        )
    return out
