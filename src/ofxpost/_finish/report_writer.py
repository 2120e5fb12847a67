"""Error reports written off the event loop, on one background thread.

The controller claims a batch of error reports in the manifest (on the event loop,
:meth:`ofxpost._finish.per_file.PerFileOutputs.flush_error_reports`), then hands the
batch to a :class:`ReportWriter`: its thread checks each path, encodes each report and
writes it atomically, while the loop goes on taking results from the workers. A
report that cannot be written comes back as a :class:`ReportFailure`, which the
loop turns into an ``output_failed`` (and takes off the manifest's list) the next
time it looks; :meth:`ReportWriter.wait` waits for every batch handed over, so the
final manifest lists exactly the reports on disk.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ofxpost._core import atomic, jsontext

__all__ = ["ReportFailure", "ReportWriter"]

THREAD_NAME = "ofxpost-error-reports"
"""Name of the writer thread (one per batch with failing files)."""


@dataclass(frozen=True)
class ReportFailure:
    """An error report that could not be written: its path and why."""

    rel: str
    """The report's path relative to ``output_dir`` (``errors/<key>.json``)."""
    message: str
    """The error, as the ``output_failed`` event says it."""


class ReportWriter:
    """Writes batches of claimed error reports on one thread, in the order handed over."""

    def __init__(self, checked: Callable[[str], Path]) -> None:
        """:param checked: the absolute path of a report, raising :class:`OSError`
        when it leads outside ``output_dir``
        (:meth:`ofxpost._store.manifest.OutputLedger.checked`)."""
        self._checked = checked
        self._pool: ThreadPoolExecutor | None = None
        self._pending: list[Future[list[ReportFailure]]] = []

    def submit(self, reports: Sequence[tuple[str, dict[str, Any]]]) -> None:
        """Write ``reports`` (already claimed in the manifest) on the writer thread."""
        if not reports:
            return
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=THREAD_NAME)
        self._pending.append(self._pool.submit(self._write, list(reports)))

    def done(self) -> list[ReportFailure]:
        """The failures of the batches finished so far (without waiting for the others)."""
        finished = [future for future in self._pending if future.done()]
        self._pending = [future for future in self._pending if not future.done()]
        return [failure for future in finished for failure in future.result()]

    def wait(self) -> list[ReportFailure]:
        """Wait for every batch handed over; their failures. The thread then ends."""
        failures = [failure for future in self._pending for failure in future.result()]
        self._pending = []
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        return failures

    def _write(self, reports: list[tuple[str, dict[str, Any]]]) -> list[ReportFailure]:
        failures: list[ReportFailure] = []
        made: set[Path] = set()
        for rel, report in reports:
            try:
                target = self._checked(rel)
                if target.parent not in made:
                    target.parent.mkdir(exist_ok=True)
                    made.add(target.parent)
                atomic.write_text(target, jsontext.key_per_line(report))
            except OSError as exc:
                failures.append(ReportFailure(rel, f"error report {rel!r} not written: {exc}"))
        return failures
