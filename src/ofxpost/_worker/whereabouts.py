"""Where a worker is: the hook and plugin it is running, readable after it dies.

A worker that crashes or is killed at ``timeout_per_file`` cannot say which plugin
it was in. So, for each attempt at a file, the worker keeps a small marker file,
``<output_dir>/.ofxpost/hooks/<index>-<attempt>``, and rewrites its first bytes
before every hook implementation it calls (one ``lseek`` and one ``write`` of
:data:`WIDTH` bytes: no flush, no fsync -- the page cache outlives the process). A
file that finishes removes its marker; after a crash or a timeout the controller
reads it (:func:`read_marker`) to name the plugin and hook in ``file_failed``, then
removes it.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

from ofxpost._core.records import Job

HOOKS_DIR = Path(".ofxpost") / "hooks"
"""Where the markers live, under ``output_dir``."""

WIDTH = 256
"""Bytes of a marker: a record is padded (or cut) to this size, so a shorter one
overwrites a longer one in full."""

_made: set[Path] = set()


@dataclass(frozen=True)
class Whereabouts:
    """The hook and plugin a worker was running when last marked."""

    hook: str
    plugin: str | None


def marker_path(output_dir: Path, job: Job) -> Path:
    """The marker of ``job``'s current attempt."""
    return output_dir / HOOKS_DIR / f"{job.index}-{job.attempt}"


class HookMarker:
    """The marker of one attempt, open for the attempt's duration (a context manager).

    Marking never raises: a marker that cannot be written (read-only or full disk)
    costs the attribution of a crash, never the file.
    """

    def __init__(self, output_dir: Path, job: Job) -> None:
        self.path = marker_path(output_dir, job)
        self._fd: int | None = None
        try:
            folder = self.path.parent
            if folder not in _made:
                folder.mkdir(parents=True, exist_ok=True)
                _made.add(folder)
            flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0)
            self._fd = os.open(self.path, flags, 0o644)
        except OSError:
            self._fd = None

    def mark(self, hook: str, plugin: str | None) -> None:
        """Record that ``plugin``'s implementation of ``hook`` runs now."""
        fd = self._fd
        if fd is None:
            return
        record = f"{hook}\t{plugin or ''}\n".encode("utf-8", "replace")[:WIDTH]
        try:
            os.lseek(fd, 0, os.SEEK_SET)
            os.write(fd, record.ljust(WIDTH, b" "))
        except OSError:
            pass

    def close(self) -> None:
        """Close and remove the marker (the attempt ended in the worker)."""
        fd, self._fd = self._fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)
            with contextlib.suppress(OSError):
                self.path.unlink()

    def __enter__(self) -> HookMarker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_marker(output_dir: Path, job: Job) -> Whereabouts | None:
    """The last mark of ``job``'s current attempt (``None``: none), and remove it.

    Called by the controller once the attempt's worker crashed or was killed.
    """
    path = marker_path(output_dir, job)
    try:
        text = path.read_bytes()[:WIDTH].decode("utf-8", "replace")
    except OSError:
        return None
    with contextlib.suppress(OSError):
        path.unlink()
    hook, _, plugin = text.rstrip(" \n\x00").partition("\t")
    if not hook:
        return None
    return Whereabouts(hook=hook, plugin=plugin or None)

