"""Portable result archives: one Parquet file per simulation, read through OrcFxAPI calls.

* :func:`open_archive` -- open an archive as an OrcFxAPI-compatible model;
  :class:`Model` -- the same model made as ``OrcFxAPI.Model`` is (``Model()``,
  ``LoadSimulation(path)``);
* :func:`export_model` -- write any OrcFxAPI-like model (``OrcFxAPI.Model`` on a
  machine with OrcaFlex) to an archive; :func:`write_archive` -- the low-level writer,
  which takes an :class:`ArchiveInfo` (with one :class:`ObjectInfo` per object) and
  columns named by :func:`column_name` (points from :func:`node_point`,
  :func:`support_point`);
* :class:`ExtremeStatistics` (what ``obj.ExtremeStatistics(...)`` returns) and its
  builders :func:`RayleighStatisticsSpecification`, :func:`RayleighStatisticsQuery`,
  :func:`LikelihoodStatisticsSpecification`, :func:`LikelihoodStatisticsQuery`;
* :data:`ARCHIVE_SUFFIX`, :class:`~ofxpost.errors.ArchiveError`,
  :class:`~ofxpost.errors.NotInArchiveError`.

pyarrow is imported on first use of the reader or the writer. Format:
``docs/archive-format.md``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ofxpost._archive.format import (
    ARCHIVE_SUFFIX,
    ArchiveInfo,
    ObjectInfo,
    column_name,
    node_point,
    simulation_stem,
    support_point,
)
from ofxpost.errors import ArchiveError, NotInArchiveError, UnknownObjectError

if TYPE_CHECKING:
    from ofxpost._archive.extremes import (
        ExtremeStatistics,
        LikelihoodStatisticsQuery,
        LikelihoodStatisticsSpecification,
        RayleighStatisticsQuery,
        RayleighStatisticsSpecification,
    )
    from ofxpost._archive.reader import ArchiveModel, open_archive
    from ofxpost._archive.reader import ArchiveModel as Model
    from ofxpost._archive.writer import export_model, write_archive

_LAZY = {
    "ArchiveModel": ("ofxpost._archive.reader", "ArchiveModel"),
    "Model": ("ofxpost._archive.reader", "ArchiveModel"),
    "open_archive": ("ofxpost._archive.reader", "open_archive"),
    "export_model": ("ofxpost._archive.writer", "export_model"),
    "write_archive": ("ofxpost._archive.writer", "write_archive"),
    **{
        name: ("ofxpost._archive.extremes", name)
        for name in (
            "ExtremeStatistics",
            "LikelihoodStatisticsQuery",
            "LikelihoodStatisticsSpecification",
            "RayleighStatisticsQuery",
            "RayleighStatisticsSpecification",
        )
    },
}


def __getattr__(name: str) -> Any:
    """Import the reader or the writer on first use (:pep:`562`)."""
    where = _LAZY.get(name)
    if where is None:
        raise AttributeError(f"module 'ofxpost.archive' has no attribute {name!r}")
    value = getattr(importlib.import_module(where[0]), where[1])
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The module's public names."""
    return sorted(__all__)


__all__ = [
    "ARCHIVE_SUFFIX",
    "ArchiveError",
    "ArchiveInfo",
    "ArchiveModel",
    "ExtremeStatistics",
    "LikelihoodStatisticsQuery",
    "LikelihoodStatisticsSpecification",
    "Model",
    "NotInArchiveError",
    "ObjectInfo",
    "RayleighStatisticsQuery",
    "RayleighStatisticsSpecification",
    "UnknownObjectError",
    "column_name",
    "export_model",
    "node_point",
    "open_archive",
    "simulation_stem",
    "support_point",
    "write_archive",
]
