"""Portable result archives: one Parquet file per simulation, read through OrcFxAPI calls.

* :func:`open_archive` -- open an archive as an OrcFxAPI-compatible model;
  :class:`Model` -- the same model made as ``OrcFxAPI.Model`` is (``Model()``,
  ``LoadSimulation(path)``);
* :func:`export_model` -- write any OrcFxAPI-like model (``OrcFxAPI.Model`` on a
  machine with OrcaFlex) to an archive; :func:`write_archive` -- the low-level writer;
* :data:`ARCHIVE_SUFFIX`, :class:`ArchiveError`.

The names are loaded on first use, so ``import ofxpost._archive.format`` (file
names, constants) does not import pyarrow. Format: ``docs/archive-format.md``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ofxpost._archive.format import ARCHIVE_SUFFIX
from ofxpost.errors import ArchiveError, NotInArchiveError, UnknownObjectError

if TYPE_CHECKING:
    from ofxpost._archive.reader import ArchiveModel, open_archive
    from ofxpost._archive.reader import ArchiveModel as Model
    from ofxpost._archive.writer import export_model, write_archive

__all__ = [
    "ARCHIVE_SUFFIX",
    "ArchiveError",
    "ArchiveModel",
    "Model",
    "NotInArchiveError",
    "UnknownObjectError",
    "export_model",
    "open_archive",
    "write_archive",
]

_LAZY = {
    "ArchiveModel": "ofxpost._archive.reader",
    "Model": "ofxpost._archive.reader",
    "open_archive": "ofxpost._archive.reader",
    "export_model": "ofxpost._archive.writer",
    "write_archive": "ofxpost._archive.writer",
}


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'ofxpost.archive' has no attribute {name!r}")
    import importlib

    value = getattr(
        importlib.import_module(module_name), "ArchiveModel" if name == "Model" else name
    )
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
