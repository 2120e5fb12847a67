"""The layout of a digitalmodel ``opp`` config, as pydantic models.

Every block forbids keys it does not declare, so a typo is an error naming its key
path with the nearest known key (through :mod:`ofxpost._config.messages`, as for the
native config). Keys with no meaning in ofxpost are declared ``Any``: accepted, and
listed in the ``ignored opp keys`` notice by the translation. Values are read into
their native form by the types of :mod:`ofxpost._builtin.opp.values`.

Columns are checked in two steps, because opp's master settings give defaults per
column: the settings blocks (:class:`SummarySettings` ...) are checked as written,
their master's columns by key only (:class:`SummaryColumnKeys` ...), and each column
after the master merge (:class:`SummaryColumn` ...), under the key path of the
settings column it becomes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, StrictBool, field_validator, model_validator

from ofxpost._builtin.opp.values import (
    ADD_TO_SUMMARY,
    UNSUPPORTED_COLUMN_KEYS,
    AllowableValue,
    ArcLengthValue,
    CommandValue,
    CountValue,
    CurvesValue,
    EmptyIsNone,
    ExtensionsValue,
    GivenValue,
    HistogramValue,
    ObjectExtraValue,
    PathsValue,
    PeriodValue,
    PositionValue,
    RadialPosValue,
    RequiredValue,
    StatisticValue,
    SupportIndexValue,
    SwitchValue,
    TextsValue,
    ThetaValue,
)


class OppModel(BaseModel):
    """A block of the opp layout: unknown keys are errors; values are never changed."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# ------------------------------------------------------------------------ columns


class Column(OppModel):
    """A column of ``linked_statistics_settings`` / ``time_series_settings`` groups."""

    ObjectName: RequiredValue
    Variable: RequiredValue
    SimulationPeriod: PeriodValue = None
    Label: Any = None
    ObjectType: Any = None  # ignored: OrcaFlex knows each object's type
    Command: CommandValue = None
    objectExtra: ObjectExtraValue = None
    ArcLength: ArcLengthValue = None
    Position: PositionValue = None
    RadialPos: RadialPosValue = None
    Theta: ThetaValue = None
    transform: Any = None
    SupportIndex: SupportIndexValue = None
    Location: Any = None

    @field_validator(*UNSUPPORTED_COLUMN_KEYS)
    @classmethod
    def _unsupported(cls, value: Any, info: Any) -> Any:
        raise ValueError(UNSUPPORTED_COLUMN_KEYS[info.field_name])


class SummaryColumn(Column):
    """A column of a ``summary_settings`` group."""

    Statistic_Type: StatisticValue = None


def keys_only(model: type[OppModel]) -> type[OppModel]:
    """A model accepting exactly ``model``'s keys, with any value (a master column)."""
    annotations = dict.fromkeys(model.model_fields, Any)
    namespace: dict[str, Any] = {"__annotations__": annotations, **dict.fromkeys(annotations)}
    namespace["__doc__"] = f"The keys of {model.__name__}, any value."
    return type(f"{model.__name__}Keys", (OppModel,), namespace)


if TYPE_CHECKING:  # to a type checker, any model
    ColumnKeys = OppModel
    SummaryColumnKeys = OppModel
else:
    ColumnKeys = keys_only(Column)
    SummaryColumnKeys = keys_only(SummaryColumn)


# ------------------------------------------------------------------ settings blocks


class AddToSummary(OppModel):
    """opp's switches for the across-file rows (``min`` / ``max`` / ``mean``)."""

    AddMinimumToSummary: StrictBool | None = None
    AddMaximumToSummary: StrictBool | None = None
    AddMeanToSummary: StrictBool | None = None

    @field_validator(*ADD_TO_SUMMARY, mode="before")
    @classmethod
    def _written_null(cls, value: Any) -> Any:
        if value is None:  # written as null: not the same as not written
            raise ValueError("expected true or false")
        return value


class Group(OppModel):
    """A group of ``linked_statistics_settings`` / ``time_series_settings``; its
    columns are checked after the master merge."""

    Label: Any = None
    Columns: Any = None


class MasterGroup(Group):
    Columns: Annotated[list[ColumnKeys] | None, EmptyIsNone] = None


class SummaryGroup(Group):
    SummaryFileName: Any = None
    inject_into: Any = None  # becomes the native inject_into section
    directory: Any = None
    filename_pattern: Any = None


