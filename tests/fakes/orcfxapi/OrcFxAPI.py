"""Test-only stand-in for OrcFxAPI: ``Model`` opens result archives.

Tests put this folder on ``sys.path`` (or ``PYTHONPATH`` for worker processes)
only when they ask for it; it is never installed. A "simulation" here is a result
archive under any name (tests copy ``case.ofx.parquet`` to ``case.sim``).

Environment variables:

* ``OFXPOST_FAKE_LOG`` -- a file; every ``Model(...)`` appends one JSON line
  ``{"pid", "file", "threadCount"}``.
* ``OFXPOST_FAKE_FAULTS`` -- a JSON file mapping a file stem to a fault:
  ``{"status": 25, "times": 2}`` raises ``DLLError(25)`` on the first 2 opens of
  that file (``"times": null``: on every open), counted across processes with
  marker files in ``OFXPOST_FAKE_STATE`` (a folder; required for counted faults);
  ``{"crash": true}`` ends the process with ``os._exit(70)`` on open.

The OrcFxAPI names come from ofxpost's pure-Python fallback, so objects made by
``ofxpost.ofx`` and by this module are the same classes.
"""

from __future__ import annotations

import collections.abc
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ofxpost._ofx.fallback import (  # noqa: F401 - re-exported OrcFxAPI names
    AnalyseExtrema,
    ArclengthRange,
    ArclengthRangeMode,
    DistributionTail,
    DLLError,
    ExtremeValueDistribution,
    FileType,
    IntEnumAllowsUndefined,
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
)

OFXPOST_FAKE = True
"""Marks this module as the test stand-in."""


def DLLVersion() -> str:
    """The fake's version string."""
    return "11.6.3 (ofxpost test fake)"


def _stem(path: str) -> str:
    from ofxpost._archive.format import simulation_stem

    return simulation_stem(path)


def _log(filename: str | None, threads: int | None) -> None:
    log = os.environ.get("OFXPOST_FAKE_LOG")
    if not log:
        return
    line = json.dumps({"pid": os.getpid(), "file": filename, "threadCount": threads})
    with open(log, "a", encoding="utf-8") as handle:
        handle.write(line + "\n")


def _open_ordinal(stem: str) -> int:
    """1 for the first open of ``stem`` (in any process), 2 for the second ..."""
    folder = os.environ.get("OFXPOST_FAKE_STATE")
    if not folder:
        raise RuntimeError("OFXPOST_FAKE_STATE must name a folder for counted faults")
    Path(folder).mkdir(parents=True, exist_ok=True)
    ordinal = 1
    while True:
        marker = os.path.join(folder, f"{stem}.open{ordinal}")
        try:
            os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            ordinal += 1
            continue
        return ordinal


def _apply_faults(filename: str) -> None:
    faults_file = os.environ.get("OFXPOST_FAKE_FAULTS")
    if not faults_file:
        return
    faults = json.loads(Path(faults_file).read_text(encoding="utf-8"))
    fault = faults.get(_stem(filename))
    if not fault:
        return
    if fault.get("crash"):
        os._exit(70)
    if "status" in fault:
        times = fault.get("times")
        if times is None or _open_ordinal(_stem(filename)) <= int(times):
            raise DLLError(int(fault["status"]), f"fake fault on {Path(filename).name}")


class Model(collections.abc.Mapping):  # type: ignore[type-arg]
    """``OrcFxAPI.Model`` look-alike backed by :func:`ofxpost._archive.open_archive`."""

    last_thread_count: int | None = None
    """``threadCount`` of the latest ``Model(...)`` in this process."""

    def __init__(
        self,
        filename: str | os.PathLike[str] | None = None,
        threadCount: int | None = None,
        handle: Any = None,
    ) -> None:
        Model.last_thread_count = threadCount
        self._thread_count = -1 if threadCount is None else int(threadCount)
        self._archive: Any = None
        _log(None if filename is None else str(filename), threadCount)
        if filename is not None:
            self.LoadSimulation(filename)

    def LoadSimulation(self, filename: str | os.PathLike[str]) -> None:
        """Load an archive (under any name) as the simulation."""
        from ofxpost._archive import ArchiveError, open_archive

        name = str(filename)
        _apply_faults(name)
        if not os.path.exists(name):
            raise DLLError(StatusCode.FileNotFound, f"File not found: {name}")
        try:
            self._archive = open_archive(name)
        except ArchiveError as exc:
            raise DLLError(StatusCode.FileReadError, str(exc)) from None

    LoadData = LoadSimulation

    def _model(self) -> Any:
        if self._archive is None:
            raise DLLError(StatusCode.InvalidModelState, "no simulation loaded")
        return self._archive

    @property
    def threadCount(self) -> int:
        """The thread count the model was created with (-1: let the DLL choose)."""
        return self._thread_count

    def __getitem__(self, name: str) -> Any:
        return self._model()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._model())

    def __len__(self) -> int:
        return len(self._model())

    def __contains__(self, name: object) -> bool:
        return name in self._model()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._model(), name)
