"""Pure-Python stand-ins for the OrcFxAPI 11.6.3 objects that post-processing uses.

:mod:`ofxpost.ofx` uses these when ``import OrcFxAPI`` fails (always on Linux,
where the module needs ``winreg``). Names, constructor signatures, parameter
order, defaults and numeric values follow OrcFxAPI 11.6.3 (the contract test
``tests/test_contract_orcfxapi.py`` checks them against the installed wheel).
Differences, on purpose:

* The structures (:class:`Period`, :class:`ObjectExtra`, :class:`ArclengthRange`,
  :class:`SimulationTimeStatus`) are plain classes, not ``ctypes`` structures, so
  they all pickle; they compare equal field by field as the originals do.
* :class:`DLLError` never calls a DLL: a missing ``errorString`` becomes ``""``.
  It pickles with its message (the original re-runs its constructor and asks the
  DLL for the message again).
* :func:`TimeSeriesStatistics` and :func:`AnalyseExtrema` are computed with numpy
  (formulas in ``docs/archive-format.md``), imported only when called.

Importing this module imports nothing outside the standard library.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar

__all__ = [
    "AnalyseExtrema",
    "ArclengthRange",
    "ArclengthRangeMode",
    "DLLError",
    "DefaultAutoSaveIntervalMinutes",
    "DistributionTail",
    "ExtremeValueDistribution",
    "FileType",
    "IntEnumAllowsUndefined",
    "LinePoint",
    "LineResultPoints",
    "MissingRequirementError",
    "ModelState",
    "ModelType",
    "ObjectExtra",
    "ObjectType",
    "Period",
    "PeriodNum",
    "RadialPos",
    "ResultType",
    "SimulationTimeStatus",
    "SpecifiedPeriod",
    "StatusCode",
    "TimeSeriesStatistics",
    "_DictLookup",
    "arEntireLine",
    "arEntireRange",
    "arSpecifiedArclengths",
    "arSpecifiedSections",
    "objectFromDict",
    "oeArcLength",
    "oeBuoy",
    "oeConstraint",
    "oeEndA",
    "oeEndB",
    "oeEnvironment",
    "oeLine",
    "oeNodeNum",
    "oeRigidBody",
    "oeSupport",
    "oeTouchdown",
    "oeVessel",
    "otEnvironment",
    "otGeneral",
    "otLine",
    "otVessel",
    "pnBuildUp",
    "pnInstantaneousValue",
    "pnLatestWave",
    "pnSpecifiedPeriod",
    "pnStaticState",
    "pnWholeSimulation",
    "rtFrequencyDomain",
    "rtLinkedStatistics",
    "rtRangeGraph",
    "rtTimeHistory",
]


# --------------------------------------------------------------------------- enums


class IntEnumAllowsUndefined(enum.IntEnum):
    """An ``IntEnum`` whose unknown values become pseudo-members ``UNDEFINED_<n>``."""

    @classmethod
    def _missing_(cls, value: object) -> Any:
        if not isinstance(value, int):
            return None
        member = int.__new__(cls, value)
        member._name_ = f"UNDEFINED_{value}"
        member._value_ = value
        return member


@enum.unique
class StatusCode(IntEnumAllowsUndefined):
    """Status codes of OrcFxAPI calls (``DLLError.status``)."""

    OK = 0
    DLLsVersionError = 1
    CreateModelError = 2
    ModelHandleError = 3
    ObjectHandleError = 4
    InvalidObjectType = 5
    FileNotFound = 6
    FileReadError = 7
    TimeHistoryError = 8
    NoSuchNodeNum = 9
    InvalidPropertyNum = 10
    InvalidPeriod = 12
    InvalidVarNum = 13
    RangeGraphError = 14
    InvalidObjectExtra = 15
    NotEnoughVars = 16
    InvalidVars = 17
    UnrecognisedVarNum = 18
    InvalidHandle = 19
    UnexpectedError = 20
    InvalidIndex = 21
    NoSuchObject = 23
    NotAVariantArray = 24
    LicensingError = 25
    UnrecognisedVarName = 26
    StaticsFailed = 27
    FileWriteError = 28
    OperationCancelled = 29
    SolveEquationFailed = 30
    InvalidDataName = 31
    InvalidDataType = 32
    InvalidDataAccess = 33
    InvalidVersion = 34
    InvalidStructureSize = 35
    RequiredModulesNotEnabled = 36
    PeriodNotYetStarted = 37
    CouldNotDestroyObject = 38
    InvalidModelState = 39
    SimulationError = 40
    InvalidModule = 41
    InvalidResultType = 42
    InvalidViewParameters = 43
    CannotExtendSimulation = 44
    UnrecognisedObjectTypeName = 45
    UnknownModelState = 46
    FunctionNotAvailable = 47
    StructureSizeTooSmall = 48
    InvalidParameter = 49
    ResponseGraphError = 50
    ResultsNotAvailableWhenNotIncludedInStatics = 51
    InvalidFileType = 52
    BatchScriptFailed = 53
    InvalidTimeHistoryValues = 54
    ResultsNotLogged = 55
    WizardFailed = 56
    DLLInitFailed = 57
    InvalidArclengthRange = 58
    ValueNotAvailable = 59
    InvalidValue = 60
    ModalAnalysisFailed = 61
    VesselTypeDataImportFailed = 62
    OperationNotAvailable = 63
    FatigueAnalysisFailed = 64
    ExtremeStatisticsFailed = 65
    TagNotFound = 66
    InvalidFileFormat = 67
    ThreadAffinityError = 68
    FileReadParentError = 69


@enum.unique
class ObjectType(IntEnumAllowsUndefined):
    """Types of OrcaFlex model objects (the common ones; others are ``UNDEFINED_<n>``)."""

    General = 1
    Environment = 3
    Vessel = 5
    Line = 6
    Buoy6D = 7
    Buoy3D = 8
    Winch = 9
    Link = 10
    Shape = 11
    Constraint = 12
    Turbine = 13
    DragChain = 14
    LineType = 15
    ClumpType = 16
    WingType = 17
    VesselType = 18
    DragChainType = 19
    FlexJointType = 20
    StiffenerType = 21
    FlexJoint = 41
    AttachedBuoy = 43
    FrictionCoefficients = 47
    RayleighDampingCoefficients = 48
    WakeModel = 49
    PyModel = 50
    LineContact = 51
    CodeChecks = 52
    Shear7Data = 53
    VIVAData = 54
    SupportType = 55
    MorisonElementType = 57
    ExpansionTable = 58
    CoverType = 59
    BrowserGroup = 61
    MultibodyGroup = 62


@enum.unique
class PeriodNum(IntEnumAllowsUndefined):
    """Period numbers; stage ``n`` has period number ``n`` (0 is the build-up)."""

    BuildUp = 0
    SpecifiedPeriod = 32001
    LatestWave = 32002
    WholeSimulation = 32003
    StaticState = 32004
    InstantaneousValue = 32005


@enum.unique
class LinePoint(IntEnumAllowsUndefined):
    """``ObjectExtra.LinePoint``: where on a line a result is reported."""

    EndA = 0
    EndB = 1
    Touchdown = 2
    NodeNum = 3
    ArcLength = 4


@enum.unique
class RadialPos(IntEnumAllowsUndefined):
    """``ObjectExtra.RadialPos``: where in the cross-section a stress is reported."""

    Inner = 0
    Outer = 1
    Mid = 2
    Specified = 3


@enum.unique
class ResultType(IntEnumAllowsUndefined):
    """Kinds of result, for ``vars(resultType)``."""

    TimeHistory = 0
    RangeGraph = 1
    LinkedStatistics = 2
    FrequencyDomain = 3


@enum.unique
class ArclengthRangeMode(IntEnumAllowsUndefined):
    """``ArclengthRange.Mode``."""

    EntireRange = 0
    SpecifiedArclengths = 1
    SpecifiedSections = 2


@enum.unique
class ModelState(IntEnumAllowsUndefined):
    """Calculation state of a model."""

    Reset = 0
    CalculatingStatics = 1
    InStaticState = 2
    RunningSimulation = 3
    SimulationStopped = 4
    SimulationStoppedUnstable = 5


@enum.unique
class ModelType(IntEnumAllowsUndefined):
    """Standard, variation or restart model."""

    Standard = 0
    Variation = 1
    Restart = 2


@enum.unique
class FileType(IntEnumAllowsUndefined):
    """Kinds of OrcaFlex binary file."""

    DataFile = 0
    StaticStateSimulationFile = 1
    DynamicSimulationFile = 2


@enum.unique
class LineResultPoints(IntEnumAllowsUndefined):
    """Where a line result is defined."""

    none = 0
    WholeLine = 1
    Nodes = 2
    MidSegments = 3
    MidSegmentsAndEnds = 4
    Ends = 5


@enum.unique
class ExtremeValueDistribution(IntEnumAllowsUndefined):
    """Extreme-value distributions."""

    Rayleigh = 0
    Weibull = 1
    GPD = 2


@enum.unique
class DistributionTail(IntEnumAllowsUndefined):
    """Which tail extreme statistics analyse."""

    Upper = 0
    Lower = 1


# ----------------------------------------------------------------------- exceptions


class DLLError(Exception):
    """An OrcFxAPI error: ``status`` (a :class:`StatusCode`) and ``errorString``.

    ``str(e) == repr(e) == e.msg == "\\nError code: <status>\\n<errorString>"``.
    """

    def __init__(self, status: StatusCode | int, errorString: str | None = None) -> None:
        if errorString is None:
            errorString = ""
        self.status = StatusCode(int(status))
        self.errorString = errorString
        self.msg = f"\nError code: {self.status}\n{errorString}"

    def __str__(self) -> str:
        return self.__repr__()

    def __repr__(self) -> str:
        return self.msg

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (int(self.status), self.errorString))


class MissingRequirementError(Exception):
    """An OrcFxAPI function is missing from the DLL (never raised by ofxpost)."""


# ------------------------------------------------------------------------ result bag


class _DictLookup:
    """Attribute bag of named results; :meth:`asDict` returns them as a dict."""

    def __init__(self, value: Mapping[str, Any]) -> None:
        for key, item in value.items():
            setattr(self, key, item)

    def __repr__(self) -> str:
        inner = ", ".join(f"{name!r}: {value!r}" for name, value in vars(self).items())
        return f"<{inner}>"

    def __str__(self) -> str:
        inner = ", ".join(f"{name}: {value}" for name, value in vars(self).items())
        return f"<{inner}>"

    def __getattr__(self, name: str) -> Any:  # for mypy: results are dynamic
        raise AttributeError(name)

    def asDict(self) -> dict[str, Any]:
        """The results as a new ``dict``."""
        return dict(vars(self))


def objectFromDict(dict: Mapping[str, Any]) -> _DictLookup:
    """Wrap a mapping as a :class:`_DictLookup`."""
    return _DictLookup(dict)


# ------------------------------------------------------------------------ structures


class _Structure:
    """Base of the plain structures: equality field by field, readable repr."""

    __slots__ = ()
    _field_names: ClassVar[tuple[str, ...]] = ()

    def _values(self) -> tuple[Any, ...]:
        out: list[Any] = []
        for name in self._field_names:
            value = getattr(self, name)
            out.append(tuple(value) if isinstance(value, list) else value)
        return tuple(out)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, _Structure) or other._field_names != self._field_names:
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        inner = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._field_names)
        return f"{type(self).__name__}({inner})"

    def asObject(self) -> _DictLookup:
        """The fields (except ``Size``) as a :class:`_DictLookup`."""
        return objectFromDict(
            {name: getattr(self, name) for name in self._field_names if name != "Size"}
        )


class Period(_Structure):
    """A period of a simulation: a :class:`PeriodNum` (or stage number) and times."""

    __slots__ = ("FromTime", "PeriodNum", "ToTime", "Unused")
    _field_names = ("PeriodNum", "Unused", "FromTime", "ToTime")

    def __init__(
        self, PeriodNum: PeriodNum | int, FromTime: float = 0.0, ToTime: float = 0.0
    ) -> None:
        self.PeriodNum = int(PeriodNum)
        self.Unused = 0
        self.FromTime = float(FromTime)
        self.ToTime = float(ToTime)


def SpecifiedPeriod(FromTime: float = 0.0, ToTime: float = 0.0) -> Period:
    """The period from ``FromTime`` to ``ToTime`` (simulation time, s).

    As in OrcFxAPI, ``ToTime`` defaults to 0, and ``SpecifiedPeriod(t)`` (``t > 0``)
    is the period from ``t`` to the end of the simulation."""
    return Period(PeriodNum.SpecifiedPeriod, FromTime, ToTime)


PeriodArg = None | Period | PeriodNum | int | Iterable[float]
"""What the ``period`` argument of the result methods accepts."""


class SimulationTimeStatus(_Structure):
    """``StartTime``, ``StopTime`` and ``CurrentTime`` of a simulation."""

    __slots__ = ("CurrentTime", "StartTime", "StopTime")
    _field_names = ("StartTime", "StopTime", "CurrentTime")

    def __init__(self, StartTime: float = 0.0, StopTime: float = 0.0, CurrentTime: float = 0.0):
        self.StartTime = float(StartTime)
        self.StopTime = float(StopTime)
        self.CurrentTime = float(CurrentTime)


class ObjectExtra(_Structure):
    """Where an object's result is reported; all fields zero means line End A."""

    __slots__ = (
        "ArcLength",
        "BladeIndex",
        "ClearanceLineName",
        "DisturbanceVesselName",
        "ElementIndex",
        "EnvironmentPos",
        "ExternalResultText",
        "FrequencyDomainSolveType",
        "LinePoint",
        "NodeNum",
        "RadialPos",
        "RigidBodyPos",
        "SeaSurfaceScalingFactor",
        "Size",
        "SupportIndex",
        "SupportedLineName",
        "Theta",
        "WinchConnectionPoint",
        "WingName",
        "r",
    )
    _field_names = (
        "Size",
        "EnvironmentPos",
        "LinePoint",
        "NodeNum",
        "ArcLength",
        "RadialPos",
        "Theta",
        "WingName",
        "ClearanceLineName",
        "WinchConnectionPoint",
        "RigidBodyPos",
        "ExternalResultText",
        "DisturbanceVesselName",
        "SupportIndex",
        "SupportedLineName",
        "BladeIndex",
        "ElementIndex",
        "SeaSurfaceScalingFactor",
        "FrequencyDomainSolveType",
        "r",
    )

    def __init__(self) -> None:
        self.Size = 0
        self.EnvironmentPos: list[float] = [0.0, 0.0, 0.0]
        self.LinePoint = 0
        self.NodeNum = 0
        self.ArcLength = 0.0
        self.RadialPos = 0
        self.Theta = 0.0
        self.WingName: str | None = None
        self.ClearanceLineName: str | None = None
        self.WinchConnectionPoint = 0
        self.RigidBodyPos: list[float] = [0.0, 0.0, 0.0]
        self.ExternalResultText: str | None = None
        self.DisturbanceVesselName: str | None = None
        self.SupportIndex = 0
        self.SupportedLineName: str | None = None
        self.BladeIndex = 0
        self.ElementIndex = 0
        self.SeaSurfaceScalingFactor = 0.0
        self.FrequencyDomainSolveType = 0
        self.r = 0.0

    def setRadialPos(self, radialPos: float | int | RadialPos) -> None:
        """A ``float`` means a specified radius ``r``; an int/enum means Inner/Outer/Mid."""
        if isinstance(radialPos, float):
            self.RadialPos = int(RadialPos.Specified)
            self.r = radialPos
        else:
            self.RadialPos = int(radialPos)


