"""The public entry points: :func:`run_batch`, :func:`open_batch` and :func:`run`.

All three take the same options (:class:`RunOptions`), checked like config keys: a
misspelt option or a bad value is a :class:`~ofxpost.ConfigError` naming it. The
blocking set-up of a batch (reading the config, discovering plugins, resolving
inputs, locking ``output_dir``) runs on a worker thread, so the caller's event loop
keeps running while it happens. :func:`run_batch` and :func:`open_batch` run on
asyncio or trio (through anyio); the Dask executor needs asyncio.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import threading
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from concurrent.futures import Future
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from typing import Any, TypedDict, Unpack

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream

from ofxpost._config.model import Config, suggest
from ofxpost._config.plan import Plan, make_plan
from ofxpost._core.loop_bridge import LoopBridge, current_library
from ofxpost._core.result import BatchResult
from ofxpost._engine.cancel import CancelHandle
from ofxpost._engine.orchestrator import Orchestrator
from ofxpost._events.emitter import Event, EventEmitter, Sink
from ofxpost._executors.prestart import Prestart, prestart_for
from ofxpost._executors.protocol import ExecutorFactory
from ofxpost._plugins.loading import load_config
from ofxpost._pool.reimport import refuse_in_bootstrapping_worker
from ofxpost._store.lock import OutputDirLock
from ofxpost.errors import ConfigError, UnsupportedLoopError

ConfigSource = Config | str | os.PathLike[str] | Mapping[str, Any]
"""A :class:`Config`, a path to a YAML file, or a config mapping."""


class RunOptions(TypedDict, total=False):
    """The options of :func:`run`, :func:`run_batch` and :func:`open_batch`."""

    workers: int | None
    """Override ``parallel_processing.max_workers`` (at least 1; not with a plan)."""
    sequential: bool
    """Process files one after another in one worker process (not with a plan)."""
    in_process: bool
    """Process files one after another in this process (not with a plan). For
    debugging only: a plugin that exits, crashes or leaves a thread running takes the
    batch with it, and ``timeout_per_file`` is not enforced."""
    resume: bool
    """Reuse stored results whose input and config are unchanged."""
    on_event: Callable[[Event], None] | None
    """Called with every event."""
    sinks: Iterable[Sink]
    """More event receivers."""
    executor: ExecutorFactory
    """Makes the executor for parallel mode instead of ``parallel_processing.executor``
    (advanced; see :mod:`ofxpost._executors.protocol`)."""
    pool_factory: ExecutorFactory
    """Former name of ``executor`` (still accepted)."""
    cancel: CancelHandle | None
    """A :class:`~ofxpost.CancelHandle`: its ``cancel()``, from any thread, stops the
    batch as Ctrl-C does; the result is then returned with ``exit_code`` 130."""


OPTION_NAMES = tuple(RunOptions.__annotations__)
"""Every option name :func:`run_batch` accepts."""

def check_options(options: Mapping[str, Any], *, with_plan: bool = False) -> None:
    """Validate run options the way config keys are validated.

    :raises ConfigError: naming the option and the value, with the nearest valid
        option suggested for a misspelt name.
    """
    for name, value in options.items():
        if name not in OPTION_NAMES:
            raise ConfigError(f"option {name!r}: unknown option{suggest(name, OPTION_NAMES)}")
        if name == "workers" and value is not None:
            if isinstance(value, bool) or not isinstance(value, int):
                raise ConfigError(f"option 'workers': expected an integer (got {value!r})")
            if value < 1:
                raise ConfigError(f"option 'workers': must be at least 1 (got {value!r})")
        if name in ("sequential", "in_process", "resume") and not isinstance(value, bool):
            raise ConfigError(f"option {name!r}: expected true or false (got {value!r})")
        if name == "on_event" and value is not None and not callable(value):
            raise ConfigError(f"option 'on_event': expected a callable (got {value!r})")
        if name == "sinks" and (
            isinstance(value, str | bytes)
            or not isinstance(value, Iterable)
            or not all(callable(s) for s in value)
        ):
            raise ConfigError(f"option 'sinks': expected a list of callables (got {value!r})")
        if name == "cancel" and value is not None and not isinstance(value, CancelHandle):
            raise ConfigError(
                f"option 'cancel': expected an ofxpost.CancelHandle (got {value!r})"
            )
    if with_plan:
        for name in ("workers", "sequential", "in_process"):
            if options.get(name) not in (None, False):
                raise ConfigError(
                    f"option {name!r}: cannot be combined with a Plan "
                    "(pass it to ofxpost.make_plan instead)"
                )


def running_async_library() -> str | None:
    """``"asyncio"`` or ``"trio"`` when called inside that library's loop, else None."""
    return current_library()


