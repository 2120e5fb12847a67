"""Plugin output in the controller: what aggregators, writers and observers print.

Plugin code that runs in the controller -- ``ofxpost_aggregate``,
``ofxpost_write_outputs`` and the observer hooks ``ofxpost_batch_started``,
``ofxpost_file_finished`` and ``ofxpost_batch_finished`` -- may print too. Left
alone, a ``print()`` would land in the controller's stdout, between the JSON event
lines. While such code runs, descriptors 1 and 2 and ``sys.stdout``/``sys.stderr``
point at ``output_dir/logs/controller.log`` (see :mod:`ofxpost._worker.capture`); the log is
started afresh by each batch and deleted when nothing was printed.

The one exception is ``ofxpost_file_finished`` in sequential mode: the files run on
a thread of the controller whose own capture (the file's log) may be in force at the
same moment, and the two cannot be nested from different threads, so it is not
captured there.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path

from ofxpost._worker.capture import LOGS_DIR, captured

CONTROLLER_LOG = "controller.log"
"""File of ``output_dir/logs`` that holds the output of plugin code run in the controller."""


class ControllerOutput:
    """Captures the output of plugin code run in the controller for one batch."""

    def __init__(self, output_dir: Path) -> None:
        self.path = output_dir / LOGS_DIR / CONTROLLER_LOG
        self._lock = threading.Lock()
        self._started = False
        self._active = threading.local()

    @contextlib.contextmanager
    def captured(self, enabled: bool = True) -> Iterator[None]:
        """Send this thread's plugin output to :attr:`path` while the block runs.

        Nested use on one thread captures once; ``enabled=False`` captures nothing.
        """
        if not enabled or getattr(self._active, "on", False):
            yield
            return
        with self._lock:
            append, self._started = self._started, True
        self._active.on = True
        try:
            with captured(self.path, append=append, python_level=True):
                yield
        finally:
            self._active.on = False
            with contextlib.suppress(OSError):  # nothing was printed: no empty logs/
                self.path.parent.rmdir()

    @property
    def log(self) -> str | None:
        """The log's path if plugin code printed something, else ``None``."""
        return str(self.path) if self.path.is_file() else None
