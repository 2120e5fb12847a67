"""Plugin output capture: what a file's plugins print goes to that file's log.

Plugins (and the native libraries under them) write to stdout and stderr: through
``print()``, through ``os.write(1, ...)``, or from C code. Left alone, a worker's
output would land in the controller's stdout and corrupt ``--log-format json``.
So while a file runs, file descriptors 1 and 2 (and, with ``--in-process``, Python's
``sys.stdout``/``sys.stderr``) point at the file's log,
``output_dir/logs/<key>.log`` (the job's unique key, ``a~case_001``). A log that stays
empty is deleted;
a kept log's path is in the file's record (``FileRecord.log``) and in its
``file_finished``/``file_failed`` event. Between files a worker's descriptors 1 and 2
point at the null device.

The redirection uses ``os.dup2``, which works on POSIX and Windows alike; on
Windows the process's standard handles (``SetStdHandle``) are pointed at the same
file too, for native code that writes to them directly.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

from ofxpost._core.records import Job

LOGS_DIR = "logs"
"""Folder of ``output_dir`` that holds the per-file output logs."""

_LOCK = threading.Lock()


def log_path(output_dir: Path, job: Job) -> Path:
    """Where ``job``'s plugin output is logged: ``logs/<key>.log``, named from the
    job's unique key (:attr:`ofxpost.Job.key`); ``<index>_<file name>`` without one."""
    name = job.key or f"{job.index:05d}_{job.path.name}"
    return output_dir / LOGS_DIR / f"{name}.log"


def existing_log(output_dir: Path, job: Job) -> str | None:
    """``job``'s log path if a non-empty log exists, else ``None``.

    Call it only once ``job``'s worker is done with the file (it died, was killed or
    returned): an empty log it left behind is deleted.
    """
    path = log_path(output_dir, job)
    try:
        if path.stat().st_size > 0:
            return str(path)
        path.unlink()
    except OSError:
        pass
    return None


def _flush_std() -> None:
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        if stream is not None:
            with contextlib.suppress(Exception):
                stream.flush()


def _set_std_handles() -> None:
    """Windows: point the Win32 standard handles at descriptors 1 and 2."""
    if sys.platform != "win32":
        return
    with contextlib.suppress(Exception):  # pragma: no cover - Windows only
        import ctypes
        import msvcrt

        kernel32 = ctypes.WinDLL("kernel32")
        kernel32.SetStdHandle(-11, msvcrt.get_osfhandle(1))
        kernel32.SetStdHandle(-12, msvcrt.get_osfhandle(2))


def point_std_fds(fd: int) -> None:
    """Point descriptors 1 and 2 at ``fd`` (flushing Python's buffers first)."""
    _flush_std()
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    _set_std_handles()


def silence_std_fds() -> None:
    """Point descriptors 1 and 2 at the null device (a worker between files)."""
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        point_std_fds(null)
    finally:
        os.close(null)


@contextlib.contextmanager
def captured(path: Path, *, append: bool = False, python_level: bool = False) -> Iterator[None]:
    """Send descriptors 1 and 2 (and, with ``python_level``, ``sys.stdout`` and
    ``sys.stderr``) to ``path`` while the block runs; delete ``path`` if it stays empty.
    """
    with _LOCK:
        flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if append else os.O_TRUNC)
        flags |= getattr(os, "O_BINARY", 0)
        for _ in range(5):  # the controller may remove an empty logs/ folder meanwhile
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                log = os.open(path, flags, 0o666)
                break
            except FileNotFoundError:
                continue
        else:
            log = os.open(path, flags, 0o666)
        saved = (os.dup(1), os.dup(2))
        old_streams = (sys.stdout, sys.stderr)
        text: io.TextIOWrapper | None = None
        try:
            point_std_fds(log)
            if python_level:
                text = io.TextIOWrapper(
                    open(os.dup(log), "ab", buffering=0),  # noqa: SIM115 - closed below
                    encoding="utf-8",
                    errors="backslashreplace",
                    line_buffering=True,
                    write_through=True,
                )
                sys.stdout = sys.stderr = text
            yield
        finally:
            if python_level:
                sys.stdout, sys.stderr = old_streams
                if text is not None:
                    with contextlib.suppress(Exception):
                        text.close()
            _flush_std()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            _set_std_handles()
            for fd in (*saved, log):
                os.close(fd)
            with contextlib.suppress(OSError):
                if path.stat().st_size == 0:
                    path.unlink()