def _require_loop(entry: str) -> None:
    if running_async_library() is None:
        raise UnsupportedLoopError(
            f"ofxpost.{entry} needs a running event loop (asyncio or trio), but it was "
            "called outside one; use ofxpost.run() from synchronous code"
        )


def _require_backend(prepared: _Prepared, options: Mapping[str, Any]) -> None:
    """Refuse (releasing ``prepared``) what cannot run on the caller's event loop."""
    plan = prepared.plan
    custom = options.get("executor") is not None or options.get("pool_factory") is not None
    dask = plan.mode == "parallel" and plan.config.parallel_processing.executor == "dask"
    library = running_async_library()
    if dask and not custom and library != "asyncio":
        prepared.release()
        raise UnsupportedLoopError(
            f"parallel_processing.executor 'dask' runs only on the asyncio backend, but the "
            f"batch was started under {library}: distributed's client is built on asyncio. "
            "Use the local executor, or run the batch on a thread: "
            "`await trio.to_thread.run_sync(ofxpost.run, config)`"
        )


def _config(source: ConfigSource) -> Config:
    if isinstance(source, Config):
        return source
    if not isinstance(source, str | os.PathLike | Mapping):
        raise ConfigError(
            f"config: expected a Config, a YAML path or a mapping (got {type(source).__name__})"
        )
    return load_config(source)


async def load_config_async(
    source: str | os.PathLike[str] | Mapping[str, Any],
    *,
    base_dir: str | os.PathLike[str] | None = None,
) -> Config:
    """:func:`ofxpost.load_config` on a worker thread, for code running an event loop.

    Loading a config imports and registers plugins, which can take a noticeable time
    the first time; this keeps the loop free meanwhile.

    :raises ConfigError: as :func:`~ofxpost.load_config`.
    """
    return await anyio.to_thread.run_sync(functools.partial(load_config, source, base_dir=base_dir))


@dataclass
class _Prepared:
    plan: Plan
    lock: OutputDirLock
    early: Prestart | None = None
    """Workers started before planning (released unless the executor claimed them)."""

    def release(self) -> None:
        if self.early is not None:
            self.early.discard()
        self.lock.release()


def _prepare(
    config: ConfigSource | Plan,
    workers: int | None,
    sequential: bool,
    prestart: bool,
    in_process: bool = False,
) -> _Prepared:
    """The blocking set-up (on a worker thread): config, plan, ``output_dir`` lock.

    With ``prestart`` the local pool's workers start as soon as the config is valid,
    while the inputs are resolved (:mod:`ofxpost._executors.prestart`).
    """
    early: Prestart | None = None
    try:
        if isinstance(config, Plan):
            plan = config
        else:
            valid = _config(config)
            if prestart:
                early = prestart_for(
                    valid, workers=workers, sequential=sequential, in_process=in_process
                )
            plan = make_plan(valid, workers=workers, sequential=sequential, in_process=in_process)
        lock = OutputDirLock(plan.output_dir)
        lock.acquire()
    except BaseException:
        if early is not None:
            early.discard()
        raise
    stale = lock.stale_message()
    if stale is not None:
        plan = replace(plan, warnings=(*plan.warnings, stale))
    return _Prepared(plan, lock, early)


