"""The loop of one watch: scan, wait for inputs to complete, refresh, check breaches.

See :mod:`ofxpost._watch.watcher` for what a watch does; :func:`~ofxpost._watch.watcher.watch_batch`
builds a :class:`Watch` and runs it.
"""

from __future__ import annotations

import contextlib
import functools
import math
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import anyio
import watchfiles

from ofxpost._builtin.summary import breaches
from ofxpost._config.model import Config
from ofxpost._config.plan import Plan, make_plan
from ofxpost._core.records import Job
from ofxpost._core.result import BatchResult
from ofxpost._engine.orchestrator import Orchestrator
from ofxpost._events.emitter import Event, EventEmitter, Sink
from ofxpost._executors.local import create_executor
from ofxpost._executors.protocol import FileExecutor, JobStarted
from ofxpost._watch.alerts import run_breach_command
from ofxpost._watch.completion import CompletionTracker
from ofxpost._watch.inputs import scan_inputs, watched_folders
from ofxpost._watch.kept import KeptExecutor, pool_workers
from ofxpost._worker.capture import LOGS_DIR
from ofxpost.errors import WorkerId


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
        self._kept: KeptExecutor | None = None
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

            def route(job: Job, worker: WorkerId) -> None:
                self._route[0](job, worker)

            template = replace(plan, workers=pool_workers(self.config, self.workers))
            self._kept = KeptExecutor(create_executor(template, route), self._route)
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
            limit = min(pool_workers(self.config, self.workers), len(plan.jobs))
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
                "unit": breach["unit"],
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

        def wanted(change: watchfiles.Change, path: str) -> bool:
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
            candidates = await anyio.to_thread.run_sync(scan_inputs, self.config)
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
