"""Tie worker processes' lives to the controller's, at the operating-system level.

A worker must not outlive its controller, even when the controller is killed
with SIGKILL (or ``TerminateProcess``) and the worker is stuck in native code that
holds the GIL, where no Python-level watchdog thread can run:

* **Linux**: the worker asks the kernel for a *parent-death signal*
  (``prctl(PR_SET_PDEATHSIG, SIGKILL)``), so the kernel kills it the moment its
  parent goes. The "parent" is the controller *thread* that started the worker,
  which is why the pool starts each worker from its long-lived slot thread.
* **Windows**: the controller puts every worker into a *job object* created with
  ``JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE``. The job's only handle belongs to the
  controller; when the controller dies, Windows closes the handle and kills every
  process in the job (this branch cannot be tested on Linux).
* Elsewhere (macOS, BSD) only the worker's watchdog thread applies.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import threading
from typing import Any

PR_SET_PDEATHSIG = 1
"""``prctl`` option number (``linux/prctl.h``)."""


def set_parent_death_signal(parent_pid: int) -> bool:
    """Linux: have the kernel SIGKILL this process when its parent dies.

    Returns ``True`` when the signal is set. If the parent has already gone by the
    time the call returns (the race ``prctl`` leaves open), the process exits at once.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        done = libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False
    if done and os.getppid() != parent_pid:
        os._exit(3)
    return bool(done)


class KillOnCloseJob:
    """Windows: a job object that kills its processes when the controller dies.

    On other platforms every method does nothing.
    """

    _KILL_ON_JOB_CLOSE = 0x00002000
    _INFO_CLASS_EXTENDED_LIMIT = 9
    _PROCESS_SET_QUOTA = 0x0100
    _PROCESS_TERMINATE = 0x0001

    def __init__(self) -> None:
        self._handle: Any = None
        self._lock = threading.Lock()
        if sys.platform == "win32":
            with contextlib.suppress(OSError, AttributeError):
                self._handle = self._create()

    def _create(self) -> Any:  # pragma: no cover - Windows only
        from ctypes import wintypes

        kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined]

        class IoCounters(ctypes.Structure):
            _fields_ = [
                (name, ctypes.c_ulonglong)
                for name in (
                    "ReadOperationCount",
                    "WriteOperationCount",
                    "OtherOperationCount",
                    "ReadTransferCount",
                    "WriteTransferCount",
                    "OtherTransferCount",
                )
            ]

        class BasicLimits(ctypes.Structure):
            _fields_ = [
                ("PerProcessUserTimeLimit", ctypes.c_longlong),
                ("PerJobUserTimeLimit", ctypes.c_longlong),
                ("LimitFlags", wintypes.DWORD),
                ("MinimumWorkingSetSize", ctypes.c_size_t),
                ("MaximumWorkingSetSize", ctypes.c_size_t),
                ("ActiveProcessLimit", wintypes.DWORD),
                ("Affinity", ctypes.c_size_t),
                ("PriorityClass", wintypes.DWORD),
                ("SchedulingClass", wintypes.DWORD),
            ]

        class ExtendedLimits(ctypes.Structure):
            _fields_ = [
                ("BasicLimitInformation", BasicLimits),
                ("IoInfo", IoCounters),
                ("ProcessMemoryLimit", ctypes.c_size_t),
                ("JobMemoryLimit", ctypes.c_size_t),
                ("PeakProcessMemoryUsed", ctypes.c_size_t),
                ("PeakJobMemoryUsed", ctypes.c_size_t),
            ]

        kernel32.CreateJobObjectW.restype = wintypes.HANDLE
        job = kernel32.CreateJobObjectW(None, None)
        if not job:
            raise OSError(ctypes.get_last_error(), "CreateJobObjectW failed")  # type: ignore[attr-defined]
        info = ExtendedLimits()
        info.BasicLimitInformation.LimitFlags = self._KILL_ON_JOB_CLOSE
        if not kernel32.SetInformationJobObject(
            job, self._INFO_CLASS_EXTENDED_LIMIT, ctypes.byref(info), ctypes.sizeof(info)
        ):
            kernel32.CloseHandle(job)
            raise OSError(ctypes.get_last_error(), "SetInformationJobObject failed")  # type: ignore[attr-defined]
        self._kernel32 = kernel32
        return job

    def assign(self, pid: int) -> None:
        """Put process ``pid`` into the job (Windows; no-op elsewhere)."""
        if self._handle is None:
            return
        kernel32 = self._kernel32  # pragma: no cover - Windows only
        access = self._PROCESS_SET_QUOTA | self._PROCESS_TERMINATE
        process = kernel32.OpenProcess(access, False, pid)
        if process:
            kernel32.AssignProcessToJobObject(self._handle, process)
            kernel32.CloseHandle(process)

    def close(self) -> None:
        """Close the job handle, which kills any process still in the job."""
        with self._lock:
            handle, self._handle = self._handle, None
        if handle is not None:  # pragma: no cover - Windows only
            self._kernel32.CloseHandle(handle)