def _vector(args: Sequence[Any]) -> list[float]:
    values: Sequence[Any] = args[0] if len(args) == 1 else args
    if len(values) != 3:
        raise TypeError("Vector must have length of 3")
    return [float(v) for v in values]


def oeEnvironment(*args: Any) -> ObjectExtra:
    """A point in the environment: ``oeEnvironment(x, y, z)``."""
    result = ObjectExtra()
    result.EnvironmentPos = _vector(args)
    return result


def oeRigidBody(*args: float) -> ObjectExtra:
    """A point on a vessel, buoy or constraint, in its local axes: ``(x, y, z)``."""
    result = ObjectExtra()
    result.RigidBodyPos = _vector(args)
    return result


oeVessel = oeRigidBody
oeBuoy = oeRigidBody
oeConstraint = oeRigidBody


def oeLine(
    LinePoint: LinePoint = LinePoint.ArcLength,
    NodeNum: int = 0,
    ArcLength: float = 0.0,
    RadialPos: float | int | RadialPos = RadialPos.Inner,
    Theta: float = 0.0,
    ClearanceLineName: str | None = None,
    ExternalResultText: str | None = None,
) -> ObjectExtra:
    """A point on a line (and a position in its cross-section)."""
    result = ObjectExtra()
    result.LinePoint = int(LinePoint)
    result.NodeNum = int(NodeNum)
    result.ArcLength = float(ArcLength)
    result.setRadialPos(RadialPos)
    result.Theta = float(Theta)
    result.ClearanceLineName = ClearanceLineName
    result.ExternalResultText = ExternalResultText
    return result


