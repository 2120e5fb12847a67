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

import contextlib
import functools
import math
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import anyio
import watchfiles

from ofxpost._builtin.summary import breaches
from ofxpost._config.model import Config
from ofxpost._config.plan import Plan, _glob_root, make_plan, resolve_inputs
from ofxpost._core.records import FileRecord, Job
from ofxpost._core.result import BatchResult
from ofxpost._engine.batch import ConfigSource, _config
from ofxpost._engine.orchestrator import Orchestrator
from ofxpost._events.emitter import Event, EventEmitter, Sink
from ofxpost._events.fields import watch_reason
from ofxpost._executors.local import create_executor
from ofxpost._executors.protocol import FileExecutor, JobStarted
from ofxpost._store.lock import OutputDirLock
from ofxpost._watch.alerts import run_breach_command
from ofxpost._watch.completion import CompletionTracker
from ofxpost._worker.capture import LOGS_DIR
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


class _KeptExecutor:
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
        with self._lock:
            if self._closed:
                raise RuntimeError("the watch is ending")
            if not self._started:
                self.real.start()
                self.address = self.real.address
                self._started = True

    def submit(self, job: Job) -> Future[FileRecord]:
        return self.real.submit(job)

    def kill(self, future: Future[FileRecord]) -> None:
        self.real.kill(future)

    def shutdown(self, *, cancel: bool) -> None:
        """Kept for the next refresh (the watch closes it with :meth:`close`)."""

    def close(self) -> None:
        with self._lock:
            self._closed = True
            started = self._started
        if started:
            self.real.shutdown(cancel=True)


def _scan(config: Config) -> list[Path]:
    """The inputs present now, in input order (an entry that matches nothing yet is empty)."""
    try:
        return resolve_inputs(config)
    except ConfigError:
        pass
    found: list[Path] = []
    for entry in config.inputs:
        one = replace(config, core=config.core.model_copy(update={"inputs": [entry]}))
        with contextlib.suppress(ConfigError):
            found.extend(p for p in resolve_inputs(one) if p not in found)
    return found


def watched_folders(config: Config) -> list[Path]:
    """The folders to watch: each input pattern's fixed folder (or nearest existing parent)."""
    folders: list[Path] = []
    for entry in config.inputs:
        resolved = config.resolve(entry)
        root = _glob_root(resolved) if any(c in str(entry) for c in "*?[") else resolved.parent
        while not root.is_dir() and root.parent != root:
            root = root.parent
        if root not in folders:
            folders.append(root)
    return folders


def _pool_workers(config: Config, workers: int | None) -> int:
    requested = workers if workers is not None else config.parallel_processing.max_workers
    return max(1, os.cpu_count() or 1) if requested == "auto" else max(1, int(requested))