async def _prepare_off_loop(config: ConfigSource | Plan, options: Mapping[str, Any]) -> _Prepared:
    check_options(options, with_plan=isinstance(config, Plan))
    prepare = functools.partial(
        _prepare,
        config,
        options.get("workers"),
        bool(options.get("sequential", False)),
        # a custom executor brings its own workers
        options.get("executor") is None and options.get("pool_factory") is None,
        bool(options.get("in_process", False)),
    )
    future: Future[_Prepared] = Future()

    def work() -> None:
        if not future.set_running_or_notify_cancel():
            return  # cancelled before it began: nothing to release
        try:
            future.set_result(prepare())
        except BaseException as exc:
            future.set_exception(exc)

    threading.Thread(target=work, name="ofxpost-prepare").start()
    try:
        return await LoopBridge.current().wait_future(future)
    except BaseException:
        # Cancelled while the set-up goes on in its thread: whatever it prepares
        # (the lock, pre-started workers) is released as soon as it is done.
        future.add_done_callback(_release_unused)
        raise


def _release_unused(future: Future[_Prepared]) -> None:
    if not future.cancelled() and future.exception() is None:
        future.result().release()


async def _run_prepared(prepared: _Prepared, options: Mapping[str, Any]) -> BatchResult:
    try:
        all_sinks = list(options.get("sinks", ()))
        on_event = options.get("on_event")
        if on_event is not None:
            all_sinks.append(on_event)
        emitter = EventEmitter(prepared.plan.batch_id, all_sinks)
        orchestrator = Orchestrator(
            prepared.plan,
            emitter,
            resume=bool(options.get("resume", False)),
            executor=options.get("executor") or options.get("pool_factory"),
        )
        handle: CancelHandle | None = options.get("cancel")
        if handle is None:
            return _described(await orchestrator.run(), orchestrator)
        with anyio.CancelScope() as scope:
            detach = handle.attach(scope)
            try:
                return _described(await orchestrator.run(), orchestrator)
            finally:
                detach()
        # cancelled through the handle: the batch concluded (outputs marked partial)
        result = orchestrator.result
        if result is None:  # run() always concludes before the cancellation leaves it
            raise RuntimeError("the cancelled batch left no result")
        return _described(result, orchestrator)
    finally:
        prepared.release()


def _described(result: BatchResult, orchestrator: Orchestrator) -> BatchResult:
    """``result`` naming the executor that ran the files (``mode`` ``dask`` on Dask)."""
    executor = orchestrator.executor
    name = executor.name if executor is not None else None
    return replace(result, mode="dask" if name == "dask" else result.mode, executor=name)


async def run_batch(config: ConfigSource | Plan, **options: Unpack[RunOptions]) -> BatchResult:
    """Run a batch on the running event loop and return its :class:`BatchResult`.

    It never calls :func:`asyncio.run` itself, so it can be awaited inside an
    application that already runs a loop (asyncio, or trio for the local and
    sequential executors). Its blocking set-up runs
    on a worker thread. Cancelling the awaiting task stops admitting files,
    terminates the workers, keeps every finished result in the result store and
    writes the outputs marked partial; the cancellation is then re-raised.

    :param config: a :class:`Config`, a YAML path, a config mapping, or a
        :class:`~ofxpost._config.plan.Plan` from :func:`ofxpost.make_plan`.
    :param options: see :class:`RunOptions`: ``workers`` (override
        ``parallel_processing.max_workers``; not with a plan), ``sequential``
        (one worker process), ``in_process`` (debugging only), ``resume``,
        ``on_event``, ``sinks``, ``executor`` (an
        :data:`~ofxpost._executors.protocol.ExecutorFactory`; ``pool_factory`` is its
        former name).
    :raises ConfigError: if the config, an option or the inputs are unusable
        (nothing is written).
    :raises OutputError: if ``output_dir`` cannot be used.
    :raises OutputDirLockedError: if another run holds ``output_dir``.
    :raises UnsupportedLoopError: if not awaited on an event loop, or if the Dask
        executor is asked for under trio.
    """
    refuse_in_bootstrapping_worker()
    _require_loop("run_batch()")
    prepared = await _prepare_off_loop(config, options)
    _require_backend(prepared, options)
    return await _run_prepared(prepared, options)


