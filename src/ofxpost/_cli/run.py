"""``ofxpost run``: one batch with the command line's event outputs, signal handling and
summary line (also how ``ofxpost demo`` runs its batch)."""

from __future__ import annotations

import argparse
import contextlib
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from ofxpost._cli.outputs import (
    LogSettings,
    drain,
    log_settings,
    open_log_file,
    threaded_outputs,
)
from ofxpost._cli.parser import usage_error
from ofxpost._cli.progress import OriginalStreams, say
from ofxpost._cli.signals import install_signal_handlers
from ofxpost._core.printable import escape_controls
from ofxpost._core.result import EXIT_CANCELLED, EXIT_FAILURES
from ofxpost._store.manifest import MANIFEST

if TYPE_CHECKING:
    from ofxpost._config.model import Config
    from ofxpost._config.plan import Plan
    from ofxpost._events.emitter import Event
    from ofxpost._executors.prestart import Prestart


_NO_MANIFEST = "manifest_not_written"
"""Set in the remembered ``batch_finished`` fields when ``ofxpost-run.json`` could not be
written (an ``output_failed`` event for it): the summary then does not point there."""


def cmd_run(args: argparse.Namespace) -> int:
    """``ofxpost run CONFIG``."""
    if args.workers is not None and args.workers < 1:
        return usage_error("--workers must be at least 1")
    early = start_workers_early(args, args.config)
    try:
        from ofxpost._plugins.loading import load_config

        config = load_config(args.config, disable_plugins=args.disable_plugin)
        if early is not None:
            early.bind(
                config,
                workers=args.workers,
                sequential=args.sequential,
                in_process=args.in_process,
            )
        return execute(
            config,
            args,
            workers=args.workers,
            sequential=args.sequential,
            in_process=args.in_process,
            resume=args.resume,
        )
    finally:
        if early is not None:
            early.discard()


def start_workers_early(args: argparse.Namespace, config_path: Path | None) -> Prestart | None:
    """Start the local pool's workers now, while this process reads the config and plans.

    The batch takes them over (see :mod:`ofxpost._executors.prestart`); the caller discards
    them if it does not. ``None`` for ``--in-process`` or a config that needs none; one
    worker for ``--sequential``.
    """
    if getattr(args, "in_process", False):
        return None
    from ofxpost._executors.prestart import Prestart, early_count, early_modules

    count = 1 if getattr(args, "sequential", False) else early_count(config_path, args.workers)
    return Prestart.begin(count, early_modules(config_path)) if count > 0 else None


def execute(
    config: Config,
    args: argparse.Namespace,
    *,
    workers: int | None = None,
    sequential: bool = False,
    in_process: bool = False,
    resume: bool = False,
) -> int:
    """Run ``config`` with the CLI's event sinks and signal handling."""
    import anyio

    from ofxpost._config.plan import make_plan

    settings = log_settings(args, config)
    # Plan up front so that input and output_dir errors exit 2 before anything is written.
    plan = make_plan(
        config,
        workers=workers,
        sequential=sequential,
        in_process=in_process,
    )
    if getattr(args, "own_process", False):
        freeze_heap()
    streams: OriginalStreams | None = getattr(args, "streams", None)
    own_streams = streams is None
    if streams is None:
        streams = OriginalStreams.capture()
    log_handle = None
    try:
        if settings.file is not None:
            log_handle = open_log_file(settings.file)
        finished: dict[str, Any] = {}
        return anyio.run(
            _execute,
            plan,
            settings,
            streams,
            log_handle,
            resume,
            finished,
            backend="asyncio",
        )
    finally:
        if log_handle is not None:
            log_handle.close()
        if own_streams:
            streams.close()


