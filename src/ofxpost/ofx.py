"""The OrcFxAPI names ofxpost uses, from OrcFxAPI itself when it imports.

``from ofxpost import ofx`` then ``ofx.Period(ofx.PeriodNum.WholeSimulation)``,
``ofx.oeEndA``, ``ofx.DLLError`` ... work everywhere:

* where ``import OrcFxAPI`` succeeds (Windows with OrcaFlex), every name is
  OrcFxAPI's own object, so results of :mod:`ofxpost.archive` models and of
  ``OrcFxAPI.Model`` are used with the same arguments and exceptions;
* elsewhere (any exception on import -- on Linux ``ModuleNotFoundError: winreg``),
  the names are the pure-Python equivalents in :mod:`ofxpost._ofx_fallback`, with
  the same signatures, defaults and numeric values as OrcFxAPI 11.6.3.

``ofx.Model`` is ``OrcFxAPI.Model`` where OrcFxAPI imports, and otherwise the
result-archive model :class:`ofxpost.archive.Model` (``Model()`` then
``LoadSimulation("case.ofx.parquet")``): an OrcFxAPI post-processing script runs
on archives by changing ``import OrcFxAPI`` to ``from ofxpost import ofx as OrcFxAPI``.

:data:`HAVE_ORCFXAPI` tells which. This module never creates, patches or
registers a module named ``OrcFxAPI``; importing it on Linux imports nothing
heavy (the failed ``import OrcFxAPI`` attempt aside).

:func:`is_licence_error` classifies an exception without importing OrcFxAPI.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import TYPE_CHECKING, Any

from ofxpost import _ofx_fallback
from ofxpost.licensing import LICENCE_STATUS_CODES, is_licence_error

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
    "Model",
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
    from ofxpost._ofx_fallback import (
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
    from ofxpost.archive.reader import ArchiveModel as Model
else:
    for _name in _REEXPORTED:
        # A name an older OrcFxAPI lacks comes from the fallback.
        globals()[_name] = getattr(_module, _name, getattr(_ofx_fallback, _name))
    del _name


def __getattr__(name: str) -> Any:
    """``Model``: ``OrcFxAPI.Model`` where OrcFxAPI imports, else the archive model
    (:class:`ofxpost.archive.Model`), loaded on first use (it imports pyarrow)."""
    if name == "Model":
        if HAVE_ORCFXAPI:
            model: Any = _module.Model
        else:
            from ofxpost.archive.reader import ArchiveModel

            model = ArchiveModel
        globals()["Model"] = model
        return model
    raise AttributeError(f"module 'ofxpost.ofx' has no attribute {name!r}")


def source_module() -> ModuleType:
    """The module the names come from: ``OrcFxAPI`` or :mod:`ofxpost._ofx_fallback`."""
    return _module


LICENSING_STATUS_CODES: frozenset[int] = LICENCE_STATUS_CODES
"""``StatusCode`` values that mean "no licence / unusable OrcaFlex installation"
(see :mod:`ofxpost.licensing`)."""


def licensing_status_codes() -> frozenset[int]:
    """The status codes :func:`is_licence_error` treats as licence/environment errors."""
    return LICENSING_STATUS_CODES
