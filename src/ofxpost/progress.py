"""Event sinks for the command line: JSON lines, a rich progress bar, plain lines.

The command line writes events to *duplicates* of the standard streams taken when it
starts (:class:`OriginalStreams`), so that code which redirects file descriptors 1
and 2 later on (a plugin's output captured at the descriptor level) never swallows
or corrupts the events.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

from ofxpost.printable import escape_controls

if TYPE_CHECKING:  # the command line imports this module before any event exists
    from ofxpost.events import Event

LEVELS = ("debug", "info", "warning", "error")
"""Event levels, least severe first."""

_GONE_ERRNOS = {errno.EPIPE, errno.EINVAL, errno.ECONNRESET}
"""Write errors meaning the reader went away (EINVAL: a closed pipe on Windows)."""


def level_at_least(event: Event, minimum: str) -> bool:
    """Whether ``event``'s level is ``minimum`` or more severe."""
    level = event.get("level", "info")
    rank = LEVELS.index(level) if level in LEVELS else 1
    return rank >= LEVELS.index(minimum)


@dataclass
class OriginalStreams:
    """Duplicates of stdout and stderr as they were when the command line started.

    ``out_fd`` is a duplicated descriptor of stdout (``None`` when stdout has no
    descriptor, e.g. under a test's in-memory capture: then ``out`` is written to).
    ``err`` is a text stream on a duplicate of stderr.
    """

    out_fd: int | None
    out: IO[str]
    out_tty: bool
    err: IO[str]
    err_tty: bool
    _owned_err: bool = False

    @classmethod
    def capture(cls) -> OriginalStreams:
        """Duplicate the current ``sys.stdout`` and ``sys.stderr``."""
        out_fd = _dup(sys.stdout)
        err_fd = _dup(sys.stderr)
        err: IO[str] = sys.stderr
        if err_fd is not None:
            err = open(  # noqa: SIM115 - closed by close()
                err_fd, "w", buffering=1, encoding="utf-8", errors="replace", closefd=True
            )
        return cls(
            out_fd=out_fd,
            out=sys.stdout,
            out_tty=_isatty(sys.stdout),
            err=err,
            err_tty=_isatty(sys.stderr),
            _owned_err=err_fd is not None,
        )

    def close(self) -> None:
        """Close the duplicates (the original streams stay open)."""
        if self.out_fd is not None:
            with contextlib.suppress(OSError):
                os.close(self.out_fd)
            self.out_fd = None
        if self._owned_err:
            with contextlib.suppress(OSError, ValueError):
                self.err.close()
            self._owned_err = False


def _dup(stream: Any) -> int | None:
    try:
        return os.dup(stream.fileno())
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return None


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, OSError, ValueError):
        return False


class LineWriter:
    """An event sink writing one rendered line per event to a descriptor or stream.

    When the reader goes away (``ofxpost run ... | head -1``), the writer says so in
    one line on ``notice`` and stops writing; the batch goes on.
    """

    def __init__(
        self,
        render: Callable[[Event], str],
        *,
        fd: int | None = None,
        stream: IO[str] | None = None,
        notice: IO[str] | None = None,
        min_level: str = "info",
    ) -> None:
        self.render = render
        self.fd = fd
        self.stream = stream
        self.notice = notice
        self.min_level = min_level
        self.closed = False

    def __call__(self, event: Event) -> None:
        if self.closed or not level_at_least(event, self.min_level):
            return
        line = self.render(event) + "\n"
        try:
            if self.fd is not None:
                data = line.encode("utf-8")
                while data:
                    data = data[os.write(self.fd, data) :]
            elif self.stream is not None:
                self.stream.write(line)
                self.stream.flush()
        except OSError as exc:
            if not isinstance(exc, BrokenPipeError) and exc.errno not in _GONE_ERRNOS:
                raise
            self.closed = True
            if self.notice is not None:
                with contextlib.suppress(Exception):
                    print(
                        "ofxpost: the reader of the event output went away; no more events "
                        "are written there (the batch goes on)",
                        file=self.notice,
                        flush=True,
                    )


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

    def __init__(self, stream: IO[str] | None = None, min_level: str = "info") -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        self.min_level = min_level
        self.console = Console(file=stream or sys.stderr)
        # never redirect sys.stdout/sys.stderr: JSON events may be going to stdout
        self.progress = Progress(
            TextColumn("[bold]ofxpost[/bold]"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[failed]} failed"),
            TimeElapsedColumn(),
            TextColumn("{task.fields[eta]}"),
            TextColumn("{task.fields[flight]}"),
            console=self.console,
            transient=False,
            redirect_stdout=False,
            redirect_stderr=False,
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
            self.task = self.progress.add_task(
                "batch", total=event["total"], failed=0, flight="", eta="eta -:--:--"
            )
            return
        if self.task is None:
            return
        if name == "file_started":
            self.in_flight[event["index"]] = _short(event["file"])
        elif name in ("file_finished", "file_failed"):
            self.in_flight.pop(event["index"], None)
        elif name == "progress":
            self.progress.update(
                self.task,
                completed=event["done"],
                failed=event.get("failed", 0),
                eta=_eta_text(event.get("eta_s")),
            )
        notable = name in _FAILURE_EVENTS or name in ("warning", "mode_selected", "batch_cancelled")
        if notable and level_at_least(event, self.min_level):
            self.console.print(console_line(event), highlight=False, markup=False)
        self.progress.update(self.task, flight=self._flight())


class ConsoleLines:
    """Plain, human-readable lines (one per notable event) for a log or a pipe."""

    def __init__(
        self, stream: IO[str] | None = None, verbose: bool = False, min_level: str = "info"
    ) -> None:
        self.stream = stream or sys.stderr
        self.verbose = verbose
        self.min_level = min_level

    def __call__(self, event: Event) -> None:
        if event["event"] in _CHATTY_EVENTS and not self.verbose:
            return
        if not level_at_least(event, self.min_level):
            return
        with contextlib.suppress(BrokenPipeError):
            print(console_line(event), file=self.stream, flush=True)


def _eta_text(eta_s: Any) -> str:
    if not isinstance(eta_s, int | float):
        return "eta -:--:--"
    seconds = round(eta_s)
    return f"eta {seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def _short(path: str) -> str:
    return path.replace("\\", "/").rsplit("/", 1)[-1]


def console_line(event: Event) -> str:
    """One human-readable line describing ``event``; control characters in names and
    messages are escaped (:func:`ofxpost.printable.escape_controls`)."""
    return escape_controls(_console_line(event))


def _console_line(event: Event) -> str:
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