def oeNodeNum(NodeNum: int) -> ObjectExtra:
    """Node ``NodeNum`` of a line (1-based)."""
    return oeLine(LinePoint=LinePoint.NodeNum, NodeNum=NodeNum)


def oeArcLength(ArcLength: float) -> ObjectExtra:
    """The point at arc length ``ArcLength`` (m from End A) of a line."""
    return oeLine(LinePoint=LinePoint.ArcLength, ArcLength=ArcLength)


def oeSupport(SupportIndex: int, SupportedLineName: str | None = None) -> ObjectExtra:
    """Support ``SupportIndex`` (1-based, passed unchanged) of a vessel or 6D buoy,
    optionally the part of its results due to the line ``SupportedLineName``."""
    result = ObjectExtra()
    result.SupportIndex = int(SupportIndex)
    result.SupportedLineName = SupportedLineName
    return result


oeEndA = oeLine(LinePoint=LinePoint.EndA)
"""End A of a line (a shared instance, as in OrcFxAPI: do not modify it)."""
oeEndB = oeLine(LinePoint=LinePoint.EndB)
"""End B of a line (a shared instance)."""
oeTouchdown = oeLine(LinePoint=LinePoint.Touchdown)
"""The touchdown point of a line (a shared instance)."""


class ArclengthRange(_Structure):
    """The part of a line a range graph covers."""

    __slots__ = ("FromArclength", "FromSection", "Mode", "Size", "ToArclength", "ToSection")
    _field_names = ("Size", "Mode", "FromArclength", "ToArclength", "FromSection", "ToSection")

    def __init__(self) -> None:
        self.Size = 0
        self.Mode = 0
        self.FromArclength = 0.0
        self.ToArclength = 0.0
        self.FromSection = 0
        self.ToSection = 0


