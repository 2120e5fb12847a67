"""Built-in plugin: summary tables (section ``summary``).

Each group of columns gives one table ``summary_<group>`` with one row per input
file (input order; failed files included with empty values and their status) and
one column per configured value: a statistic of a time history, a statistic of a
range-graph curve along the line, a static result, or an input-data item.

A column that cannot be read for a file (a missing object or variable ...) is
empty for that file, its error is listed in ``summary_errors`` and the file is
``partial`` (unless the column is ``optional``); the rest of the row and every other
file are unaffected. Across-file statistics of each numeric column are in
``summary_<group>_statistics``. When a column has an ``allowable``, every value
beyond it is also a row of ``summary_alerts`` (file, group, label, value, limit,
allowable, utilisation). The shared rules (labels, failed files, load cases,
units, allowables) are in :mod:`ofxpost._builtin.support.feature`; the tables are
folded in :mod:`ofxpost._builtin.support.summaryfold`.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, field_validator, model_validator

from ofxpost._builtin.support import feature, fileinfo, reading
from ofxpost._builtin.support.extremes import (
    EXTREME_STATISTICS,
    INTERVAL_STATISTICS,
    LIKELIHOOD_STATISTICS,
    ExtremeModel,
    ExtremeModelName,
    Tail,
)
from ofxpost._builtin.support.feature import Allowable, Extraction, FeatureItem
from ofxpost._builtin.support.pandas import pd
from ofxpost._builtin.support.selectors import (
    ArclengthRangeSpec,
    Frozen,
    ObjectExtraSpec,
    PeriodSpec,
)
from ofxpost._builtin.support.stats import (
    ARC_STATISTICS,
    TIME_STATISTICS,
    Statistic,
    evaluate,
)
from ofxpost._builtin.support.summaryfold import (
    ALERT_COLUMNS,
    ERROR_COLUMNS,
    SECTION,
    SummaryFold,
    breaches,
    group_tables,
    utilisation,
)
from ofxpost._core.markers import hookimpl
from ofxpost._core.partial import Partial
from ofxpost._core.records import FileRecord

if TYPE_CHECKING:
    from ofxpost._config.model import Config
    from ofxpost._config.plan import Plan

__all__ = [  # the controller side lives in support.summaryfold; named here too
    "ALERT_COLUMNS",
    "ERROR_COLUMNS",
    "SECTION",
    "SummaryColumn",
    "SummaryFold",
    "SummaryGroup",
    "SummarySection",
    "breaches",
    "group_tables",
    "utilisation",
]


Command = Literal["time_history", "range_graph", "static_result", "data"]
AcrossStatistic = Literal["min", "max", "mean", "std"]
ACROSS_DEFAULT: tuple[AcrossStatistic, ...] = ("min", "max", "mean", "std")


class SummaryAllowable(Allowable):
    """An allowable of a summary column, optionally with its ``unit``.

    With ``unit`` (``kN``, ``MPa``, ``te`` ...) the limits are converted (pint) to
    the unit the files state for the column before they are compared; a column
    whose unit is unknown, or of another dimension, is refused (the table is not
    written and the error names the group, column and units). Without ``unit``
    the limits are in the column's own unit, as written in the table.
    """

    unit: str | None = None

    def in_unit(self, column_unit: str | None, where: str) -> Allowable:
        """These limits in ``column_unit`` (a plain :class:`Allowable`).

        :raises UnitConversionError: naming ``where`` and the units.
        """
        if not self.unit:
            return Allowable(max=self.max, min=self.min)
        from ofxpost._core.units import conversion_factor
        from ofxpost.errors import UnitConversionError

        if not column_unit:
            raise UnitConversionError(
                f"{where}: the allowable is in {self.unit!r} but the files state no unit "
                "for this column, so it cannot be compared"
            )
        factor = conversion_factor(self.unit, column_unit, where)
        return Allowable(
            max=None if self.max is None else self.max * factor,
            min=None if self.min is None else self.min * factor,
        )


class SummaryColumn(FeatureItem):
    """One value per file."""

    command: Command
    """``time_history``, ``range_graph``, ``static_result`` or ``data``."""
    object: str
    """The object's name in the model (e.g. ``Riser``)."""
    variable: str
    """The result variable (e.g. ``Effective tension``) or, for ``data``, the data name."""
    statistic: Statistic | None = None
    """Required for ``time_history`` and ``range_graph`` (see the statistics table)."""
    curve: reading.Curve | None = None
    """``range_graph`` only: the curve the statistic reduces along the line
    (default: ``min`` for ``min``/``arc_length_of_min``, ``mean`` for ``mean``,
    otherwise ``max``)."""
    period: PeriodSpec | None = None
    """Default ``whole_simulation``; not for ``static_result``/``data``."""
    object_extra: ObjectExtraSpec | None = None
    """Where on the object (line point, position ...); not for ``data``."""
    arclength_range: ArclengthRangeSpec | None = None
    """``range_graph`` only: part of the line (default: all of it)."""
    index: int | None = None
    """``data`` only: the index of an indexed data item (default -1: a scalar item)."""
    transform: reading.Transform | None = None
    """``sqrt`` or ``abs``, applied to the samples before the statistic."""
    allowable: SummaryAllowable | None = None
    """``{max: v}`` and/or ``{min: v}`` (and ``unit``): adds the column ``<label> exceeds``."""
    unit: str | None = None
    """The unit of the column in the table (``kN``, ``N``, ``MPa`` ...): each file's
    value is converted from the unit that file states (default: the first file's)."""
    storm_duration: float | None = Field(default=None, gt=0)
    """Storm-extreme statistics only (``mpm``, ``return_level*``): the storm duration
    in hours (default 3)."""
    extreme_model: ExtremeModelName | None = None
    """Storm-extreme statistics only: ``rayleigh`` (default), ``weibull`` or ``gpd``."""
    threshold: float | None = None
    """``weibull``/``gpd`` only (required there): the peaks-over-threshold threshold,
    in the variable's units."""
    decluster_period: float | None = Field(default=None, ge=0)
    """``weibull``/``gpd`` only: the shortest gap between clusters of exceedances, in
    seconds (default 0: every excursion beyond the threshold is one cluster)."""
    confidence_level: float | None = Field(default=None, gt=0, lt=100)
    """``return_level_lower``/``return_level_upper`` only: percent (default 95)."""
    tail: Tail | None = None
    """Storm-extreme statistics only: ``upper`` (maxima, default) or ``lower`` (minima)."""

    @model_validator(mode="after")
    def _fits_command(self) -> SummaryColumn:
        allowed: dict[str, set[str]] = {
            "time_history": {"statistic", "period", "object_extra", "transform"},
            "range_graph": {
                "statistic",
                "curve",
                "period",
                "object_extra",
                "arclength_range",
                "transform",
            },
            "static_result": {"object_extra", "transform"},
            "data": {"index"},
        }
        optional = {
            "statistic",
            "curve",
            "period",
            "object_extra",
            "arclength_range",
            "index",
            "transform",
        }
        for key in sorted(optional - allowed[self.command]):
            if getattr(self, key) is not None:
                raise ValueError(f"{key!r} is not used by command {self.command!r}")
        if self.command in ("time_history", "range_graph") and self.statistic is None:
            raise ValueError(f"command {self.command!r} needs a 'statistic'")
        if self.unit is not None:
            from ofxpost._core.units import parse_unit

            parse_unit(self.unit, "unit")
            if self.command == "data":
                raise ValueError("'unit' is not used by command 'data' (it states no unit)")
        self._check_extreme_keys()
        if self.command == "time_history" and self.statistic in ARC_STATISTICS:
            raise ValueError(f"statistic {self.statistic!r} applies to range graphs only")
        if self.command == "range_graph" and self.statistic in TIME_STATISTICS:
            raise ValueError(
                f"statistic {self.statistic!r} applies to time histories only "
                "(use arc_length_of_max/arc_length_of_min)"
            )
        return self

    def _check_extreme_keys(self) -> None:
        """The storm-extreme keys fit the statistic and the model (config errors)."""
        keys = ("storm_duration", "extreme_model", "threshold", "decluster_period")
        for key in (*keys, "confidence_level", "tail"):
            if getattr(self, key) is not None and self.statistic not in EXTREME_STATISTICS:
                raise ValueError(
                    f"{key!r} is used only by the storm-extreme statistics "
                    f"({', '.join(EXTREME_STATISTICS)}), not {self.statistic!r}"
                )
        model = self.extreme_model or "rayleigh"
        if model == "rayleigh":
            if self.statistic in LIKELIHOOD_STATISTICS:
                raise ValueError(
                    f"statistic {self.statistic!r} needs 'extreme_model: weibull' or 'gpd' "
                    "(a peaks-over-threshold fit) and a 'threshold'"
                )
            for key in ("threshold", "decluster_period"):
                if getattr(self, key) is not None:
                    raise ValueError(
                        f"{key!r} is used only by extreme_model 'weibull' or 'gpd', not 'rayleigh'"
                    )
        elif self.threshold is None:
            raise ValueError(
                f"extreme_model {model!r} needs a 'threshold' (in the variable's units)"
            )
        elif not math.isfinite(self.threshold):
            raise ValueError(f"'threshold' must be a finite number, not {self.threshold}")
        if self.confidence_level is not None and self.statistic not in INTERVAL_STATISTICS:
            raise ValueError(
                "'confidence_level' is used only by 'return_level_lower' and "
                f"'return_level_upper', not {self.statistic!r}"
            )

    @property
    def extremes(self) -> ExtremeModel | None:
        """The storm-extreme model of an ``mpm``/``return_level*`` column (else ``None``)."""
        if self.statistic not in EXTREME_STATISTICS:
            return None
        return ExtremeModel(
            model=self.extreme_model or "rayleigh",
            threshold=self.threshold,
            decluster_period=self.decluster_period,
            confidence_level=95.0 if self.confidence_level is None else self.confidence_level,
            tail=self.tail or "upper",
        )

    @property
    def chosen_curve(self) -> str:
        """The range-graph curve the statistic is taken of."""
        if self.curve is not None:
            return self.curve
        if self.statistic in ("min", "arc_length_of_min"):
            return "min"
        if self.statistic == "mean":
            return "mean"
        return "max"

    def derived_label(self) -> str:
        """``Riser end_a Effective tension max`` ... from what the column reads."""
        parts = [self.object]
        if self.object_extra is not None:
            parts.append(self.object_extra.describe())
        if self.arclength_range is not None:
            parts.append(self.arclength_range.describe())
        parts.append(self.variable)
        if self.command == "range_graph" and self.curve is not None:
            parts.append(f"{self.curve} curve")
        if self.statistic is not None:
            parts.append(self.statistic)
        if self.extreme_model not in (None, "rayleigh"):
            parts.append(f"{self.extreme_model} u={self.threshold:g}")
            if self.decluster_period:
                parts.append(f"decluster {self.decluster_period:g} s")
        if self.tail == "lower":
            parts.append("lower")
        if self.confidence_level is not None:
            parts.append(f"{self.confidence_level:g}%")
        if self.storm_duration is not None:
            parts.append(f"{self.storm_duration:g} h")
        if self.command == "static_result":
            parts.append("static")
        if self.command == "data" and self.index not in (None, -1):
            parts.append(f"[{self.index}]")
        if self.period is not None and self.period.kind != "whole_simulation":
            parts.append(self.period.describe())
        return " ".join(parts)


