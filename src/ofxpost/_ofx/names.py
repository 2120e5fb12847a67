"""The OrcFxAPI names, from OrcFxAPI itself when it imports, else the fallback.

Everything :mod:`ofxpost.ofx` offers except ``Model``: the archive modules use these
names, and :mod:`ofxpost.ofx` adds ``Model`` (which may be the archive's model) on
top, so the archive never imports the namespace that imports it
(``docs/architecture.md``, "Layers"). Use :mod:`ofxpost.ofx`, not this module.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import TYPE_CHECKING

from ofxpost._core.licensing import LICENCE_STATUS_CODES, is_licence_error
from ofxpost._ofx import fallback as _ofx_fallback

__all__ = [
    "HAVE_ORCFXAPI",
    "LICENSING_STATUS_CODES",
    "AnalyseExtrema",
    "ArclengthRange",
    "ArclengthRangeMode",
    "DLLError",
    "DefaultAutoSaveIntervalMinutes",
    "DistributionTail",
    "ExtremeValueDistribution",
    "FileType",
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
    "is_licence_error",
    "licensing_status_codes",
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
    "source_module",
]

_REEXPORTED: tuple[str, ...] = tuple(
    name for name in _ofx_fallback.__all__ if name != "IntEnumAllowsUndefined"
)

_module: ModuleType
try:
    _module = importlib.import_module("OrcFxAPI")
except Exception:  # ModuleNotFoundError('winreg'), "OrcaFlex not found", OSError ...
    _module = _ofx_fallback
    HAVE_ORCFXAPI = False
else:
    HAVE_ORCFXAPI = True
"""True when ``import OrcFxAPI`` succeeded (the names below are OrcFxAPI's own)."""

if TYPE_CHECKING:
    from ofxpost._ofx.fallback import (
        AnalyseExtrema,
        ArclengthRange,
        ArclengthRangeMode,
        DefaultAutoSaveIntervalMinutes,
        DistributionTail,
        DLLError,
        ExtremeValueDistribution,
        FileType,
        LinePoint,
        LineResultPoints,
        MissingRequirementError,
        ModelState,
        ModelType,
        ObjectExtra,
        ObjectType,
        Period,
        PeriodNum,
        RadialPos,
        ResultType,
        SimulationTimeStatus,
        SpecifiedPeriod,
        StatusCode,
        TimeSeriesStatistics,
        _DictLookup,
        arEntireLine,
        arEntireRange,
        arSpecifiedArclengths,
        arSpecifiedSections,
        objectFromDict,
        oeArcLength,
        oeBuoy,
        oeConstraint,
        oeEndA,
        oeEndB,
        oeEnvironment,
        oeLine,
        oeNodeNum,
        oeRigidBody,
        oeSupport,
        oeTouchdown,
        oeVessel,
        otEnvironment,
        otGeneral,
        otLine,
        otVessel,
        pnBuildUp,
        pnInstantaneousValue,
        pnLatestWave,
        pnSpecifiedPeriod,
        pnStaticState,
        pnWholeSimulation,
        rtFrequencyDomain,
        rtLinkedStatistics,
        rtRangeGraph,
        rtTimeHistory,
    )
else:
    for _name in _REEXPORTED:
        # A name an older OrcFxAPI lacks comes from the fallback.
        globals()[_name] = getattr(_module, _name, getattr(_ofx_fallback, _name))
    del _name


def source_module() -> ModuleType:
    """The module the names come from: ``OrcFxAPI`` or :mod:`ofxpost._ofx.fallback`."""
    return _module


LICENSING_STATUS_CODES: frozenset[int] = LICENCE_STATUS_CODES
"""``StatusCode`` values that mean "no licence / unusable OrcaFlex installation"
(see :mod:`ofxpost._core.licensing`)."""


def licensing_status_codes() -> frozenset[int]:
    """The status codes :func:`is_licence_error` treats as licence/environment errors."""
    return LICENSING_STATUS_CODES
