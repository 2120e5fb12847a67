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
* **POSIX (Linux, macOS)**: the processes a plugin starts (grandchildren) get no
  parent-death signal, so each worker leads a *process group* of its own
  (:func:`lead_process_group`) and a tiny *reaper* process (:class:`GroupReaper`)
  holds the list of worker groups. It reads the list from a pipe whose only writer
  is the controller: when the controller ends -- normally or by SIGKILL -- the
  pipe closes and the reaper kills every listed group, workers' children included.
* Elsewhere only the worker's watchdog thread applies.

:func:`lifeline` returns the right one of :class:`KillOnCloseJob` (Windows) and
:class:`GroupReaper` (POSIX); both take ``assign(pid)`` and ``close()``.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import threading
from typing import Any, Protocol

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


def lead_process_group() -> None:
    """POSIX: make this (worker) process the leader of a new process group.

    What it starts inherits the group, so the whole tree can be killed with one
    ``killpg``. No-op on Windows (the job object covers the tree there).
    """
    if os.name == "posix":
        with contextlib.suppress(OSError):
            os.setpgid(0, 0)


def kill_group(pid: int) -> None:
    """POSIX: SIGKILL the process group that worker ``pid`` leads (no-op elsewhere)."""
    if os.name == "posix":
        with contextlib.suppress(OSError):
            os.killpg(pid, signal.SIGKILL)


_REAPER = """# ofxpost-reaper: kills the listed process groups when stdin closes
import os, signal, sys
groups = set()
for line in sys.stdin:
    line = line.strip()
    if line[:1] == "+":
        groups.add(int(line[1:]))
    elif line[:1] == "-":
        groups.discard(int(line[1:]))
for group in groups:
    try:
        os.killpg(group, signal.SIGKILL)
    except OSError:
        pass
"""


class GroupReaper:
    """POSIX: kills the workers' process groups when the controller ends (see above).

    The reaper process (``python -I -S -c``, a few MiB) starts with the first
    :meth:`assign`. It runs in a session of its own, so a Ctrl-C at the terminal
    does not stop it before it has done its work.
    """

    def __init__(self) -> None:
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        self._closed = False

    def _start(self) -> subprocess.Popen[bytes] | None:
        if self._proc is None and not self._closed and sys.executable:
            with contextlib.suppress(OSError):
                self._proc = subprocess.Popen(
                    [sys.executable, "-I", "-S", "-c", _REAPER],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    start_new_session=True,
                    close_fds=True,
                )
        return self._proc

    def _send(self, line: str, start: bool) -> None:
        with self._lock:
            proc = self._start() if start else self._proc
            if proc is None or proc.stdin is None:
                return
            with contextlib.suppress(OSError, ValueError):
                proc.stdin.write(line.encode("ascii"))
                proc.stdin.flush()

    def assign(self, pid: int) -> None:
        """List worker ``pid``'s process group (the worker leads it)."""
        self._send(f"+{pid}\n", start=True)

    def release(self, pid: int) -> None:
        """Forget worker ``pid``'s group (its tree was killed already)."""
        self._send(f"-{pid}\n", start=False)

    def close(self) -> None:
        """Close the pipe: the reaper kills the groups still listed, then exits."""
        with self._lock:
            self._closed = True
            proc, self._proc = self._proc, None
        if proc is None:
            return
        with contextlib.suppress(OSError, ValueError):
            if proc.stdin is not None:
                proc.stdin.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5)


class Lifeline(Protocol):
    """What the pool needs to tie its workers' trees to the controller's life."""

    def assign(self, pid: int) -> None:
        """Tie worker ``pid`` (and what it starts) to the controller."""

    def close(self) -> None:
        """The pool is done: end whatever is still tied to it."""


def lifeline() -> Lifeline:
    """The job object on Windows, the process-group reaper on POSIX."""
    if os.name == "posix":
        return GroupReaper()
    return KillOnCloseJob()
