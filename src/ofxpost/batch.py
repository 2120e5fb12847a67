"""The public entry points: :func:`run_batch`, :func:`open_batch` and :func:`run`."""

from __future__ import annotations

import contextlib
import functools
import math
import os
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from typing import Any

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream

from ofxpost.config import Config, load_config
from ofxpost.events import Event, EventEmitter, Sink
from ofxpost.orchestrator import Orchestrator
from ofxpost.plan import Plan, make_plan
from ofxpost.result import BatchResult

ConfigSource = Config | str | os.PathLike[str] | Mapping[str, Any]
"""A :class:`Config`, a path to a YAML file, or a config mapping."""


def _config(source: ConfigSource) -> Config:
    return source if isinstance(source, Config) else load_config(source)


async def run_batch(
    config: ConfigSource | Plan,
    *,
    workers: int | None = None,
    sequential: bool = False,
    resume: bool = False,
    on_event: Callable[[Event], None] | None = None,
    sinks: Iterable[Sink] = (),
    pool_factory: Any = None,
) -> BatchResult:
    """Run a batch on the running event loop and return its :class:`BatchResult`.

    It never calls :func:`asyncio.run` itself, so it can be awaited inside an
    application that already runs a loop (asyncio backend). Cancelling the awaiting
    task stops admitting files, terminates the workers, keeps every finished result
    in the result store and writes the outputs marked partial; the cancellation is
    then re-raised.

    :param config: a :class:`Config`, a YAML path, a config mapping, or a
        :class:`~ofxpost.plan.Plan` from :func:`ofxpost.make_plan`.
    :param workers: override ``parallel_processing.max_workers`` (not with a plan).
    :param sequential: process files one after another in this process (not with a
        plan).
    :param resume: reuse the stored result of every file whose input and config are
        unchanged since an earlier (interrupted) run.
    :param on_event: called with every event (a JSON-ready dict).
    :param sinks: more event receivers.
    :param pool_factory: replaces the local process pool factory (advanced; see
        :func:`ofxpost.executors.create_local_pool`).
    :raises ConfigError: if the config or the inputs are unusable (nothing is written).
    """
    if isinstance(config, Plan):
        plan = config
    else:
        plan = make_plan(_config(config), workers=workers, sequential=sequential)
    all_sinks = list(sinks)
    if on_event is not None:
        all_sinks.append(on_event)
    emitter = EventEmitter(plan.batch_id, all_sinks)
    orchestrator = Orchestrator(plan, emitter, resume=resume, pool_factory=pool_factory)
    return await orchestrator.run()


class BatchStream:
    """Events of a running batch as an async iterator, then its result.

    Get one from :func:`open_batch`; iterate it with ``async for``. Iteration ends
    after ``batch_finished``; :attr:`result` is then set.
    """

    def __init__(self, receive: MemoryObjectReceiveStream[Event]) -> None:
        self._receive = receive
        self.result: BatchResult | None = None
        """The batch's result, once iteration has ended."""
        self.error: BaseException | None = None
        """The exception that stopped the batch, if any."""

    def __aiter__(self) -> AsyncIterator[Event]:
        return self._events()

    async def _events(self) -> AsyncIterator[Event]:
        async with self._receive:
            async for event in self._receive:
                yield event


@asynccontextmanager
async def open_batch(config: ConfigSource, **options: Any) -> AsyncIterator[BatchStream]:
    """Start a batch in the background and stream its events.

    ::

        async with ofxpost.open_batch("batch.yml", workers=4) as batch:
            async for event in batch:
                print(event["event"], event.get("file"))
        print(batch.result.exit_code)

    ``options`` are those of :func:`run_batch`. Leaving the block early cancels the
    batch (outputs are then written marked partial).
    """
    # config and input errors surface here, before anything starts
    plan = make_plan(
        _config(config),
        workers=options.pop("workers", None),
        sequential=options.pop("sequential", False),
    )
    send, receive = anyio.create_memory_object_stream[Event](max_buffer_size=math.inf)
    stream = BatchStream(receive)

    def forward(event: Event) -> None:
        # a consumer that stopped listening must not disturb the batch
        with contextlib.suppress(anyio.BrokenResourceError, anyio.ClosedResourceError):
            send.send_nowait(event)

    async def runner() -> None:
        async with send:
            try:
                stream.result = await run_batch(
                    plan, sinks=[*options.pop("sinks", ()), forward], **options
                )
            except Exception as exc:
                stream.error = exc
                raise

    async with anyio.create_task_group() as tg:
        tg.start_soon(runner)
        try:
            yield stream
        finally:
            if stream.result is None:
                tg.cancel_scope.cancel()


def run(config: ConfigSource, **options: Any) -> BatchResult:
    """Run a batch from synchronous code (scripts); see :func:`run_batch`."""
    return anyio.run(functools.partial(run_batch, config, **options), backend="asyncio")