def arEntireRange() -> ArclengthRange:
    """The whole line."""
    result = ArclengthRange()
    result.Mode = int(ArclengthRangeMode.EntireRange)
    return result


arEntireLine = arEntireRange


def arSpecifiedArclengths(FromArclength: float, ToArclength: float) -> ArclengthRange:
    """Arc lengths ``FromArclength`` to ``ToArclength`` (m from End A)."""
    result = ArclengthRange()
    result.Mode = int(ArclengthRangeMode.SpecifiedArclengths)
    result.FromArclength = float(FromArclength)
    result.ToArclength = float(ToArclength)
    return result


def arSpecifiedSections(FromSection: int, ToSection: int) -> ArclengthRange:
    """Sections ``FromSection`` to ``ToSection`` (1-based, as OrcaFlex numbers them)."""
    result = ArclengthRange()
    result.Mode = int(ArclengthRangeMode.SpecifiedSections)
    result.FromSection = int(FromSection)
    result.ToSection = int(ToSection)
    return result


# ------------------------------------------------------- deprecated constants, defaults

# The deprecated module constants OrcFxAPI still defines, which older scripts use.
pnBuildUp = 0
pnSpecifiedPeriod = 32001
pnLatestWave = 32002
pnWholeSimulation = 32003
pnStaticState = 32004
pnInstantaneousValue = 32005
rtTimeHistory = 0
rtRangeGraph = 1
rtLinkedStatistics = 2
rtFrequencyDomain = 3
otGeneral = 1
otEnvironment = 3
otVessel = 5
otLine = 6

DefaultAutoSaveIntervalMinutes = 60
"""``Model.RunSimulation``'s default auto-save interval (minutes), as OrcFxAPI's."""


# ------------------------------------------------------------------------ statistics


def TimeSeriesStatistics(values: Any, sampleInterval: float) -> _DictLookup:
    """``Mean, StdDev, m0, m2, m4, Tz, Tc, Bandwidth, RMS`` of equally spaced values."""
    from ofxpost._ofx.stats import time_series_statistics

    return objectFromDict(time_series_statistics(values, sampleInterval))


def AnalyseExtrema(values: Any) -> _DictLookup:
    """``Min, Max, IndexOfMin, IndexOfMax`` of ``values`` (first occurrence)."""
    from ofxpost._ofx.stats import analyse_extrema

    return objectFromDict(analyse_extrema(values))
