"""Plugin output in the controller: what aggregators, writers and observers print.

Plugin code that runs in the controller -- ``ofxpost_aggregate``,
``ofxpost_write_outputs`` and the observer hooks ``ofxpost_batch_started``,
``ofxpost_file_finished`` and ``ofxpost_batch_finished`` -- may print too. Left
alone, a ``print()`` would land in the controller's stdout, between the JSON event
lines. While such code runs, descriptors 1 and 2 and ``sys.stdout``/``sys.stderr``
point at a log in ofxpost's own folder (``output_dir/.ofxpost/controller.log``, see
:mod:`ofxpost._worker.capture`), started afresh by each batch. At the end of the batch
a log that holds something is listed in the manifest and moved to
``output_dir/logs/controller.log`` (:meth:`ControllerOutput.publish`); an empty one is
removed. So a run killed at any moment leaves no file in ``output_dir`` that the
manifest does not list.

The one exception is ``ofxpost_file_finished`` in sequential mode: the files run on
a thread of the controller whose own capture (the file's log) may be in force at the
same moment, and the two cannot be nested from different threads, so it is not
captured there.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from ofxpost._worker.capture import LOGS_DIR, captured

CONTROLLER_LOG = "controller.log"
"""File of ``output_dir/logs`` that holds the output of plugin code run in the controller."""


class ControllerOutput:
    """Captures the output of plugin code run in the controller for one batch."""

    def __init__(self, output_dir: Path) -> None:
        self.path = output_dir / LOGS_DIR / CONTROLLER_LOG
        """Where the log is published at the end of the batch."""
        self.live = output_dir / ".ofxpost" / CONTROLLER_LOG
        """Where plugin output goes while the batch runs."""
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
            with captured(self.live, append=append, python_level=True):
                yield
        finally:
            self._active.on = False

    def publish(self, claim: Callable[[str], None]) -> None:
        """At the end of the batch: list the log as an output (``claim`` the path
        relative to ``output_dir``) and move it to :attr:`path`; remove an empty one."""
        try:
            size = self.live.stat().st_size
        except OSError:
            return
        with contextlib.suppress(OSError):
            if size == 0:
                self.live.unlink()
                return
            claim(f"{LOGS_DIR}/{CONTROLLER_LOG}")
            self.path.parent.mkdir(exist_ok=True)
            os.replace(self.live, self.path)

    @property
    def log(self) -> str | None:
        """The log's path if plugin code printed something, else ``None``."""
        return str(self.path) if self.path.is_file() else None
