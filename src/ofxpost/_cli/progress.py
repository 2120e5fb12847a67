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
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

from ofxpost._core.printable import escape_controls

if TYPE_CHECKING:  # the command line imports this module before any event exists
    from ofxpost._events.emitter import Event

LEVELS = ("debug", "info", "warning", "error")
"""Event levels, least severe first."""

_GONE_ERRNOS = {errno.EPIPE, errno.EINVAL, errno.ECONNRESET}
"""Write errors meaning the reader went away (EINVAL: a closed pipe on Windows)."""


def level_at_least(event: Event, minimum: str) -> bool:
    """Whether ``event``'s level is ``minimum`` or more severe."""
    level = event.get("level", "info")
    rank = LEVELS.index(level) if level in LEVELS else 1
    return rank >= LEVELS.index(minimum)


ALWAYS_SHOWN = frozenset({"batch_started", "batch_finished"})
"""Events every output shows whatever the level filter: a reader always sees where a
batch begins and how it ended."""


def shown_at(event: Event, minimum: str) -> bool:
    """Whether an output filtered at level ``minimum`` shows ``event``: its level is
    ``minimum`` or more severe, or it is one of :data:`ALWAYS_SHOWN`."""
    return event.get("event") in ALWAYS_SHOWN or level_at_least(event, minimum)


@dataclass
class OriginalStreams:
    """Duplicates of stdout and stderr as they were when the command line started.

    ``out_fd`` is a duplicated descriptor of stdout (``None`` when stdout has no
    descriptor, e.g. under a test's in-memory capture: then ``out`` is written to).
    ``err`` is a text stream on a duplicate of stderr. The duplicates are numbered
    3 or above, so that redirecting descriptors 1 and 2 never reaches them.

    A standard stream that was *closed* when the command started (``>&-``) is
    recorded in ``out_closed``/``err_closed``, and its descriptor is pointed at the
    null device, so that no file opened later takes its number. ``err`` is then a
    stream on the null device: a message for stderr never lands in stdout.
    """

    out_fd: int | None
    out: IO[str] | None
    out_tty: bool
    err: IO[str]
    err_tty: bool
    _owned_err: bool = False
    out_closed: bool = False
    err_closed: bool = False

    @classmethod
    def capture(cls) -> OriginalStreams:
        """Duplicate the current ``sys.stdout`` and ``sys.stderr``."""
        out_closed = _fd_closed(1, sys.stdout)
        err_closed = _fd_closed(2, sys.stderr)
        for fd, closed in ((1, out_closed), (2, err_closed)):
            if closed:
                _plug_if_closed(fd)
        out_fd = None if out_closed else _dup(sys.stdout)
        err_fd = None if err_closed else _dup(sys.stderr)
        err: IO[str] | None = None if err_closed else sys.stderr
        owned = err_fd is not None or err is None
        if err_fd is not None:
            err = open(  # noqa: SIM115 - closed by close()
                err_fd, "w", buffering=1, encoding="utf-8", errors="replace", closefd=True
            )
        elif err is None:
            err = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - closed by close()
        return cls(
            out_fd=out_fd,
            out=None if out_closed else sys.stdout,
            out_tty=not out_closed and _isatty(sys.stdout),
            err=err,
            err_tty=not err_closed and _isatty(sys.stderr),
            _owned_err=owned,
            out_closed=out_closed,
            err_closed=err_closed,
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


def _fd_closed(fd: int, stream: Any) -> bool:
    """Whether standard descriptor ``fd`` was closed before the command started."""
    if stream is None:  # Python found the descriptor closed at start-up
        return True
    try:
        if stream.fileno() != fd:
            return False  # an in-memory or replaced stream: not about the descriptor
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return False
    try:
        os.fstat(fd)
    except OSError:
        return True
    return False


def _plug_if_closed(fd: int) -> None:
    """Point descriptor ``fd`` at the null device if it is closed."""
    try:
        os.fstat(fd)
    except OSError:
        pass
    else:
        return
    with contextlib.suppress(OSError):
        null = os.open(os.devnull, os.O_WRONLY)
        if null != fd:
            os.dup2(null, fd)
            os.close(null)


def _dup(stream: Any) -> int | None:
    """A duplicate of ``stream``'s descriptor numbered 3 or above (``None``: none)."""
    try:
        fd = stream.fileno()
        low: list[int] = []
        dup = os.dup(fd)
        while dup <= 2:  # a closed standard descriptor would be reused
            low.append(dup)
            dup = os.dup(fd)
        for extra in low:
            os.close(extra)
        return dup
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return None


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, OSError, ValueError):
        return False


class LineWriter:
    """An event sink writing one rendered line per event to a descriptor or stream.

    When the output fails -- the reader went away (``ofxpost run ... | head -1``), the
    disk is full (``> /dev/full``), the stream was closed -- the writer says so in one
    line on ``notice``, naming ``label`` and the error in words, and stops writing;
    the batch goes on.
    """

    def __init__(
        self,
        render: Callable[[Event], str],
        *,
        fd: int | None = None,
        stream: IO[str] | None = None,
        notice: IO[str] | None = None,
        min_level: str = "info",
        label: str = "the event output",
    ) -> None:
        self.render = render
        self.fd = fd
        self.stream = stream
        self.notice = notice
        self.min_level = min_level
        self.label = label
        self.description = f"JSON lines to {label}"
        """The sink in words (for error messages)."""
        self.closed = False

    def __call__(self, event: Event) -> None:
        self.many((event,))

    def many(self, events: Iterable[Event]) -> None:
        """Write ``events`` (those at or above the level) with one write."""
        if self.closed:
            return
        text = "".join(
            self.render(event) + "\n" for event in events if shown_at(event, self.min_level)
        )
        if not text:
            return
        try:
            if self.fd is not None:
                data = memoryview(text.encode("utf-8"))
                while data:
                    data = data[os.write(self.fd, data) :]
            elif self.stream is not None:
                self.stream.write(text)
                self.stream.flush()
        except (OSError, ValueError) as exc:  # ValueError: the stream was closed
            self.closed = True
            say(
                self.notice,
                f"ofxpost: {_failure_words(self.label, exc)}; no more events are "
                "written there (the batch goes on)",
            )


def _failure_words(label: str, exc: BaseException) -> str:
    if isinstance(exc, BrokenPipeError) or getattr(exc, "errno", None) in _GONE_ERRNOS:
        return f"the reader of {label} went away"
    if isinstance(exc, OSError):
        return f"cannot write events to {label}: {exc.strerror or exc}"
    return f"cannot write events to {label}: it was closed"


def say(stream: IO[str] | None, line: str) -> None:
    """Print ``line`` on ``stream``; nothing when there is no stream or it fails.

    Never ``print(file=None)``, which would write to ``sys.stdout`` -- where the
    JSON events may be going.
    """
    if stream is None:
        return
    with contextlib.suppress(Exception):
        print(line, file=stream, flush=True)


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
        if notable and shown_at(event, self.min_level):
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
        if not shown_at(event, self.min_level):
            return
        with contextlib.suppress(OSError, ValueError):
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
    messages are escaped (:func:`ofxpost._core.printable.escape_controls`)."""
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