class SummaryGroup(Frozen):
    """A group of columns: one table."""

    name: str
    """The group's name: the table is ``summary_<name>`` (letters, digits, ``_.-``)."""
    columns: list[SummaryColumn] = Field(min_length=1)
    """The values of each row."""

    @field_validator("name")
    @classmethod
    def _safe(cls, value: str) -> str:
        feature.check_group_name(value)
        if value.lower() in ("errors", "alerts") or value.lower().endswith("_statistics"):
            raise ValueError(
                "'errors', 'alerts' and names ending in '_statistics' name other tables"
            )
        return value

    @model_validator(mode="after")
    def _unique_labels(self) -> SummaryGroup:
        labels = [c.name for c in self.columns]
        exceeds = [feature.exceeds_label(c.name) for c in self.columns if c.allowable]
        feature.check_unique([*labels, *exceeds], "columns", reserved=self.lead_names())
        return self

    @staticmethod
    def lead_names() -> tuple[str, ...]:
        """Columns every summary table starts with (labels may not take them)."""
        return ("file", "stem", "status", *fileinfo.FACT_COLUMNS)


class SummarySection(Frozen):
    """The ``summary`` section."""

    groups: list[SummaryGroup] = Field(default_factory=list)
    """One table per group."""
    statistics: list[AcrossStatistic] = Field(default_factory=lambda: list(ACROSS_DEFAULT))
    """Across-file statistics rows of ``summary_<group>_statistics`` (``[]``: no table)."""

    @model_validator(mode="after")
    def _unique_groups(self) -> SummarySection:
        feature.check_unique([g.name for g in self.groups], "groups", verb="named")
        return self


