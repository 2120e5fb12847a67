"""Where the command line's events go: the log settings and the event outputs.

The settings follow the precedence command line > environment > config ``logging:`` >
default (:func:`log_settings`); the outputs are the terminal (progress bar or event
lines), JSON lines on stdout, the log file and the metrics, each on a thread of its own
(:func:`threaded_outputs`).
"""

from __future__ import annotations

import argparse
import errno
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

from ofxpost._cli.progress import LEVELS, ConsoleLines, LineWriter, OriginalStreams, say
from ofxpost.errors import ConfigError, OutputError

if TYPE_CHECKING:
    from ofxpost._cli.progress import ProgressBar
    from ofxpost._config.model import Config
    from ofxpost._events.emitter import Event
    from ofxpost._events.sink_thread import ThreadedSink


LOG_FILE_ENV = "OFXPOST_LOG_FILE"
"""Environment variable naming a JSON-lines log file (below ``--log-file``)."""

LOG_LEVEL_ENV = "OFXPOST_LOG_LEVEL"
"""Environment variable with the least severe level reported (below ``--log-level``)."""


@dataclass(frozen=True)
class LogSettings:
    """Where and how ``ofxpost run`` reports events, after applying the precedence
    command line > environment > config ``logging:`` > default."""

    format: str = "auto"
    level: str = "info"
    file: Path | None = None
    quiet: bool = False
    metrics_port: int | None = None
    metrics_textfile: Path | None = None
    metrics_otel: bool = False


def log_settings(
    args: argparse.Namespace, config: Config, environ: Mapping[str, str] | None = None
) -> LogSettings:
    """Resolve the log settings of a run (see :class:`LogSettings`).

    :raises ConfigError: for an unknown level in ``OFXPOST_LOG_LEVEL``.
    """
    env = os.environ if environ is None else environ
    section = config.logging
    level = args.log_level or env.get(LOG_LEVEL_ENV, "").strip().lower() or None
    if level is not None and level not in LEVELS:
        raise ConfigError(
            f"environment variable {LOG_LEVEL_ENV}: {level!r} is not a level "
            f"(one of {', '.join(LEVELS)})"
        )
    file: Path | None = args.log_file
    if file is None and env.get(LOG_FILE_ENV):
        file = Path(env[LOG_FILE_ENV]).expanduser()
    if file is None and section.file:
        file = config.resolve(section.file)
    return LogSettings(
        format=args.log_format or section.format or "auto",
        level=level or section.level or "info",
        file=file,
        quiet=bool(getattr(args, "quiet", False)),
        metrics_port=getattr(args, "metrics_port", None),
        metrics_textfile=getattr(args, "metrics_textfile", None),
        metrics_otel=bool(getattr(args, "metrics_otel", False)),
    )


def open_log_file(path: Path) -> IO[str]:
    """Open (truncate) the JSON-lines log file, creating its folders.

    :raises OutputError: naming the path and the operating-system error.
    """
    try:
        if path.exists() and path.is_dir():
            raise IsADirectoryError(errno.EISDIR, "Is a directory")
        path.parent.mkdir(parents=True, exist_ok=True)
        return open(path, "w", encoding="utf-8")
    except OSError as exc:
        raise OutputError(f"log file {path}: cannot write it: {exc.strerror or exc}") from None


def terminal_sinks(
    settings: LogSettings, streams: OriginalStreams, progress_reporting: bool
) -> tuple[list[Callable[[Event], None]], ProgressBar | None]:
    """The terminal sinks for ``settings`` (see "Where events go" in docs/events.md)."""
    from ofxpost._events.ecs import render_ecs
    from ofxpost._events.emitter import render_json

    sinks: list[Callable[[Event], None]] = []
    fmt = settings.format
    render = render_ecs if fmt == "ecs" else render_json
    events_out = fmt in ("json", "ecs") or (fmt == "auto" and not streams.out_tty)
    if events_out and streams.out_closed:
        say(
            streams.err,
            "ofxpost: stdout is closed: the JSON events are not written there "
            "(--log-file PATH keeps them; the batch goes on)",
        )
    elif events_out:
        sinks.append(
            LineWriter(
                render,
                fd=streams.out_fd,
                stream=streams.out,
                notice=streams.err,
                min_level=settings.level,
                label="stdout (the event output)",
            )
        )
    progress: ProgressBar | None = None
    if settings.quiet:
        return sinks, progress
    terminal_taken = events_out and streams.out_tty
    if streams.err_tty and progress_reporting and not terminal_taken:
        from ofxpost._cli.progress import ProgressBar

        progress = ProgressBar(streams.err, min_level=settings.level)
        sinks.append(progress)
    elif fmt == "console" or (fmt == "auto" and streams.out_tty):
        sinks.append(ConsoleLines(streams.err, min_level=settings.level))
    return sinks, progress


def threaded_outputs(
    settings: LogSettings,
    streams: OriginalStreams,
    log_handle: IO[str] | None,
    progress_reporting: bool,
) -> tuple[list[ThreadedSink], ProgressBar | None]:
    """The CLI's event outputs (terminal, JSON lines, the log file), each on a thread
    of its own, and the progress bar if there is one.

    A reader that does not read, a slow disk or a stopped terminal never delays the
    dispatch of files or their timeouts. :func:`drain` waits for them at the end.
    """
    from ofxpost._events.ecs import render_ecs
    from ofxpost._events.emitter import render_json
    from ofxpost._events.sink_thread import ThreadedSink

    outputs, progress = terminal_sinks(settings, streams, progress_reporting)
    if log_handle is not None:
        outputs.append(
            LineWriter(
                render_ecs if settings.format == "ecs" else render_json,
                stream=log_handle,
                notice=streams.err,
                min_level=settings.level,
                label=f"the log file {settings.file}",
            )
        )
    if settings.metrics_port is not None or settings.metrics_textfile is not None:
        from ofxpost._events.metrics import MetricsSink

        outputs.append(MetricsSink(settings.metrics_port, textfile=settings.metrics_textfile))
    if settings.metrics_otel:
        from ofxpost._events.otel import OtelMetricsSink

        outputs.append(OtelMetricsSink())
    return [ThreadedSink(sink, notice=streams.err) for sink in outputs], progress


def drain(threaded: Sequence[ThreadedSink]) -> None:
    """Wait until every threaded output has written its queued events."""
    for sink in threaded:
        sink.close()
