"""``ofxpost watch``: post-process a campaign while it runs.

The watch processes every complete input already present, then each new or
rewritten input as it completes (see :mod:`ofxpost._watch.completion`). Each
*refresh* is a normal resumed batch over the complete inputs present, in input
order, through the same engine, budgets and executor as ``ofxpost run``: finished
records are reused from the result store (nothing is recomputed), new files run on
the workers, and the finish phase writes the outputs atomically. The executor's
workers are started once and kept for the whole watch. Refreshes are coalesced:
files completing while one runs go into the next, and ``watch.refresh_s`` spaces
them out. When the campaign ends, the last refresh has every input: its tables are
those ``ofxpost run`` writes for the same folder.

A breach (a summary value beyond its allowable, see
:func:`ofxpost._builtin.summary.breaches`) is checked on each file's record the
moment it is stored, before the outputs are refreshed, and emitted as
``allowable_exceeded``; ``watch.on_breach`` can stop the watch and run a command.

The watch holds ``output_dir``'s lock from start to end, so no ``ofxpost run`` can
write there meanwhile.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import anyio

from ofxpost._core.result import BatchResult
from ofxpost._engine.batch import ConfigSource, _config
from ofxpost._events.emitter import Event, EventEmitter, Sink
from ofxpost._events.fields import watch_reason
from ofxpost._pool.reimport import refuse_in_bootstrapping_worker
from ofxpost._store.lock import OutputDirLock
from ofxpost._watch.campaign import Watch
from ofxpost._watch.inputs import watched_folders
from ofxpost.errors import ConfigError

EXIT_CANCELLED = 130


@dataclass
class WatchResult:
    """What a watch did, returned by :func:`watch_batch`."""

    exit_code: int
    """0: every file ok; 1: some file failed (or an output); 130: cancelled."""
    reason: str
    """Why it ended: ``idle``, ``max_files``, ``breach`` or ``cancelled``."""
    done: int = 0
    """Files finished (ok, partial or failed) by the last refresh."""
    failed: int = 0
    """Files not ok in the last refresh."""
    breaches: list[dict[str, Any]] = field(default_factory=list)
    """Every ``allowable_exceeded`` event of this watch."""
    refreshes: int = 0
    """Refreshes run (resumed batches)."""
    result: BatchResult | None = None
    """The last refresh's result (``None`` when no input was ever complete)."""


async def watch_batch(
    config: ConfigSource,
    *,
    idle_exit_s: float | None = None,
    max_files: int | None = None,
    workers: int | None = None,
    sequential: bool = False,
    refresh_s: float | None = None,
    on_event: Callable[[Event], None] | None = None,
    sinks: Iterable[Sink] = (),
) -> WatchResult:
    """Post-process a campaign while it runs (see :mod:`ofxpost._watch.watcher`).

    Runs until ``idle_exit_s`` seconds pass with nothing new and nothing being
    written, ``max_files`` files have been processed, a breach stops it
    (``watch.on_breach.stop``) or the task is cancelled (then the cancellation is
    re-raised after ``watch_finished``).

    :raises ConfigError: for an unusable config or option (nothing is written).
    :raises OutputDirLockedError: if another run holds ``output_dir``.
    """
    refuse_in_bootstrapping_worker()
    if idle_exit_s is not None and (not isinstance(idle_exit_s, int | float) or idle_exit_s < 0):
        raise ConfigError(f"option 'idle_exit_s': must be 0 or more (got {idle_exit_s!r})")
    if max_files is not None and (
        isinstance(max_files, bool) or not isinstance(max_files, int) or max_files < 1
    ):
        raise ConfigError(f"option 'max_files': must be at least 1 (got {max_files!r})")
    if refresh_s is not None and (not isinstance(refresh_s, int | float) or refresh_s < 0):
        raise ConfigError(f"option 'refresh_s': must be 0 or more (got {refresh_s!r})")
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int)):
        raise ConfigError(f"option 'workers': expected an integer (got {workers!r})")
    if workers is not None and workers < 1:
        raise ConfigError(f"option 'workers': must be at least 1 (got {workers!r})")
    valid = await anyio.to_thread.run_sync(_config, config)
    lock = OutputDirLock(valid.output_dir)

    def acquire() -> None:
        valid.output_dir.mkdir(parents=True, exist_ok=True)
        lock.acquire()

    try:
        await anyio.to_thread.run_sync(acquire)
    except OSError as exc:
        raise ConfigError(f"key 'output_dir': cannot use {valid.output_dir}: {exc}") from None
    all_sinks: list[Sink] = [*sinks, *([on_event] if on_event is not None else [])]
    emitter = EventEmitter(uuid.uuid4().hex[:12], all_sinks)
    emitter.bind_loop()
    settings = valid.watch
    watch = Watch(
        valid,
        emitter,
        all_sinks,
        idle_exit_s=idle_exit_s,
        max_files=max_files,
        workers=workers,
        sequential=sequential,
        refresh_s=refresh_s,
    )
    emitter.emit(
        "watch_started",
        config=str(valid.source) if valid.source else None,
        output_dir=str(valid.output_dir),
        inputs=list(valid.inputs),
        folders=[str(f) for f in watched_folders(valid)],
        settle_s=settings.settle_s,
        refresh_s=watch.refresh_s,
        idle_exit_s=idle_exit_s,
        max_files=max_files,
    )
    reason = "error"
    try:
        reason = await watch.run()
    except anyio.get_cancelled_exc_class():
        reason = "cancelled"
        raise
    finally:
        with anyio.CancelScope(shield=True):
            if watch._kept is not None:
                await anyio.to_thread.run_sync(watch._kept.close)
            lock.release()
            last = watch.last
            code = EXIT_CANCELLED if reason == "cancelled" else (last.exit_code if last else 0)
            emitter.emit(
                "watch_finished",
                level="info" if code == 0 else "warning",
                reason=watch_reason(reason),
                exit_code=code,
                done=last.total if last else 0,
                failed=(last.failed + last.partial) if last else 0,
                breaches=len(watch.breaches),
                refreshes=watch.refreshes,
            )
    last = watch.last
    return WatchResult(
        exit_code=last.exit_code if last else 0,
        reason=reason,
        done=last.total if last else 0,
        failed=(last.failed + last.partial) if last else 0,
        breaches=list(watch.breaches),
        refreshes=watch.refreshes,
        result=last,
    )


def watch(
    config: ConfigSource,
    *,
    idle_exit_s: float | None = None,
    max_files: int | None = None,
    workers: int | None = None,
    sequential: bool = False,
    refresh_s: float | None = None,
    on_event: Callable[[Event], None] | None = None,
    sinks: Iterable[Sink] = (),
) -> WatchResult:
    """:func:`watch_batch` from synchronous code (starts its own asyncio loop)."""
    return anyio.run(
        functools.partial(
            watch_batch,
            config,
            idle_exit_s=idle_exit_s,
            max_files=max_files,
            workers=workers,
            sequential=sequential,
            refresh_s=refresh_s,
            on_event=on_event,
            sinks=sinks,
        ),
        backend="asyncio",
    )


__all__ = ["Watch", "WatchResult", "watch", "watch_batch", "watched_folders"]