async def _execute(
    plan: Plan,
    settings: LogSettings,
    streams: OriginalStreams,
    log_handle: IO[str] | None,
    resume: bool,
    finished: dict[str, Any],
) -> int:
    import anyio

    from ofxpost._engine.batch import run_batch

    config = plan.config
    threaded, progress = threaded_outputs(
        settings, streams, log_handle, config.parallel_processing.progress_reporting
    )
    mode: dict[str, Any] = {}

    def remember(event: Event) -> None:  # on the loop: quick, and never blocks
        if event["event"] == "batch_finished":
            finished.update(event)
        elif event["event"] == "mode_selected":
            mode.update(event)
        elif event["event"] == "output_failed" and event.get("target") == MANIFEST:
            finished[_NO_MANIFEST] = True

    sinks: list[Callable[[Event], None]] = [*threaded, remember]
    try:
        with anyio.CancelScope() as scope:
            restore = install_signal_handlers(scope)
            try:
                if progress is not None:
                    with progress:
                        try:
                            await run_batch(plan, sinks=sinks, resume=resume)
                        finally:
                            drain(threaded)  # the bar's last update before it stops
                else:
                    await run_batch(plan, sinks=sinks, resume=resume)
            finally:
                restore()
    finally:
        drain(threaded)  # every event is written before the summary and the exit
    # stderr may be a pipe whose reader has gone too: the exit code still tells
    if finished.get("cancelled") or scope.cancelled_caught:
        say(streams.err, "ofxpost: cancelled; finished results are kept (run again with --resume)")
        return EXIT_CANCELLED
    if not settings.quiet:
        with contextlib.suppress(OSError, ValueError):
            print_summary(finished, config.output_dir, streams.err, fallback=fallback_reason(mode))
    return int(finished.get("exit_code", EXIT_FAILURES))


def freeze_heap() -> None:
    """Move everything made so far (the imports, the config, the plan) out of the
    garbage collector's sight: a full collection then scans only what the batch makes
    (measured by ``benchmarks/gc_pauses.py``: about 60 ms before, 10 ms after). Only
    the command line does this (``main()`` with no ``argv``: the ``ofxpost`` command):
    in an embedding application, or a test calling ``main(argv)``, the process is not
    ours."""
    import gc

    gc.collect()
    gc.freeze()


def fallback_reason(mode: Mapping[str, Any]) -> str | None:
    """The reason of a fall-back to sequential mode, from ``mode_selected``."""
    return str(mode["reason"]) if mode.get("fallback") else None


def print_summary(
    finished: Mapping[str, Any],
    output_dir: str | os.PathLike[str],
    stream: IO[str],
    fallback: str | None = None,
) -> None:
    """Print :func:`summary_line` to ``stream`` (nothing without a ``batch_finished``)."""
    if not finished:
        return
    print(summary_line(finished, output_dir, fallback), file=stream, flush=True)


def summary_line(
    finished: Mapping[str, Any], output_dir: str | os.PathLike[str], fallback: str | None = None
) -> str:
    """The one-line summary of ``ofxpost run`` from its ``batch_finished`` event.

    Output failures are named with the files
    (``32 ok, 0 partial, 0 failed; 16 outputs failed (see ...)``), and a fall-back to
    sequential mode with its reason; otherwise the mode the files ran in
    (``in 3.1 s (dask)``), from the event's ``mode``.
    """
    line = (
        f"ofxpost: {finished['total']} files: {finished['succeeded']} ok, "
        f"{finished['partial']} partial, {finished['failed']} failed"
    )
    failed_outputs = int(finished.get("output_errors") or 0)
    if failed_outputs:
        noun = "output" if failed_outputs == 1 else "outputs"
        manifest = Path(output_dir) / MANIFEST
        if finished.get(_NO_MANIFEST):  # it could not be written: do not send them there
            where = f"the output_failed events; {manifest} could not be written either"
        else:
            where = f"the output_failed events and 'output_errors' in {manifest}"
        line += f"; {failed_outputs} {noun} failed (see {where})"
    mode = f"; fell back to sequential: {fallback}" if fallback else ""
    ran = f" ({finished['mode']})" if finished.get("mode") and not fallback else ""
    where = escape_controls(str(output_dir))
    return f"{line} in {finished['wall_s']:.1f} s{ran}; outputs in {where}{mode}"
