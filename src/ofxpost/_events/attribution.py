"""The fields that attribute a failure event to its cause.

``file_failed``, ``extractor_failed`` and the like carry, beside their message:
``plugin`` and ``hook`` (where the plugin code ran; for a crash or a timeout, the
worker's last mark, see :mod:`ofxpost._worker.whereabouts`), ``exception_type``,
``traceback`` (bounded to :data:`TRACEBACK_LIMIT` characters, its end kept),
``distribution`` (``"<name> <version>"`` of the plugin's installed distribution) and
``error_report`` (the path of the file's ``errors/*.json`` report, when one is
written).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from ofxpost._core.records import ErrorRecord, Job
from ofxpost.event_types import ErrorFields

TRACEBACK_LIMIT = 4000
"""Most characters of a traceback in an event (the full one is in the error report)."""

ERRORS_DIR = "errors"
"""The folder of the error reports under ``output_dir``."""


def bounded_traceback(text: str, limit: int = TRACEBACK_LIMIT) -> str | None:
    """``text`` cut to its last ``limit`` characters (``None`` when empty)."""
    if not text:
        return None
    if len(text) <= limit:
        return text
    return "...(cut)\n" + text[-limit:]


def error_report_path(output_dir: Path, job: Job) -> Path:
    """Where the error report of ``job`` is written (``errors/<key>.json``)."""
    return output_dir / ERRORS_DIR / f"{job.key or f'{job.index:05d}_{job.path.name}'}.json"


class Attribution:
    """Builds the attribution fields of one batch's failure events (see the module)."""

    def __init__(
        self, distribution: Callable[[str], str | None], output_dir: Path, reports: bool
    ) -> None:
        self._distribution = distribution
        """Finds a plugin's ``"<name> <version>"`` (given by the caller: a lower layer
        than the plugin manager's owner)."""
        self.output_dir = output_dir
        self.reports = reports
        self._errors_dir = str(output_dir / ERRORS_DIR)
        self._dists: dict[str, str | None] = {}

    def distribution(self, plugin: str | None) -> str | None:
        """The distribution of ``plugin`` (cached: it is looked up once per plugin)."""
        if plugin is None:
            return None
        if plugin not in self._dists:
            try:
                self._dists[plugin] = self._distribution(plugin)
            except Exception:
                self._dists[plugin] = None
        return self._dists[plugin]

    def report(self, job: Job) -> str | None:
        """The path of ``job``'s error report, when reports are written (the text of
        :func:`error_report_path`, joined as text: this runs once per failing file)."""
        if not self.reports:
            return None
        name = f"{job.key or f'{job.index:05d}_{job.path.name}'}.json"
        return os.path.join(self._errors_dir, name)

    def fields(self, error: ErrorRecord, job: Job) -> ErrorFields:
        """The attribution fields of ``error`` of ``job``."""
        return {
            "hook": error.hook,
            "exception_type": error.exception_type or None,
            "traceback": bounded_traceback(error.traceback),
            "distribution": self.distribution(error.plugin),
            "error_report": self.report(job),
        }
