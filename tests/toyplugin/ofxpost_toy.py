"""A small test plugin: a loader for ``.toy`` files, an extractor and an aggregator.

A ``.toy`` file is JSON: ``{"values": [...], "fault": null | "<fault>"}``. The fault
makes the loader or extractor misbehave on purpose, so tests can build fault
matrices from files alone (the behaviour travels to spawned workers).
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import ofxpost

OPEN_LOG_ENV = "OFXPOST_TOY_OPEN_LOG"


class DLLError(Exception):
    """Shaped like OrcFxAPI.DLLError: ``status`` and ``errorString``."""

    def __init__(self, status: int, errorString: str | None = None) -> None:
        super().__init__(status)
        self.status = status
        self.errorString = errorString or "licence not available"

    def __str__(self) -> str:
        return f"\nError code: {self.status}\n{self.errorString}"


class ToyModel:
    def __init__(self, path: Path, data: dict[str, Any]) -> None:
        self.path = path
        self.values = np.asarray(data["values"], dtype=float)
        self.fault = data.get("fault")


def _count_attempt(path: Path) -> int:
    counter = path.with_name(path.name + ".attempts")
    n = int(counter.read_text()) + 1 if counter.exists() else 1
    # Written whole or not at all: a worker killed with its controller (SIGKILL tests)
    # must not leave a truncated counter that fails the file on resume.
    partial = counter.with_name(f"{counter.name}.{os.getpid()}.tmp")
    partial.write_text(str(n))
    os.replace(partial, counter)
    return n


def _log_open(path: Path, phase: str) -> None:
    log = os.environ.get(OPEN_LOG_ENV)
    if log:
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(f"{time.monotonic():.6f} {os.getpid()} {phase} {path.name}\n")


def _read(path: Path) -> dict[str, Any] | None:
    if path.suffix == ".toy":
        return dict(json.loads(path.read_text(encoding="utf-8")))
    if path.suffix == ".sim" and path.read_bytes()[:1] == b"{":
        return dict(json.loads(path.read_text(encoding="utf-8")))
    return None


@ofxpost.hookimpl
def ofxpost_open_simulation(path: Path) -> ToyModel | None:
    data = _read(path)
    if data is None:
        return None
    faults = set((data.get("fault") or "").split("+"))
    _log_open(path, "open")
    if "count_opens" in faults:
        _count_attempt(path)
    if "slow" in faults:
        time.sleep(0.3)  # stands for real work, so that files overlap in time
    if "gate" in faults:  # blocked until the test opens the gate (a file beside the data)
        gate = path.with_name("GATE")
        while not gate.exists():
            time.sleep(0.02)
    if "raise_open" in faults:
        raise ValueError(f"{path.name}: cannot parse header")
    if "segfault" in faults:
        if hasattr(signal, "SIGSEGV") and os.name != "nt":
            os.kill(os.getpid(), signal.SIGSEGV)
        ctypes.string_at(0)
    if "exit" in faults:
        os._exit(13)
    if "kill_parent" in faults:  # Dask only: the parent is the Dask worker process
        os.kill(os.getppid(), getattr(signal, "SIGKILL", signal.SIGTERM))
        time.sleep(3600)
    if "kill_scheduler" in faults and os.environ.get("OFXPOST_TOY_SCHEDULER_PID"):
        # Dask only: the test hands the scheduler's pid to the worker it starts
        os.kill(int(os.environ["OFXPOST_TOY_SCHEDULER_PID"]), getattr(signal, "SIGKILL", 15))
    if "hang" in faults:
        time.sleep(3600)
    if "hang_with_child" in faults:
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(3600)"])
        path.with_name(path.name + ".child").write_text(str(child.pid))
        time.sleep(3600)
    if "alloc120" in faults:  # more than its estimate, well within the budget
        grow = np.ones(120 * 1024**2 // 8)  # touched
        time.sleep(0.5)  # stands for work while the memory is held
        del grow
    if "alloc" in faults:
        hog = np.ones(600 * 1024**2 // 8)  # 600 MiB, touched
        time.sleep(3)
        del hog
    if "licence_always" in faults:
        raise DLLError(25)
    if "licence_transient" in faults and _count_attempt(path) <= 2:
        raise DLLError(25)
    return ToyModel(path, data)


@ofxpost.hookimpl
def ofxpost_extract(model: ToyModel) -> dict[str, Any]:
    _log_open(model.path, "close")
    if "raise_extract" in (model.fault or "").split("+"):
        raise RuntimeError("toy extractor exploded")
    values = model.values
    return {
        "toy_stats": {
            "max": float(values.max()),
            "min": float(values.min()),
            "mean": float(values.mean()),
            "n": int(values.size),
        },
        "toy_cumsum": np.cumsum(values),
    }


@ofxpost.hookimpl
def ofxpost_aggregate(records: Any) -> dict[str, pd.DataFrame]:
    rows = []
    for record in records:
        stats = record.results.get("toy_stats")
        if stats is None:
            continue
        rows.append(
            {
                "index": record.index,
                "file": record.path.name,
                **stats,
                "cumsum_last": float(record.results["toy_cumsum"][-1]),
            }
        )
    return {
        "toy": pd.DataFrame(
            rows, columns=["index", "file", "max", "min", "mean", "n", "cumsum_last"]
        )
    }
