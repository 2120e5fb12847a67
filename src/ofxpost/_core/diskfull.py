"""Disk full: telling a full (or over-quota) disk from other write errors.

A write that fails because the disk is full is a result, never a traceback: the
orchestrator and the finish phase turn it into an ``output_failed`` (or a failed
file whose result could not be stored) and go on to ``batch_finished``. A file a
plugin could not finish because the disk was full is run again by ``--resume``
(:meth:`ofxpost._store.store.ResultStore.reusable`), so that the batch can end ``complete``
once there is space.
"""

from __future__ import annotations

import errno

from ofxpost._core.records import ErrorRecord

DISK_FULL_ERRNOS = frozenset(
    code for code in (errno.ENOSPC, getattr(errno, "EDQUOT", None)) if code is not None
)
"""``errno`` values of a full disk or an exhausted quota."""

DISK_FULL_WINERRORS = frozenset({39, 112})
"""Windows error codes of a full disk (``ERROR_HANDLE_DISK_FULL``, ``ERROR_DISK_FULL``)."""

_MESSAGES = (
    "No space left on device",
    "Disk quota exceeded",
    "There is not enough space on the disk",
    "[Errno 28]",
)


def is_disk_full(exc: BaseException) -> bool:
    """Whether ``exc`` (or an exception it was raised from) is a full disk."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and (
            current.errno in DISK_FULL_ERRNOS
            or getattr(current, "winerror", None) in DISK_FULL_WINERRORS
        ):
            return True
        current = current.__cause__ or current.__context__
    return False


def error_is_disk_full(error: ErrorRecord) -> bool:
    """Whether a stored error (from a worker) says the disk was full."""
    text = f"{error.message}\n{error.traceback}"
    return any(marker in text for marker in _MESSAGES)


__all__ = ["DISK_FULL_ERRNOS", "DISK_FULL_WINERRORS", "error_is_disk_full", "is_disk_full"]
