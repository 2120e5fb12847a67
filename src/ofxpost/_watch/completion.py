"""When a file being written counts as complete.

A simulation (or an archive) is written once, at the end of its run, and a large
one takes a while to write. A file is *complete* when

1. its size and modification time have not changed for ``settle_s`` seconds, and
2. it can be read: a result archive (``*.ofx.parquet``) must carry its Parquet footer
   (``PAR1`` at both ends, and a footer pyarrow can parse); any other file must open
   for reading.

A half-written file is therefore never handed to the engine, so it is never read as
corrupt: it is reported as incomplete (``input_incomplete``) and looked at again.
A file that changes after it was complete (rewritten) becomes pending again.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from ofxpost._archive.format import ARCHIVE_SUFFIX

PARQUET_MAGIC = b"PAR1"


@dataclass
class _Seen:
    size: int
    mtime_ns: int
    since: float
    """Monotonic time when this size and mtime were first seen."""
    complete: bool = False
    reported: tuple[int, str] | None = None
    """The (size, reason) last reported as incomplete (reported once each)."""


def unreadable_reason(path: Path) -> str | None:
    """Why ``path`` cannot be read as a whole file yet, or ``None`` when it can."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(4)
            if not path.name.lower().endswith(ARCHIVE_SUFFIX):
                return None
            if head != PARQUET_MAGIC:
                return "no Parquet header yet"
            handle.seek(-4, 2)
            if handle.read(4) != PARQUET_MAGIC:
                return "no Parquet footer yet (still being written)"
    except OSError as exc:
        return f"cannot be opened yet ({exc.strerror or exc})"
    try:
        import pyarrow.parquet as pq

        pq.read_metadata(path)
    except Exception as exc:
        return f"Parquet footer unreadable ({type(exc).__name__})"
    return None


class CompletionTracker:
    """Follows candidate input files until each is complete.

    Call :meth:`observe` with the current candidates (a scan); it returns the files
    that became complete in this scan, in the order given. ``on_new`` and
    ``on_incomplete`` are told about new files and files still being written.
    """

    def __init__(
        self,
        settle_s: float,
        *,
        on_new: Callable[[Path, int], None] | None = None,
        on_incomplete: Callable[[Path, int, str], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settle_s = settle_s
        self.on_new = on_new
        self.on_incomplete = on_incomplete
        self.clock = clock
        self._seen: dict[Path, _Seen] = {}

    @property
    def pending(self) -> list[Path]:
        """Files seen but not (yet) complete."""
        return [p for p, s in self._seen.items() if not s.complete]

    @property
    def complete(self) -> list[Path]:
        """Files complete as of the last scan."""
        return [p for p, s in self._seen.items() if s.complete]

    def is_complete(self, path: Path) -> bool:
        """Whether ``path`` was complete at the last scan."""
        seen = self._seen.get(path)
        return seen is not None and seen.complete

    def next_check_in(self) -> float | None:
        """Seconds until a pending file may settle (``None``: nothing pending)."""
        now = self.clock()
        waits = [
            max(0.0, s.since + self.settle_s - now) for s in self._seen.values() if not s.complete
        ]
        return min(waits) if waits else None

    def observe(self, candidates: Iterable[Path]) -> list[Path]:
        """Look at ``candidates`` now; return those that just became complete."""
        now = self.clock()
        newly: list[Path] = []
        present: set[Path] = set()
        for path in candidates:
            present.add(path)
            try:
                stat = path.stat()
            except OSError:
                continue  # gone between the scan and now
            seen = self._seen.get(path)
            if seen is None:
                # a file untouched for settle_s already (present at start) is settled
                age = max(0.0, time.time() - stat.st_mtime_ns / 1e9)
                since = now - age if age >= self.settle_s else now
                seen = self._seen[path] = _Seen(stat.st_size, stat.st_mtime_ns, since)
                if self.on_new is not None:
                    self.on_new(path, stat.st_size)
            elif (seen.size, seen.mtime_ns) != (stat.st_size, stat.st_mtime_ns):
                if seen.complete and self.on_new is not None:
                    self.on_new(path, stat.st_size)  # rewritten after it was complete
                seen.size, seen.mtime_ns, seen.since = stat.st_size, stat.st_mtime_ns, now
                seen.complete = False
            if seen.complete:
                continue
            if now - seen.since < self.settle_s:
                self._incomplete(path, seen, "still being written (size or time changing)")
                continue
            reason = unreadable_reason(path)
            if reason is not None:
                self._incomplete(path, seen, reason)
                continue
            seen.complete = True
            newly.append(path)
        for gone in [p for p in self._seen if p not in present]:
            del self._seen[gone]
        return newly

    def _incomplete(self, path: Path, seen: _Seen, reason: str) -> None:
        key = (seen.size, reason)
        if seen.reported == key:
            return
        seen.reported = key
        if self.on_incomplete is not None:
            self.on_incomplete(path, seen.size, reason)
