"""The OrcFxAPI names ofxpost uses, from OrcFxAPI itself when it imports.

``from ofxpost import ofx`` then ``ofx.Period(ofx.PeriodNum.WholeSimulation)``,
``ofx.oeEndA``, ``ofx.DLLError`` ... work everywhere:

* where ``import OrcFxAPI`` succeeds (Windows with OrcaFlex), every name is
  OrcFxAPI's own object, so results of :mod:`ofxpost._archive` models and of
  ``OrcFxAPI.Model`` are used with the same arguments and exceptions;
* elsewhere (any exception on import -- on Linux ``ModuleNotFoundError: winreg``),
  the names are the pure-Python equivalents in :mod:`ofxpost._ofx.fallback`, with
  the same signatures, defaults and numeric values as OrcFxAPI 11.6.3.

``ofx.Model`` is ``OrcFxAPI.Model`` where OrcFxAPI imports, and otherwise the
result-archive model :class:`ofxpost._archive.Model` (``Model()`` then
``LoadSimulation("case.ofx.parquet")``): an OrcFxAPI post-processing script runs
on archives by changing ``import OrcFxAPI`` to ``from ofxpost import ofx as OrcFxAPI``.

:data:`HAVE_ORCFXAPI` tells which. This module never creates, patches or
registers a module named ``OrcFxAPI``; importing it on Linux imports nothing
heavy (the failed ``import OrcFxAPI`` attempt aside).

:func:`is_licence_error` classifies an exception without importing OrcFxAPI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ofxpost._ofx import names as _ofx_names
from ofxpost._ofx.names import *  # noqa: F403 - the names, ``Model`` aside

__all__ = [*_ofx_names.__all__, "Model"]

if TYPE_CHECKING:
    from ofxpost._archive.reader import ArchiveModel as Model


def __getattr__(name: str) -> Any:
    """``Model``: ``OrcFxAPI.Model`` where OrcFxAPI imports, else the archive model
    (:class:`ofxpost._archive.Model`), loaded on first use (it imports pyarrow)."""
    if name == "Model":
        if _ofx_names.HAVE_ORCFXAPI:
            model: Any = _ofx_names.source_module().Model
        else:
            from ofxpost._archive.reader import ArchiveModel

            model = ArchiveModel
        globals()["Model"] = model
        return model
    raise AttributeError(f"module 'ofxpost.ofx' has no attribute {name!r}")