class SummaryMasterGroup(SummaryGroup):
    Columns: Annotated[list[SummaryColumnKeys] | None, EmptyIsNone] = None


class SummarySettings(AddToSummary):
    groups: Annotated[list[SummaryGroup] | None, EmptyIsNone] = None
    inject_into: Any = None  # becomes the native inject_into section


class SummaryMaster(SummarySettings):
    groups: Annotated[list[SummaryMasterGroup] | None, EmptyIsNone] = None  # type: ignore[assignment]


class LinkedSettings(AddToSummary):
    groups: Annotated[list[Group] | None, EmptyIsNone] = None


class LinkedMaster(LinkedSettings):
    groups: Annotated[list[MasterGroup] | None, EmptyIsNone] = None  # type: ignore[assignment]


class SeriesSettings(OppModel):
    IGNORED: ClassVar[tuple[str, ...]] = (
        "AddMinimumToSummary",
        "AddMaximumToSummary",
        "AddMeanToSummary",
    )

    groups: Annotated[list[Group] | None, EmptyIsNone] = None
    data: Any = True
    histogram: HistogramValue = None  # opp never computed it; ofxpost does
    summation: SwitchValue = False
    AddMinimumToSummary: Any = None  # ignored
    AddMaximumToSummary: Any = None  # ignored
    AddMeanToSummary: Any = None  # ignored


class SeriesMaster(SeriesSettings):
    groups: Annotated[list[MasterGroup] | None, EmptyIsNone] = None  # type: ignore[assignment]


# -------------------------------------------------------------------- range graphs


class RangeGraphEntry(OppModel):
    """An entry of the top-level ``RangeGraph`` list."""

    ObjectName: GivenValue
    Variable: GivenValue
    SimulationPeriod: PeriodValue = None
    ArcLength: ArcLengthValue = None
    AdditionalData: CurvesValue = None
    Label: Any = None
    Command: CommandValue = None
    objectExtra: ObjectExtraValue = None
    RadialPos: RadialPosValue = None
    Theta: ThetaValue = None
    ObjectType: Any = None
    xlabel: Any = None
    ylabel: Any = None
    Title: Any = None
    Subtitle: Any = None
    FileName: Any = None
    axhline: AllowableValue = None
    units: Any = None

    @field_validator("Command")
    @classmethod
    def _range_graph_only(cls, value: str | None) -> str | None:
        if value not in (None, "range_graph"):
            raise ValueError("a RangeGraph entry is 'Range Graph'")
        return value


class RangeGraphs(OppModel):
    """``RangeGraph``: a list of entries (one entry may be written without the list)."""

    RangeGraph: list[RangeGraphEntry]

    @field_validator("RangeGraph", mode="before")
    @classmethod
    def _one_is_a_list(cls, value: Any) -> Any:
        if value is None:
            return []
        return [value] if isinstance(value, dict) else value


class RangeGraphSettings(OppModel):
    add_effective_tension_to_cfg: Any = None  # ignored


# ----------------------------------------------------------------- feature switches


class Feature(OppModel):
    flag: StrictBool = False


class SummaryStatistics(OppModel):
    Minimum: Any = None
    Maximum: Any = None
    Mean: Any = None
    StdDev: Any = None


class SummaryFeature(Feature, AddToSummary):
    csv_decimal: CountValue = None
    statistics: Annotated[SummaryStatistics | None, EmptyIsNone] = None


class LinkedFeature(Feature, AddToSummary):
    csv_decimal: CountValue = None


class RangeGraphFeature(Feature):
    add_effective_tension_to_cfg: Any = None  # ignored


class SeriesFeature(Feature):
    csv_decimal: CountValue = None
    histogram: HistogramValue = None
    summation: SwitchValue = False


IGNORED_FEATURES: tuple[str, ...] = (
    "visualization",
    "RAOs",
    "cummulative_histograms",
    "cumulative_histograms",
    "rain_flow",
)
"""Dead or unrelated opp features: accepted, listed as ignored."""

IGNORED_FEATURE_KEYS: tuple[str, ...] = ("add_effective_tension_to_cfg",)
"""Keys of the translated features that have no meaning here."""