class Watch:
    """One watch (see the module docstring). Use :func:`watch_batch`."""

    def __init__(
        self,
        config: Config,
        emitter: EventEmitter,
        sinks: list[Sink],
        *,
        idle_exit_s: float | None,
        max_files: int | None,
        workers: int | None,
        sequential: bool,
        refresh_s: float | None,
    ) -> None:
        self.config = config
        self.settings = config.watch
        self.emitter = emitter
        self.sinks = sinks
        self.idle_exit_s = idle_exit_s
        self.max_files = max_files
        self.workers = workers
        self.sequential = sequential
        self.refresh_s = self.settings.refresh_s if refresh_s is None else refresh_s
        self.watch_id = emitter.batch_id
        self.tracker = CompletionTracker(
            self.settings.settle_s, on_new=self._detected, on_incomplete=self._incomplete
        )
        self.wake = anyio.Event()
        self.breaches: list[dict[str, Any]] = []
        self.refreshes = 0
        self.last: BatchResult | None = None
        self.stop_reason: str | None = None
        self._route: list[JobStarted] = []
        self._kept: _KeptExecutor | None = None
        self._commands_send, self._commands_receive = anyio.create_memory_object_stream[
            dict[str, Any]
        ](max_buffer_size=math.inf)
        self._changed = True  # the first scan always refreshes what is there

    # ------------------------------------------------------------------ events

    def _detected(self, path: Path, size: int) -> None:
        self.emitter.emit("input_detected", file=str(path), size=size)

    def _incomplete(self, path: Path, size: int, reason: str) -> None:
        self.emitter.emit("input_incomplete", file=str(path), size=size, reason=reason)

    def _warn(self, message: str) -> None:
        self.emitter.emit("warning", level="warning", message=message)

    # ------------------------------------------------------------------ executor

    def _executor_factory(self, plan: Plan, on_started: JobStarted) -> FileExecutor:
        self._route[:] = [on_started]
        if self._kept is None:

            def route(job: Job, worker: Any) -> None:
                self._route[0](job, worker)

            template = replace(plan, workers=_pool_workers(self.config, self.workers))
            self._kept = _KeptExecutor(create_executor(template, route), self._route)
        return self._kept

    # ------------------------------------------------------------------ refresh

    def _plan(self, paths: list[Path]) -> Plan:
        plan = make_plan(
            self.config,
            workers=self.workers,
            sequential=self.sequential,
            batch_id=self.watch_id,
            paths=paths,
        )
        if plan.mode == "sequential" and plan.mode_reason == "only one input file":
            # the kept workers are already running: one file goes to them too
            limit = min(_pool_workers(self.config, self.workers), len(plan.jobs))
            plan = replace(plan, mode="parallel", mode_reason="watch: kept workers", workers=limit)
        return plan

    def _on_refresh_event(self, orchestrator: list[Orchestrator], event: Event) -> None:
        if event.get("event") != "file_finished" or event.get("reused") or not orchestrator:
            return
        orch = orchestrator[0]
        index = event.get("index")
        if not isinstance(index, int) or not 0 <= index < len(orch.plan.jobs):
            return
        record = orch.store.read(orch.plan.jobs[index])
        if record is None:
            return
        for breach in breaches(record, self.config):
            fields = {
                "file": str(record.path),
                "group": breach["group"],
                "column": breach["label"],
                "value": breach["value"],
                "limit": breach["limit"],
                "allowable": breach["allowable"],
                "utilisation": breach["utilisation"],
            }
            self.emitter.emit("allowable_exceeded", level="warning", **fields)
            self.breaches.append(fields)
            on_breach = self.settings.on_breach
            if on_breach.command:
                alert = {"event": "allowable_exceeded", "batch_id": self.watch_id, **fields}
                self._commands_send.send_nowait(alert)
            if on_breach.stop and self.stop_reason is None:
                self.stop_reason = "breach"

    async def _refresh(self, paths: list[Path]) -> None:
        plan = await anyio.to_thread.run_sync(self._plan, paths)
        holder: list[Orchestrator] = []
        emitter = EventEmitter(
            self.watch_id,
            [*self.sinks, functools.partial(self._on_refresh_event, holder)],
        )
        orchestrator = Orchestrator(
            plan,
            emitter,
            resume=True,
            executor=None if plan.mode == "sequential" else self._executor_factory,
        )
        holder.append(orchestrator)
        self.refreshes += 1
        self.last = await orchestrator.run()
        self._progress()

    def _progress(self) -> None:
        last = self.last
        self.emitter.emit(
            "campaign_progress",
            seen=len(self.tracker.complete) + len(self.tracker.pending),
            done=last.total if last is not None else 0,
            failed=last.failed + last.partial if last is not None else 0,
            breaches=len(self.breaches),
            incomplete=len(self.tracker.pending),
            refreshes=self.refreshes,
        )

    # ------------------------------------------------------------------ loop

    async def _watch_files(self) -> None:
        """Set :attr:`wake` on every change in the watched folders."""
        folders = watched_folders(self.config)
        output_dir = str(self.config.output_dir)

        def wanted(change: Any, path: str) -> bool:
            return not path.startswith(output_dir)

        async for _ in watchfiles.awatch(
            *folders, watch_filter=wanted, debounce=50, step=20, recursive=True
        ):
            self.wake.set()

    def _prestart(self) -> None:
        """Start the kept workers now, before the first input completes (on a thread).

        The plan here only sizes and sets up the executor; a failure is left for the
        first refresh, whose orchestrator then falls back to sequential as ``run`` does.
        """
        placeholder = self.config.output_dir / ".ofxpost" / "watch-template"
        plan = self._plan([placeholder])
        if plan.mode != "parallel":
            return
        executor = self._executor_factory(plan, lambda job, worker: None)
        with contextlib.suppress(Exception):
            executor.start()

    async def _run_commands(self) -> None:
        """Run ``on_breach.command`` for each alert, in order (until the watch ends)."""
        on_breach = self.settings.on_breach
        async with self._commands_receive:
            async for alert in self._commands_receive:
                assert on_breach.command is not None
                await run_breach_command(
                    on_breach.command,
                    alert,
                    self.config.output_dir / LOGS_DIR / "on_breach.log",
                    on_breach.command_timeout_s,
                    self._warn,
                )

    async def run(self) -> str:
        """Follow the inputs until a stop condition; return the reason.

        Commands still running for earlier breaches are awaited before it returns
        (each is bounded by ``command_timeout_s``).
        """
        async with anyio.create_task_group() as outer:
            outer.start_soon(self._run_commands)
            try:
                async with anyio.create_task_group() as tg:
                    tg.start_soon(self._watch_files)
                    tg.start_soon(functools.partial(anyio.to_thread.run_sync, self._prestart))
                    try:
                        reason = await self._loop()
                    finally:
                        tg.cancel_scope.cancel()
            finally:
                self._commands_send.close()
        return reason

    async def _loop(self) -> str:
        last_activity = time.monotonic()
        last_refresh = -math.inf
        refresh_due = False
        while True:
            self.wake = anyio.Event()
            candidates = await anyio.to_thread.run_sync(_scan, self.config)
            newly = self.tracker.observe(candidates)
            for path in newly:
                self.emitter.emit("input_complete", file=str(path), size=path.stat().st_size)
            if newly or self._changed:
                refresh_due, self._changed = True, False
                last_activity = time.monotonic()
            if self.tracker.pending:
                last_activity = time.monotonic()
            now = time.monotonic()
            if refresh_due and now - last_refresh >= self.refresh_s:
                refresh_due = False
                complete = [p for p in candidates if self.tracker.is_complete(p)]
                if complete:
                    await self._refresh(complete)
                else:
                    self._progress()
                last_refresh = last_activity = time.monotonic()
                if self.stop_reason is not None:
                    return self.stop_reason
                last = self.last
                if self.max_files is not None and last is not None and last.total >= self.max_files:
                    return "max_files"
                continue  # look again at once: files may have completed meanwhile
            waits = [self.settings.poll_s * 8]
            if self.tracker.pending:
                waits.append(self.settings.poll_s)
                if (settle := self.tracker.next_check_in()) is not None:
                    waits.append(settle + 0.01)
            if refresh_due:
                waits.append(max(0.0, last_refresh + self.refresh_s - now))
            if self.idle_exit_s is not None:
                idle_left = last_activity + self.idle_exit_s - now
                if idle_left <= 0 and not refresh_due and not self.tracker.pending:
                    return "idle"
                waits.append(max(0.0, idle_left))
            with anyio.move_on_after(max(0.0, min(waits))):
                await self.wake.wait()


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


def watch(config: ConfigSource, **options: Any) -> WatchResult:
    """:func:`watch_batch` from synchronous code (starts its own asyncio loop)."""
    return anyio.run(functools.partial(watch_batch, config, **options), backend="asyncio")


__all__ = ["Watch", "WatchResult", "watch", "watch_batch", "watched_folders"]
