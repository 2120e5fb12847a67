"""The executor a watch keeps for all its refreshes, and how many workers it has."""

from __future__ import annotations

import os
import threading
from concurrent.futures import Future

from ofxpost._config.model import Config
from ofxpost._core.records import FileRecord, Job
from ofxpost._executors.protocol import FileExecutor, JobStarted


class KeptExecutor:
    """One executor kept for every refresh: started once, shut down by the watch.

    Each refresh's orchestrator gets this wrapper from the factory; its
    ``shutdown`` does nothing, so the workers outlive the refresh.
    """

    def __init__(self, real: FileExecutor, route: list[JobStarted]) -> None:
        self.real = real
        self.route = route
        self.name = real.name
        self.address = real.address
        self.enforces_timeout = real.enforces_timeout
        self.queue_depth = int(getattr(real, "queue_depth", 1))
        self._lock = threading.Lock()
        self._started = False
        self._closed = False

    def start(self) -> None:
        """Start the real executor, once (refused once the watch is ending)."""
        with self._lock:
            if self._closed:
                raise RuntimeError("the watch is ending")
            if not self._started:
                self.real.start()
                self.address = self.real.address
                self._started = True

    def submit(self, job: Job) -> Future[FileRecord]:
        """Send ``job`` to the real executor."""
        return self.real.submit(job)

    def kill(self, future: Future[FileRecord]) -> None:
        """Stop the file of ``future`` (its worker is replaced)."""
        self.real.kill(future)

    def shutdown(self, *, cancel: bool) -> None:
        """Kept for the next refresh (the watch closes it with :meth:`close`)."""

    def close(self) -> None:
        """Shut the real executor down at the end of the watch."""
        with self._lock:
            self._closed = True
            started = self._started
        if started:
            self.real.shutdown(cancel=True)


def pool_workers(config: Config, workers: int | None) -> int:
    """The kept workers: ``workers``, else ``max_workers`` (``auto``: one per CPU)."""
    requested = workers if workers is not None else config.parallel_processing.max_workers
    return max(1, os.cpu_count() or 1) if requested == "auto" else max(1, int(requested))
