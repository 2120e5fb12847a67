"""The state of a batch that its metrics report, followed from its events.

:class:`BatchState` is shared by the Prometheus sink (:mod:`ofxpost._events.metrics`)
and the OpenTelemetry one (:mod:`ofxpost._events.otel`), so that both report the
same figures: files running and waiting, the budgets and what running files hold,
whether the batch runs and its exit code.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class HookSample:
    """One plugin's time in one hook on one file (an item of ``hook_s``)."""

    hook: str
    plugin: str
    seconds: float


@dataclass
class BatchState:
    """Gauges of one batch, updated by :meth:`update` from each event."""

    total: int = 0
    """Files in the batch."""
    batch_running: bool = False
    exit_code: int | None = None
    licences: int = 0
    """Licence tokens (0: unlimited)."""
    memory_budget: int = 0
    """The memory budget for file data in bytes (0: none)."""
    running: set[int] = field(default_factory=set)
    """Indexes of the files a worker runs now."""
    waiting: set[int] = field(default_factory=set)
    """Indexes of the files waiting for a budget."""
    held: dict[int, tuple[int, int]] = field(default_factory=dict)
    """Per running file: (licence tokens, memory bytes) it holds."""

    @property
    def licences_in_use(self) -> int:
        """Licence tokens held by running files."""
        return sum(h[0] for h in self.held.values())

    @property
    def memory_reserved(self) -> int:
        """Memory budget (bytes) held by running files."""
        return sum(h[1] for h in self.held.values())

    def update(self, event: dict[str, Any]) -> None:
        """Follow one event."""
        name = event.get("event")
        index = event.get("index")
        if name == "batch_started":
            self.total = int(event.get("total") or 0)
            self.batch_running = True
            self.licences = int(event.get("licences") or 0)
            self.memory_budget = int(event.get("memory_budget_bytes") or 0)
        elif name == "file_waiting" and isinstance(index, int):
            self.waiting.add(index)
        elif name == "file_started" and isinstance(index, int):
            self.waiting.discard(index)
            self.running.add(index)
            self.held[index] = (
                1 if event.get("licence") else 0,
                int(event.get("memory_bytes") or 0),
            )
        elif name in ("file_retry", "file_finished", "file_failed") and isinstance(index, int):
            self.running.discard(index)
            self.waiting.discard(index)
            self.held.pop(index, None)
        elif name == "batch_finished":
            self.running.clear()
            self.waiting.clear()
            self.held.clear()
            self.batch_running = False
            self.exit_code = int(event.get("exit_code", 1))


def hook_samples(event: dict[str, Any]) -> Iterator[HookSample]:
    """The ``hook_s`` items of a ``file_finished`` / ``file_failed`` event."""
    for item in event.get("hook_s") or ():
        yield HookSample(
            str(item.get("hook")), str(item.get("plugin")), max(0.0, float(item["seconds"]))
        )


def controller_rss() -> float:
    """The controller's resident memory in bytes (0 where psutil cannot read it)."""
    try:
        import psutil

        return float(psutil.Process().memory_info().rss)
    except Exception:
        return 0.0


__all__ = ["BatchState", "HookSample", "controller_rss", "hook_samples"]