class Postprocess(OppModel):
    """``orcaflex.postprocess``: which features run."""

    summary: Annotated[SummaryFeature | None, EmptyIsNone] = None
    linked_statistics: Annotated[LinkedFeature | None, EmptyIsNone] = None
    RangeGraph: Annotated[RangeGraphFeature | None, EmptyIsNone] = None
    time_series: Annotated[SeriesFeature | None, EmptyIsNone] = None
    visualization: Any = None
    RAOs: Any = None
    cummulative_histograms: Any = None
    cumulative_histograms: Any = None
    rain_flow: Any = None

    Summary: Annotated[SummaryFeature | None, EmptyIsNone] = None
    """A spelling of ``summary`` found in real configs."""

    @model_validator(mode="after")
    def _summary_once(self) -> Postprocess:
        if {"summary", "Summary"} <= self.model_fields_set:
            raise ValueError("the 'summary' feature is given twice (summary, Summary)")
        return self

    @property
    def summary_feature(self) -> SummaryFeature | None:
        """``summary``, however it is spelt."""
        return self.summary if "summary" in self.model_fields_set else self.Summary


class Orcaflex(OppModel):
    postprocess: Annotated[Postprocess | None, EmptyIsNone] = None
    analysis: Any = None  # ignored: ofxpost runs no analysis


# ---------------------------------------------------------------------------- files


class Filters(OppModel):
    contains: TextsValue = []
    filename_contains: TextsValue = []
    not_contains: TextsValue = []
    filename_not_contains: TextsValue = []


class FileName(OppModel):
    extension: ExtensionsValue = []
    pattern: Any = None
    filters: Filters | None = None


class CurrentDirectory(OppModel):
    flag: Any = True
    directory: Any = None
    auto_read: StrictBool = True
    filename_pattern: Any = None


class Files(OppModel):
    files_in_current_directory: Annotated[CurrentDirectory | None, EmptyIsNone] = None
    extension: ExtensionsValue = []
    filters: Filters | None = None
    data_source: Any = None  # ignored
    csv_filename: Any = None  # ignored


class FileManagement(OppModel):
    flag: Any = None  # ignored
    input_directory: Any = None
    output_directory: Any = None
    filename: Annotated[FileName | None, EmptyIsNone] = None
    files: Annotated[Files | None, EmptyIsNone] = None
    input_files: dict[str, PathsValue] | None = None
    update_unfinished: Any = None  # ignored


# ------------------------------------------------------------------------ top level

IGNORED_TOP_LEVEL: tuple[str, ...] = (
    "meta",
    "Analysis",
    "basename",
    "default",
    "library",
    "visualization",
    "visualization_settings",
    "RAOs",
    "RAO_settings",
    "parameters",
    "cummulative_histograms",
    "cumulative_histograms",
    "rain_flow",
    "Files",
)
"""Top-level opp keys with no meaning here: accepted and listed in the notice."""

NATIVE_KEYS: tuple[str, ...] = (
    "excel",
    "input_filters",
    "inputs",
    "load_matrix",
    "output_dir",
    "outputs",
    "plugins",
)
"""Native keys an opp config may also carry; they are kept (and win)."""


class OppConfig(OppModel):
    """A whole opp config. ``RangeGraph`` is read only when its feature is on."""

    orcaflex: Annotated[Orcaflex | None, EmptyIsNone] = None
    summary_settings: SummarySettings | None = None
    summary_settings_master: SummaryMaster | None = None
    linked_statistics_settings: LinkedSettings | None = None
    linked_statistics_settings_master: LinkedMaster | None = None
    time_series_settings: SeriesSettings | None = None
    time_series_settings_master: SeriesMaster | None = None
    RangeGraph: Any = None
    RangeGraph_settings: RangeGraphSettings | None = None
    file_management: FileManagement | None = None
    parallel_processing: dict[str, Any] | None = None
    # ignored
    meta: Any = None
    Analysis: Any = None
    basename: Any = None
    default: Any = None
    library: Any = None
    visualization: Any = None
    visualization_settings: Any = None
    RAOs: Any = None
    RAO_settings: Any = None
    parameters: Any = None
    cummulative_histograms: Any = None
    cumulative_histograms: Any = None
    rain_flow: Any = None
    Files: Any = None
    # native keys, kept as written
    inputs: Any = None
    output_dir: Any = None
    plugins: Any = None
    outputs: Any = None
    load_matrix: Any = None
    excel: Any = None
    input_filters: Any = None