@hookimpl
def ofxpost_add_config_sections() -> dict[str, Any]:
    """Declare the ``summary`` section."""
    return {SECTION: SummarySection}


# --------------------------------------------------------------------------- worker


def column_value(model: Any, column: SummaryColumn) -> Any:
    """Read one summary value from ``model``."""
    if column.command == "data":
        index = -1 if column.index is None else column.index
        return reading.input_data(model, column.object, column.variable, index)
    if column.command == "static_result":
        value = reading.static_result(model, column.object, column.variable, column.object_extra)
        return float(reading.apply_transform(value, column.transform))
    statistic = column.statistic or "max"
    if column.command == "time_history":
        values = reading.time_history(
            model, column.object, column.variable, column.period, column.object_extra
        )
        values = reading.apply_transform(values, column.transform)
        times = reading.sample_times(model, column.period) if statistic in TIME_STATISTICS else None
        return evaluate(values, statistic, times, column.storm_duration, column.extremes)
    graph = reading.range_graph(
        model,
        column.object,
        column.variable,
        column.period,
        column.object_extra,
        column.arclength_range,
    )
    curve = reading.apply_transform(graph.curve(column.chosen_curve), column.transform)
    return evaluate(curve, statistic, graph.x)


def column_units(extraction: Extraction, column: SummaryColumn) -> str | None:
    """Units of a column's values, when the model states its variable's units."""
    if column.command == "data":
        return None
    units = extraction.units(column.object, column.variable)
    return feature.statistic_units(units, column.statistic, column.transform)


