"""OrcaFlex integration: ofxpost as an OrcaFlex *post-calculation action*.

OrcaFlex runs a model's post-calculation actions in batch mode and under Distributed
OrcaFlex right after statics or dynamics, with the model still in memory. An
in-process Python action is a script that defines ``Execute(info)``; OrcaFlex calls
it with an ``info`` object whose attributes this module uses (:data:`INFO_ATTRIBUTES`):

* ``info.model`` -- the ``OrcFxAPI.Model`` just calculated (in memory);
* ``info.modelFileName`` -- the model's file name (the ``.dat``/``.yml`` being run);
* ``info.modelDirectory`` -- the folder of that file.

:func:`post_calculation` writes the in-memory model's results as a result archive
(``<stem>.ofx.parquet``, :mod:`ofxpost.archive`) beside the model -- no ``.sim``
reload, no second licence (it runs inside the OrcaFlex process that holds one). A
running ``ofxpost watch`` over ``*.ofx.parquet`` picks each archive up as it appears
and runs the configured extractors on it. Many OrcaFlex processes can run it at
once: each writes its own archive under a temporary name in the target folder and
renames it into place (``os.replace``), so a reader never sees a part of an
archive, two simulations never share a file, and running the action again for the
same model replaces its archive instead of adding a second one.

The script to give OrcaFlex (``docs/campaigns.md`` has the General-data settings)::

    from ofxpost.orcaflex import post_calculation

    def Execute(info):
        post_calculation(info)
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ofxpost._archive.format import ARCHIVE_SUFFIX

INFO_ATTRIBUTES: tuple[str, ...] = ("model", "modelFileName", "modelDirectory")
"""The attributes of OrcaFlex's post-calculation ``info`` object that ofxpost reads."""

ARCHIVE_DIR_ENV = "OFXPOST_ARCHIVE_DIR"
"""Environment variable: write the archives to this folder instead of beside the model
(a shared folder the watch follows, e.g. under Distributed OrcaFlex)."""

REPLACE_TRIES = 40
"""Attempts to rename an archive into place while a reader holds the old one open
(Windows refuses the rename meanwhile); 0.25 s apart."""


def check_info(info: Any) -> None:
    """Check that ``info`` has the post-calculation attributes ofxpost needs.

    :raises TypeError: naming the first missing attribute.
    """
    for name in INFO_ATTRIBUTES:
        if not hasattr(info, name):
            raise TypeError(
                f"post_calculation: the info object has no attribute {name!r} "
                f"(OrcaFlex passes one with {', '.join(INFO_ATTRIBUTES)}; "
                "call post_calculation(info) from the action's Execute(info))"
            )


def archive_path(info: Any, out_dir: str | os.PathLike[str] | None = None) -> Path:
    """Where :func:`post_calculation` writes ``info``'s archive.

    ``<out_dir or $OFXPOST_ARCHIVE_DIR or info.modelDirectory>/<stem>.ofx.parquet``,
    ``<stem>`` being the model file's name without its suffix (``case_017.dat`` gives
    ``case_017.ofx.parquet``, next to the ``case_017.sim`` OrcaFlex saves).
    """
    check_info(info)
    folder = out_dir or os.environ.get(ARCHIVE_DIR_ENV) or info.modelDirectory
    stem = Path(str(info.modelFileName)).name
    for suffix in (".dat", ".yml", ".yaml", ".sim"):
        if stem.lower().endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    return Path(folder) / f"{stem}{ARCHIVE_SUFFIX}"


def _replace(source: Path, target: Path) -> None:
    for attempt in range(REPLACE_TRIES):
        try:
            os.replace(source, target)
            return
        except PermissionError:  # Windows: a reader has the old archive open
            if attempt == REPLACE_TRIES - 1:
                raise
            time.sleep(0.25)


def post_calculation(
    info: Any,
    *,
    select: Mapping[str, Any] | str | os.PathLike[str] | None = None,
    out_dir: str | os.PathLike[str] | None = None,
) -> Path:
    """Write the in-memory model of a post-calculation action as a result archive.

    Call it from the action script's ``Execute(info)``. The archive is written under
    a temporary name in the target folder, then renamed into place atomically; a
    failure leaves no temporary file behind and raises (OrcaFlex then reports the
    action as failed for that model).

    :param info: OrcaFlex's post-calculation info object (see :data:`INFO_ATTRIBUTES`).
    :param select: which objects/variables/points to keep (a mapping or a YAML file,
        as ``ofxpost export --select``); ``None`` keeps everything.
    :param out_dir: the folder to write to (default ``$OFXPOST_ARCHIVE_DIR``, else the
        model's folder).
    :returns: the archive's path.
    :raises TypeError: ``info`` lacks an attribute (named).
    :raises SelectionError: ``select`` names objects or variables the model lacks.
    """
    from ofxpost._archive.writer import export_model

    target = archive_path(info, out_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.parent / f".{target.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.ofxpost-tmp"
    model = info.model
    report = getattr(model, "ReportActionProgress", None)
    if callable(report):
        report(f"ofxpost: writing {target.name}")
    source = Path(str(info.modelFileName)).name
    try:
        export_model(
            model,
            temporary,
            select,
            source_file=source,
            extra={"post_calculation": {"model_file": source, "pid": os.getpid()}},
        )
        _replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    return target


def Execute(info: Any) -> None:
    """The post-calculation entry point, for using this module itself as the script."""
    post_calculation(info)


__all__ = [
    "ARCHIVE_DIR_ENV",
    "INFO_ATTRIBUTES",
    "Execute",
    "archive_path",
    "check_info",
    "post_calculation",
]
