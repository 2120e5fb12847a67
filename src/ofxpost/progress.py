"""Event sinks for the terminal: a rich progress bar and plain console lines."""

from __future__ import annotations

import sys
from typing import IO, Any

from ofxpost.events import Event

_FAILURE_EVENTS = {
    "file_failed",
    "worker_crashed",
    "file_timeout",
    "extractor_failed",
    "output_failed",
}
_CHATTY_EVENTS = {"progress", "output_written"}
"""Events printed by :class:`ConsoleLines` only when verbose (one per file or step)."""


class ProgressBar:
    """A rich progress bar naming the files in flight; failures print above it."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.console = Console(file=stream or sys.stderr)
        self.progress = Progress(
            TextColumn("[bold]ofxpost[/bold]"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[failed]} failed"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            TextColumn("{task.fields[flight]}"),
            console=self.console,
            transient=False,
        )
        self.task: Any = None
        self.in_flight: dict[int, str] = {}

    def __enter__(self) -> ProgressBar:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def _flight(self) -> str:
        names = [self.in_flight[i] for i in sorted(self.in_flight)]
        text = ", ".join(names[:3])
        if len(names) > 3:
            text += f" +{len(names) - 3}"
        return text

    def __call__(self, event: Event) -> None:
        name = event["event"]
        if name == "batch_started":
            self.task = self.progress.add_task("batch", total=event["total"], failed=0, flight="")
            return
        if self.task is None:
            return
        if name == "file_started":
            self.in_flight[event["index"]] = _short(event["file"])
        elif name in ("file_finished", "file_failed"):
            self.in_flight.pop(event["index"], None)
        elif name == "progress":
            self.progress.update(self.task, completed=event["done"], failed=event.get("failed", 0))
        if name in _FAILURE_EVENTS or name in ("warning", "mode_selected", "batch_cancelled"):
            self.console.print(console_line(event), highlight=False, markup=False)
        self.progress.update(self.task, flight=self._flight())


class ConsoleLines:
    """Plain, human-readable lines (one per notable event) for a log or a pipe."""

    def __init__(self, stream: IO[str] | None = None, verbose: bool = False) -> None:
        self.stream = stream or sys.stderr
        self.verbose = verbose

    def __call__(self, event: Event) -> None:
        if event["event"] in _CHATTY_EVENTS and not self.verbose:
            return
        print(console_line(event), file=self.stream, flush=True)


def _short(path: str) -> str:
    return path.replace("\\", "/").rsplit("/", 1)[-1]


def console_line(event: Event) -> str:
    """One human-readable line describing ``event``."""
    name = event["event"]
    file = _short(event["file"]) if event.get("file") else ""
    if name == "mode_selected":
        return f"mode: {event['mode']} ({event['reason']})"
    if name == "file_failed":
        return f"FAILED {file} [{event['kind']}]: {event['message']}"
    if name == "extractor_failed":
        return f"extractor {event['plugin']} failed on {file}: {event['message']}"
    if name == "worker_crashed":
        return f"worker {event['worker_pid']} crashed on {file} (exit code {event['exitcode']})"
    if name == "file_timeout":
        return f"timeout: {file} ran past {event['timeout_s']} s"
    if name == "file_retry":
        return f"retry {file} (attempt {event['attempt']}, {event['kind']}) in {event['delay_s']} s"
    if name == "file_finished":
        return f"done {file} ({event['status']}, {event['duration_s']:.2f} s)"
    if name == "file_started":
        return f"start {file} on worker {event['worker_pid']}"
    if name == "warning":
        return f"warning: {event['message']}"
    if name == "progress":
        return f"progress {event['done']}/{event['total']}"
    if name == "output_failed":
        return f"OUTPUT FAILED [{event['stage']}]: {event['message']}"
    if name == "output_written":
        return f"wrote {event['path']} ({event['bytes']} bytes)"
    if name == "aggregation_started":
        return f"aggregating {event['files']} files"
    if name == "aggregation_finished":
        return f"aggregated: {event['tables']} tables in {event['seconds']:.2f} s"
    if name == "batch_finished":
        return (
            f"finished: {event['succeeded']} ok, {event['partial']} partial, "
            f"{event['failed']} failed of {event['total']} in {event['wall_s']:.1f} s"
        )
    fields = ", ".join(f"{k}={v}" for k, v in event.items() if k not in _ENVELOPE)
    return f"{name}: {fields}"


_ENVELOPE = {"event", "schema_version", "batch_id", "timestamp", "level"}