class BatchStream:
    """Events of a running batch as an async iterator, then its result.

    Get one from :func:`open_batch`; iterate it with ``async for``. Iteration ends
    after ``batch_finished``; :attr:`result` is then set. Breaking out of the loop
    loses nothing: a later ``async for`` goes on with the next event. Whatever the
    consumer does, :attr:`final` is the ``batch_finished`` event once the batch has
    ended -- also when the block was left early and the batch was cancelled.
    """

    def __init__(self, receive: MemoryObjectReceiveStream[Event]) -> None:
        self._receive = receive
        self.result: BatchResult | None = None
        """The batch's result, once iteration has ended."""
        self.error: BaseException | None = None
        """The exception that stopped the batch, if any."""
        self.final: Event | None = None
        """The ``batch_finished`` event, once the batch has ended (``None`` before, or
        when the batch stopped before it could be emitted)."""

    def __aiter__(self) -> AsyncIterator[Event]:
        return self._events()

    async def _events(self) -> AsyncIterator[Event]:
        # the stream is closed by open_batch, not here: a ``break`` keeps the events
        # that follow for the next iteration
        with contextlib.suppress(anyio.ClosedResourceError):
            async for event in self._receive:
                yield event


@asynccontextmanager
async def open_batch(
    config: ConfigSource, **options: Unpack[RunOptions]
) -> AsyncIterator[BatchStream]:
    """Start a batch in the background and stream its events.

    ::

        async with ofxpost.open_batch("batch.yml", workers=4) as batch:
            async for event in batch:
                print(event["event"], event.get("file"))
        print(batch.result.exit_code)

    ``options`` are those of :func:`run_batch`. Config, option, input and
    ``output_dir`` errors are raised here, before the batch starts. Leaving the block
    early cancels the batch (outputs are then written marked partial); the block's
    exit waits for the batch to conclude, so :attr:`BatchStream.final` then holds its
    ``batch_finished`` event (``cancelled: true``, ``exit_code`` 130).
    """
    refuse_in_bootstrapping_worker()
    _require_loop("open_batch()")
    prepared = await _prepare_off_loop(config, options)
    _require_backend(prepared, options)
    send, receive = anyio.create_memory_object_stream[Event](max_buffer_size=math.inf)
    stream = BatchStream(receive)

    def forward(event: Event) -> None:
        if event.get("event") == "batch_finished":
            stream.final = event  # kept for a consumer that left early
        # a consumer that stopped listening must not disturb the batch
        with contextlib.suppress(anyio.BrokenResourceError, anyio.ClosedResourceError):
            send.send_nowait(event)

    run_options = {**options, "sinks": [*options.get("sinks", ()), forward]}

    async def runner() -> None:
        async with send:
            try:
                stream.result = await _run_prepared(prepared, run_options)
            except Exception as exc:
                stream.error = exc
                raise

    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(runner)
            try:
                yield stream
            finally:
                if stream.result is None:
                    tg.cancel_scope.cancel()
    finally:
        receive.close()
        prepared.release()


def run(config: ConfigSource, **options: Unpack[RunOptions]) -> BatchResult:
    """Run a batch from synchronous code (scripts); see :func:`run_batch`.

    :raises UnsupportedLoopError: if called inside a running event loop (there,
        ``await ofxpost.run_batch(...)`` instead).
    """
    library = running_async_library()
    if library is not None:
        raise UnsupportedLoopError(
            f"ofxpost.run() cannot be called inside a running {library} event loop; "
            "`await ofxpost.run_batch(...)` instead"
        )
    check_options(options)
    return anyio.run(functools.partial(run_batch, config, **options), backend="asyncio")
