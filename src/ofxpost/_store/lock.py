"""One run per ``output_dir``: an operating-system file lock plus a note of its holder.

A run takes ``output_dir/.ofxpost/lock`` with :mod:`filelock` (``fcntl.flock`` on
POSIX, ``msvcrt.locking`` on Windows) before it touches anything else in the folder,
and writes its holder -- process id, host name, start time -- next to it in
``output_dir/.ofxpost/lock.json``. The operating system releases the lock when the
holding process dies, however it dies, so a run killed with SIGKILL (or
TerminateProcess) never blocks the next one. A second run on a folder in use fails at
once with :class:`~ofxpost.errors.OutputDirLockedError` naming the holder.

A holder note that is still there when a run takes the lock belongs to a run that
ended without releasing it (killed); the new run takes over and reports it (see
:attr:`OutputDirLock.took_over`). On a file system without OS locks :mod:`filelock`
falls back to a lock file whose mere existence is the lock; such a file left behind
by a dead process (its pid gone on this host) is removed and taken over the same way.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import os
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import filelock
import psutil

from ofxpost._core import atomic
from ofxpost.errors import OutputDirLockedError, OutputError

LOCK_DIR = ".ofxpost"
"""Folder of ``output_dir`` holding the lock (shared with the result store)."""

LOCK_NAME = "lock"
"""The lock file itself (its content is meaningless)."""

HOLDER_NAME = "lock.json"
"""The note naming the lock's holder: ``{"pid", "host", "started"}``."""


@dataclass(frozen=True)
class Holder:
    """Who holds (or held) an ``output_dir`` lock."""

    pid: int
    host: str
    started: str
    """ISO-8601 UTC time at which the holder took the lock."""

    def describe(self) -> str:
        """``pid 123 on host h, started 2026-...Z``."""
        return f"pid {self.pid} on host {self.host}, started {self.started}"

    def is_dead(self) -> bool:
        """True when the holder ran on this host and its process no longer exists."""
        return self.host == socket.gethostname() and not psutil.pid_exists(self.pid)


def prepare_output_dir(output_dir: Path) -> None:
    """Create ``output_dir`` (and ``.ofxpost`` in it) or explain why it cannot be used.

    :raises OutputError: naming the path and the operating-system error.
    """
    if output_dir.exists() and not output_dir.is_dir():
        raise OutputError(f"output_dir {output_dir}: not a folder (a file is in the way)")
    try:
        (output_dir / LOCK_DIR).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"output_dir {output_dir}: cannot create it: {_reason(exc)}") from None


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def read_holder(path: Path) -> Holder | None:
    """The holder note at ``path``, or ``None`` if missing or unreadable."""
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
        return Holder(pid=int(data["pid"]), host=str(data["host"]), started=str(data["started"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


class OutputDirLock:
    """The lock of one ``output_dir``; :meth:`acquire` it, then :meth:`release` it."""

    def __init__(self, output_dir: Path) -> None:
        self.output_dir = output_dir
        self.lock_path = output_dir / LOCK_DIR / LOCK_NAME
        self.holder_path = output_dir / LOCK_DIR / HOLDER_NAME
        # not thread-local: the lock is taken on a worker thread and released on the loop
        self._lock = filelock.FileLock(str(self.lock_path), timeout=0, thread_local=False)
        self.took_over: Holder | None = None
        """The holder of a stale lock this run took over, if any."""

    def acquire(self) -> None:
        """Take the lock now or fail at once.

        :raises OutputDirLockedError: another run holds it (the message names it).
        :raises OutputError: the folder cannot be used.
        """
        prepare_output_dir(self.output_dir)
        if not self._try_acquire():
            holder = read_holder(self.holder_path)
            if holder is not None and holder.is_dead():
                # a lock file without OS locking, left by a dead run: take it over
                with contextlib.suppress(OSError):
                    self.lock_path.unlink()
                if self._try_acquire():
                    self._took(holder)
                    return
            who = holder.describe() if holder is not None else "holder not yet recorded"
            raise OutputDirLockedError(
                f"output_dir {self.output_dir}: in use by another ofxpost run ({who}); "
                "wait for it to finish or choose another output_dir"
            )
        self._took(read_holder(self.holder_path))

    def _try_acquire(self) -> bool:
        try:
            self._lock.acquire(timeout=0)
        except filelock.Timeout:
            return False
        except NotImplementedError:
            # older filelock on a file system without flock: use a plain lock file
            self._lock = filelock.SoftFileLock(str(self.lock_path), timeout=0, thread_local=False)
            return self._try_acquire()
        except OSError as exc:
            raise OutputError(
                f"output_dir {self.output_dir}: cannot create the lock file "
                f"{self.lock_path}: {_reason(exc)}"
            ) from None
        return True

    def _took(self, stale: Holder | None) -> None:
        self.took_over = stale
        note = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started": _dt.datetime.now(_dt.UTC).isoformat().replace("+00:00", "Z"),
        }
        try:
            atomic.write_text(self.holder_path, json.dumps(note) + "\n")
        except OSError as exc:
            self._lock.release()
            raise OutputError(
                f"output_dir {self.output_dir}: cannot write {self.holder_path}: {_reason(exc)}"
            ) from None

    def stale_message(self) -> str | None:
        """A warning text when a stale lock was taken over, else ``None``."""
        stale = self.took_over
        if stale is None:
            return None
        state = "its process is gone" if stale.is_dead() else "it no longer held the lock"
        return (
            f"output_dir {self.output_dir}: took over the lock of an earlier run that "
            f"ended without releasing it ({stale.describe()}; {state})"
        )

    @property
    def is_locked(self) -> bool:
        """Whether this object holds the lock."""
        return bool(self._lock.is_locked)

    def release(self) -> None:
        """Remove the holder note and release the lock (idempotent)."""
        if not self._lock.is_locked:
            return
        with contextlib.suppress(OSError):
            self.holder_path.unlink()
        self._lock.release()
