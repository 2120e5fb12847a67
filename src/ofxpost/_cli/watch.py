"""``ofxpost watch``: post-process a running campaign (see :mod:`ofxpost._watch.watcher`)."""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ofxpost._cli.outputs import drain, log_settings, open_log_file, threaded_outputs
from ofxpost._cli.parser import usage_error
from ofxpost._cli.progress import OriginalStreams
from ofxpost._cli.signals import install_signal_handlers
from ofxpost._core.result import EXIT_CANCELLED

if TYPE_CHECKING:
    from ofxpost._events.emitter import Event


def cmd_watch(args: argparse.Namespace) -> int:
    """``ofxpost watch CONFIG``: see :mod:`ofxpost._watch.watcher`."""
    import anyio

    from ofxpost._plugins.loading import load_config
    from ofxpost._watch.watcher import watch_batch

    if args.workers is not None and args.workers < 1:
        return usage_error("--workers must be at least 1")
    if args.idle_exit is not None and args.idle_exit < 0:
        return usage_error("--idle-exit must be 0 or more seconds")
    if args.max_files is not None and args.max_files < 1:
        return usage_error("--max-files must be at least 1")
    if args.refresh_every is not None and args.refresh_every < 0:
        return usage_error("--refresh-every must be 0 or more seconds")
    config = load_config(args.config, disable_plugins=args.disable_plugin)
    settings = log_settings(args, config)
    streams: OriginalStreams = args.streams
    log_handle = open_log_file(settings.file) if settings.file is not None else None
    # the progress bar follows one batch: a watch reports event lines instead
    threaded, _ = threaded_outputs(settings, streams, log_handle, progress_reporting=False)
    sinks: list[Callable[[Event], None]] = [*threaded]
    finished: dict[str, Any] = {}

    def remember(event: Event) -> None:
        if event["event"] == "watch_finished":
            finished.update(event)

    sinks.append(remember)

    async def main() -> int:
        with anyio.CancelScope() as scope:
            restore = install_signal_handlers(scope)
            try:
                result = await watch_batch(
                    config,
                    idle_exit_s=args.idle_exit,
                    max_files=args.max_files,
                    workers=args.workers,
                    sequential=args.sequential,
                    refresh_s=args.refresh_every,
                    sinks=sinks,
                )
                return result.exit_code
            finally:
                restore()
        return EXIT_CANCELLED

    try:
        code = anyio.run(main, backend="asyncio")
    finally:
        drain(threaded)  # every event is written before the summary and the exit
        if log_handle is not None:
            log_handle.close()
    if finished and not settings.quiet:
        with contextlib.suppress(OSError):
            print(
                f"ofxpost watch: {finished.get('reason')}: {finished.get('done')} file(s), "
                f"{finished.get('failed')} not ok, {finished.get('breaches')} breach(es), "
                f"{finished.get('refreshes')} refresh(es)",
                file=streams.err,
                flush=True,
            )
    return code
