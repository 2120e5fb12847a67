"""Plugin faults the engine must contain: ``BaseException`` s, unpicklable
exceptions and output written straight to the process's stdout/stderr.

Use together with ``ofxpost_toy`` (which owns the ``.toy`` loader). The fault is
read from the ``.toy`` file (``"fault"``); this plugin's loader runs first and
returns ``None`` unless one of its own loader faults applies.
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path
from typing import Any

import ofxpost

FLOOD_BYTES = 3 * 1024**2
"""How much a ``print_flood`` file prints through ``print()``."""


class TwoArgError(BaseException):
    """A ``BaseException`` whose ``__init__`` needs two arguments: unpickling fails."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"{reason} ({code})")
        self.code = code
        self.reason = reason


class LockedError(Exception):
    """An exception holding a lock: pickling fails."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.lock = threading.Lock()


def _faults(path: Path) -> set[str]:
    import json

    if path.suffix not in (".toy", ".sim") or path.read_bytes()[:1] != b"{":
        return set()
    data = json.loads(path.read_text(encoding="utf-8"))
    return set((data.get("fault") or "").split("+"))


def _raise(faults: set[str], stage: str) -> None:
    if f"sys_exit_{stage}" in faults:
        sys.exit(0)
    if f"sys_exit1_{stage}" in faults:
        sys.exit(1)
    if f"kbint_{stage}" in faults:
        raise KeyboardInterrupt
    if f"base_{stage}" in faults:
        raise BaseException("a bare BaseException from a plugin")
    if f"twoarg_{stage}" in faults:
        raise TwoArgError(7, "cannot be rebuilt")
    if f"locked_{stage}" in faults:
        raise LockedError("holds a lock")


@ofxpost.hookimpl(tryfirst=True)
def ofxpost_open_simulation(path: Path) -> Any | None:
    faults = _faults(path)
    if "hold_gil" in faults:
        hold_gil(path)
    for fault in faults:
        if fault.startswith("licence_until_done"):
            needed = int(fault.removeprefix("licence_until_done"))
            if len(list(path.parent.glob("*.done"))) < needed:
                from ofxpost_toy import DLLError

                raise DLLError(25)
    if "last_words" in faults:  # print, then die without any Python clean-up
        print("last words before the crash", flush=True)
        os._exit(13)
    _raise(faults, "open")
    return None


@ofxpost.hookimpl
def ofxpost_extract(model: Any) -> dict[str, Any] | None:
    faults = set((getattr(model, "fault", None) or "").split("+"))
    if "print_flood" in faults:
        line = "plugin noise " + "x" * 100 + " {not json\n"
        for _ in range(FLOOD_BYTES // len(line)):
            print(line, end="")
        print("tail of the flood", flush=True)
        os.write(1, b"raw fd1 noise without newline")
        os.write(2, b"raw fd2 noise\n")
        print("to stderr", file=sys.stderr)
    _raise(faults, "extract")
    if "enospc_once_extract" in faults:  # the disk is full the first time only
        flag = Path(model.path).with_suffix(".nospace")
        if not flag.exists():
            flag.write_text("x")
            import errno

            raise OSError(errno.ENOSPC, "No space left on device", str(flag))
    if "os_exit0_extract" in faults:  # "success" to a careless parent, no clean-up
        os._exit(0)
    if "stray_thread" in faults:  # a non-daemon thread that never ends
        threading.Thread(target=threading.Event().wait, name="plugin-stray").start()
    path = Path(model.path)
    for fault in faults:
        if fault.startswith("wait_done"):
            _wait_for_others(path, int(fault.removeprefix("wait_done")))
    if "mark_done" in faults:
        path.with_name(path.name + ".done").write_text(str(os.getpid()))
    return None


def _wait_for_others(path: Path, count: int, limit_s: float = 30.0) -> None:
    """Block until ``count`` other inputs in the folder finished (bounded wait)."""
    import time

    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if len(list(path.parent.glob("*.done"))) >= count:
            return
        threading.Event().wait(0.02)


@ofxpost.hookimpl
def ofxpost_file_finished(record: Any) -> None:
    if record.path.parent.parent.name == "observer":  # only in that test's batch folder
        sys.exit(0)


def hold_gil(path: Path, seconds: int = 60) -> None:
    """Write this pid next to ``path``, then block in C *without* releasing the GIL.

    ``ctypes.PyDLL`` calls keep the GIL (unlike ``ctypes.CDLL``), so no Python thread
    of this process -- such as a watchdog -- can run meanwhile.
    """
    import ctypes

    marker = path.with_name(path.name + ".pid")
    tmp = marker.with_suffix(".tmp")
    tmp.write_text(str(os.getpid()))
    tmp.replace(marker)
    ctypes.PyDLL(None).sleep(seconds)
