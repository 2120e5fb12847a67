"""Atomic file writes: a temporary file in the same folder, then one rename.

A reader (or a run killed with SIGKILL half-way) sees either the old file or the
complete new one, never a torn or empty file: the data goes to a temporary file
beside the target, which :func:`os.replace` then renames over the target. A rename
within one folder is atomic on POSIX file systems and on NTFS.

With ``fsync=True`` the data (and, on POSIX, the folder entry) is also flushed to
the disk before the function returns, so the file survives a power cut as well; it
costs one or two disk flushes per file. Windows cannot open a folder to flush it,
so there only the file's data is flushed.

On Windows :func:`os.replace` fails with :class:`PermissionError` while another
program (Excel, a viewer) holds the target open; the temporary file is then removed
and the error is raised, the old file left as it was.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

TEMP_SUFFIX = ".ofxpost-tmp"
"""Every temporary file name ends with this suffix (so leftovers are recognisable)."""


def temporary_path(target: Path) -> Path:
    """A fresh temporary path beside ``target`` (same folder, hidden, unique).

    The name ends with :data:`TEMP_SUFFIX`, not the target's suffix, so a library
    that infers a format from the suffix must be told the format explicitly.
    """
    return target.with_name(f".{target.name}.{secrets.token_hex(4)}{TEMP_SUFFIX}")


def _fsync_folder(folder: Path) -> None:
    if os.name == "nt":  # folders cannot be opened for flushing on Windows
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_file(path: Path) -> None:
    with open(path, "rb+") as handle:
        os.fsync(handle.fileno())


@contextlib.contextmanager
def atomic_path(target: Path, *, fsync: bool = False) -> Iterator[Path]:
    """Yield a temporary path to write to; rename it over ``target`` on success.

    ::

        with atomic_path(out / "table.csv") as tmp:
            frame.to_csv(tmp)

    If the block raises, the temporary file is removed, ``target`` is untouched
    and the exception propagates.
    """
    tmp = temporary_path(target)
    try:
        yield tmp
        if fsync:
            _fsync_file(tmp)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    if fsync:
        _fsync_folder(target.parent)


def write_bytes(target: Path, data: bytes, *, fsync: bool = False) -> Path:
    """Write ``data`` to ``target`` atomically; return ``target``."""
    with atomic_path(target, fsync=fsync) as tmp:
        tmp.write_bytes(data)
    return target


def write_text(target: Path, text: str, *, encoding: str = "utf-8", fsync: bool = False) -> Path:
    """Write ``text`` to ``target`` atomically (``\\n`` line endings kept); return ``target``."""
    return write_bytes(target, text.encode(encoding), fsync=fsync)