def extract_group(extraction: Extraction, group: SummaryGroup) -> dict[str, list[Any]]:
    """Every value of ``group`` for one file, an error (or ``None``) and units per column."""
    values: list[Any] = []
    errors: list[str | None] = []
    units: list[str | None] = []
    for column in group.columns:
        item = f"{SECTION} group {group.name!r} column {column.name!r}"
        value, error = extraction.read(
            item, column.optional, functools.partial(column_value, extraction.model, column)
        )
        values.append(float("nan") if error is not None else value)
        errors.append(error)
        units.append(column_units(extraction, column))
    return {"values": values, "errors": errors, "units": units}


@hookimpl
def ofxpost_extract(model: Any, config: Config) -> Mapping[str, Any] | Partial | None:
    """Compute every summary group's values for one file (result ``summary``).

    A column that fails (and is not ``optional``) makes the file ``partial``.
    """
    section: SummarySection = config.section(SECTION)
    if not section.groups:
        return None
    extraction = Extraction(SECTION, model)
    return extraction.result({g.name: extract_group(extraction, g) for g in section.groups})


@hookimpl(specname="ofxpost_start_fold")
def start_fold(config: Config, plan: Plan) -> SummaryFold | None:
    """The fold of :func:`ofxpost_aggregate` (``None`` when no group is configured)."""
    section: SummarySection = config.section(SECTION)
    return SummaryFold(section, config) if section.groups else None


@hookimpl
def ofxpost_aggregate(
    records: Sequence[FileRecord], config: Config
) -> Mapping[str, pd.DataFrame] | None:
    """Build the summary tables (nothing when no group is configured)."""
    section: SummarySection = config.section(SECTION)
    if not section.groups:
        return None
    return group_tables(records, section, config)
