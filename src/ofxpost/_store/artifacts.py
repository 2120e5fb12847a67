"""Per-file artifacts: big per-file outputs written by the worker that read the file.

A time series, or any other large per-file output, must not travel worker → pipe →
controller → result store. The extractor that makes it writes it itself, through
:func:`artifact_path`, and returns only small results (statistics, the path)::

    from ofxpost._store.artifacts import artifact_path

    @ofxpost.hookimpl
    def ofxpost_extract(model, job, config):
        with artifact_path(job, config, f"my_feature/{job.key}.csv") as tmp:
            frame.to_csv(tmp)          # write the whole file to ``tmp``
        return {"my_feature": {"rows": len(frame)}}

Name a per-file artifact from :attr:`ofxpost.Job.key` (unique among the inputs:
``a~case_001`` and ``b~case_001`` for two ``case_001`` in two folders), never from the
file's stem alone, which two inputs may share.

How it stays safe (the output-ownership rule of :mod:`ofxpost._store.manifest`):

1. **Confined name.** ``name`` is a ``/``-separated path relative to ``output_dir``
   that passes :func:`ofxpost._core.names.relative_path_problem` and does not start with
   ``.ofxpost``, the manifest or the ``PARTIAL`` marker; anything else raises
   :class:`ValueError` in the extractor (the item fails, never silently).
2. **Staged in ofxpost's own folder.** The worker writes to a temporary file under
   ``output_dir/.ofxpost/artifacts/<index:05d>/`` (a folder only ofxpost writes) and
   renames it there (:mod:`ofxpost._core.atomic`), then registers ``name`` in the file's
   record (:attr:`ofxpost.FileRecord.artifacts`).
3. **Placed by the controller.** When the record arrives, the controller claims each
   name in the manifest (``written``) *before* it moves the staged file into
   ``output_dir`` with one rename: no data passes through the controller. A name
   held by a user's file (not on the previous manifest's list), or already placed
   by another file of this run, is refused: an ``output`` error names it (exit 1).

A worker killed half-way leaves only files under ``.ofxpost/``; the next attempt of
that file starts with an empty folder. On ``--resume`` a reused file keeps its
placed artifacts (its config and file are unchanged, so they are too); a reused
record whose artifact has gone is run again.

The rule of the hook specification stands: *results are small*. An artifact is
how a plugin keeps a big per-file output out of its results.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

from ofxpost._core.atomic import atomic_path
from ofxpost._core.names import relative_path_problem
from ofxpost._core.records import Job
from ofxpost.errors import ArtifactError

STAGING = Path(".ofxpost") / "artifacts"
"""Where workers stage artifacts (``output_dir``-relative), one folder per file."""

_RESERVED_TOPS = (".ofxpost", "ofxpost-run.json", "PARTIAL")

_current = threading.local()


def staging_folder(output_dir: Path, index: int) -> Path:
    """The staging folder of the file at input position ``index``."""
    return output_dir / STAGING / f"{index:05d}"


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot be an artifact path, or ``None`` when it can."""
    problem = relative_path_problem(name)
    if problem is None and "\\" in name:
        problem = "uses '\\\\'; separate folders with '/'"
    if problem is None and name.split("/")[0] in _RESERVED_TOPS:
        problem = "is reserved for ofxpost itself"
    return problem


@contextmanager
def collecting(output_dir: Path, job: Job) -> Iterator[list[str]]:
    """Collect the artifacts registered while one file runs (used by the worker).

    Starts the file's staging folder empty (an earlier attempt's leftovers go).
    """
    folder = staging_folder(output_dir, job.index)
    if folder.exists():
        shutil.rmtree(folder, ignore_errors=True)
    names: list[str] = []
    previous = getattr(_current, "names", None)
    _current.names = names
    try:
        yield names
    finally:
        _current.names = previous


def collecting_now() -> bool:
    """Whether this thread runs an extraction that can register artifacts."""
    return getattr(_current, "names", None) is not None


class HasOutputDir(Protocol):
    """What :func:`artifact_path` reads of the config: its ``output_dir``.

    A :class:`~ofxpost.Config` is one; the store layer names only this attribute, so
    that it does not depend on the config layer.
    """

    @property
    def output_dir(self) -> str | os.PathLike[str]:
        """The batch's output folder."""
        ...


@contextmanager
def artifact_path(job: Job, config: HasOutputDir, name: str) -> Iterator[Path]:
    """Yield a temporary path for the artifact ``name`` of ``job``'s file.

    Write the whole file to the yielded path; when the block ends without an
    exception the file is renamed into the file's staging folder and ``name`` is
    registered in the file's record, to be placed at ``output_dir/name``.

    :param job: the ``job`` argument of ``ofxpost_extract``.
    :param config: the ``config`` argument (its ``output_dir`` is used).
    :param name: the artifact's path relative to ``output_dir``, ``/``-separated
        (deterministic: the same file and config give the same name).
    :raises ArtifactError: ``name`` is not a confined, portable path, or it was
        already registered for this file.
    :raises ArtifactError: called outside an extraction.
    """
    problem = name_problem(name)
    if problem is not None:
        raise ArtifactError(f"artifact name {name!r} {problem}")
    names: list[str] | None = getattr(_current, "names", None)
    if names is None:
        raise ArtifactError("artifact_path() is only usable inside ofxpost_extract")
    if name.lower() in (n.lower() for n in names):
        raise ArtifactError(f"artifact {name!r} is already written for this file")
    output_dir = Path(config.output_dir).absolute()
    target = staging_folder(output_dir, job.index) / name
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(target) as tmp:
        yield tmp
    names.append(name)


def staged_file(output_dir: Path, index: int, name: str) -> Path:
    """Where the worker left the artifact ``name`` of the file at ``index``."""
    return staging_folder(output_dir, index) / name
