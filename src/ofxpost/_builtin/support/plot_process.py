"""The plot process: range-graph PNGs and the report's SVGs drawn in a child process,
off the controller's GIL.

Drawing the plots is pure Python and C under the GIL (~0.1 s a PNG, and matplotlib's
import, ~0.5 s, before the first). In the controller it would take turns with the
other writers (Excel, CSV, Parquet, the report's HTML), which run in threads at the
same time; in a process of its own it overlaps them.

* **Start.** :func:`start` launches ``python -c`` with this module's :func:`serve`
  (no :mod:`multiprocessing`, so nothing of the caller's ``__main__`` is imported,
  on Windows and Linux alike). The child imports only numpy, matplotlib,
  :mod:`.figures` and :mod:`.report_figures`, then says it is ready. The range-graph
  and report plugins register the batch when it starts (:func:`start_for_batch`,
  :data:`MIN_FILES` files or more). With a CPU spare beside the workers the child
  starts then, so that its imports overlap the files; without one it starts at the
  tail of the files, when a worker has nothing left to take (the plugins'
  ``ofxpost_prepare_finish`` borrows it), or at the latest when a writer borrows it.
  On a machine with many CPUs a :class:`PlotGroup` of several such processes shares
  the graphs (:func:`group_size`: one per :data:`CPUS_PER_PROCESS` CPUs).
* **Draw.** :meth:`PlotProcess.draw` sends the :class:`~.figures.FigureSpec` values
  and the staging folder (pickled over the child's stdin) and waits for the
  answer; the child writes each PNG atomically into that folder, as the
  in-process drawing does. :meth:`PlotProcess.svgs` sends the report's
  :class:`~.report_figures.ReportFigure` values and gets the SVG texts back. The
  same specs give the same bytes in either place. The range-graph and report
  writers run at the same time and share the processes (:func:`borrow`); each
  process draws one request at a time.
* **Failures.** A child that cannot start (no interpreter, a failed import: it
  never says ready) is not an error: the plots are drawn in the controller. An
  exception while drawing comes back and is raised again in the controller, as
  if drawn there; a child that dies while drawing raises
  :class:`PlotProcessDied`. The range-graph writer then fails, and the Finisher
  reports it as ``output_failed`` for the plots only (their staged files are
  dropped); the report draws its SVGs in the controller instead.
* **End.** :func:`close_batch` (when the batch has finished) closes each child's
  stdin (the child exits) and waits; a child whose controller was killed sees its
  stdin close and exits too.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pickle
import subprocess
import sys
import threading
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypeVar

from ofxpost._builtin.support.figures import FigureSpec, save_pngs
from ofxpost._builtin.support.report_figures import ReportFigure, draw_svgs
from ofxpost.errors import PlotProcessDied

if TYPE_CHECKING:
    from ofxpost._config.model import Config
    from ofxpost._config.plan import Plan

__all__ = [
    "MIN_FILES",
    "PlotGroup",
    "PlotProcess",
    "PlotProcessDied",
    "borrow",
    "close_batch",
    "group_size",
    "serve",
    "spare_cpu",
    "start",
    "start_for_batch",
    "start_group",
]

MIN_FILES = 16
"""Batches of at least this many files draw their plots in the plot process.

Below it the plots are small and the child's start (~0.5 s of CPU, taken from
the workers while the files run) would not pay."""

CPUS_PER_PROCESS = 4
"""One plot process per this many CPUs (at least one; at most one per graph): a 2-CPU
machine gets one, a 16-CPU machine draws up to four graphs at once."""

READY = "ready"
_BOOT = (
    "import sys; sys.path[0] = sys.argv[1]; "
    "from ofxpost._builtin.support.plot_process import serve; serve()"
)
_CLOSE_WAIT_S = 10.0
_T = TypeVar("_T")


class PlotProcess:
    """One child process that draws range-graph PNGs; see the module docstring."""

    def __init__(self, child: subprocess.Popen[bytes]) -> None:
        self._child = child
        self._lock = threading.Lock()
        self._ready: bool | None = None

    @property
    def pid(self) -> int:
        """The child's process id."""
        return self._child.pid

    def _await_ready(self) -> bool:
        """Whether the child started (read its ready message once)."""
        if self._ready is None:
            try:
                self._ready = _receive(self._child.stdout) == (READY,)
            except Exception:
                self._ready = False
        return self._ready

    def draw(self, specs: list[FigureSpec], folder: Path) -> list[Path]:
        """Draw the PNGs of ``specs`` into ``folder``: in the child, or here if it never
        started.

        :raises PlotProcessDied: the child ended while drawing.
        :raises Exception: what drawing raised in the child.
        """
        done = self._request(("png", specs, str(folder)), lambda: save_pngs(specs, folder))
        return [Path(p) for p in done]

    def svgs(self, figures: list[ReportFigure]) -> list[str]:
        """The SVG text of each of the report's ``figures``: drawn in the child, or here
        if it never started.

        :raises PlotProcessDied: the child ended while drawing.
        :raises Exception: what drawing raised in the child.
        """
        return list(self._request(("svg", figures), lambda: draw_svgs(figures)))

    def _request(self, request: tuple[Any, ...], here: Callable[[], list[Any]]) -> list[Any]:
        """Send ``request`` and return the child's answer (``here()`` if it never started)."""
        with self._lock:
            if not self._await_ready():
                self.close()
                return here()
            stdin = self._child.stdin
            assert stdin is not None
            try:
                pickle.dump(request, stdin, protocol=pickle.HIGHEST_PROTOCOL)
                stdin.flush()
                reply = _receive(self._child.stdout)
            except (OSError, EOFError, pickle.PickleError, AttributeError, ImportError) as exc:
                code = self._child.poll()
                raise PlotProcessDied(
                    f"the plot process (pid {self.pid}) ended while drawing"
                    + (f" (exit code {code})" if code is not None else "")
                    + "; no plot was written"
                ) from exc
        if reply[0] == "ok":
            return list(reply[1])
        _, error, text = reply
        if isinstance(error, BaseException):
            error.add_note(f"in the plot process:\n{text}")
            raise error
        raise RuntimeError(f"{error} (in the plot process)\n{text}")

    def close(self) -> None:
        """Let the child exit (close its stdin) and wait for it; kill it if it hangs."""
        child = self._child
        for stream in (child.stdin, child.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        try:
            child.wait(timeout=_CLOSE_WAIT_S)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def start() -> PlotProcess | None:
    """Launch a plot process (it imports matplotlib meanwhile); ``None`` if it cannot.

    ``None`` too in a frozen application, whose executable is not a Python
    interpreter that understands ``-c``.
    """
    if getattr(sys, "frozen", False) or not sys.executable:
        return None
    package_parent = str(Path(__file__).resolve().parents[3])
    try:
        child = subprocess.Popen(
            [sys.executable, "-c", _BOOT, package_parent],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0),
        )
    except (OSError, ValueError):
        return None
    return PlotProcess(child)


class PlotGroup:
    """Plot processes that share a batch's plots (graph ``i`` goes to process
    ``i mod n``); see :func:`start_group`."""

    def __init__(self, processes: list[PlotProcess]) -> None:
        self.processes = processes

    def draw(self, specs: list[FigureSpec], folder: Path) -> list[Path]:
        """Draw ``specs`` into ``folder``, the processes at the same time; paths in order.

        :raises Exception: the first error of a process (in process order), once
            every process has finished.
        """
        return self._shared(specs, lambda process, share: process.draw(share, folder))

    def svgs(self, figures: list[ReportFigure]) -> list[str]:
        """The SVG text of each figure, the processes at the same time; in order.

        :raises Exception: as :meth:`draw`.
        """
        return self._shared(figures, lambda process, share: process.svgs(share))

    def _shared(
        self, items: list[Any], call: Callable[[PlotProcess, list[Any]], list[_T]]
    ) -> list[_T]:
        """``call`` on item ``i`` in process ``i mod n``; the answers in ``items`` order."""
        count = len(self.processes)
        if count == 1:
            return call(self.processes[0], items)
        shares = [items[k::count] for k in range(count)]
        with ThreadPoolExecutor(count, thread_name_prefix="ofxpost-plots") as pool:
            futures = [
                pool.submit(call, process, share)
                for process, share in zip(self.processes, shares, strict=True)
            ]
            answers = [future.result() for future in futures]  # the first error is raised
        return [answers[position % count][position // count] for position in range(len(items))]

    def close(self) -> None:
        """Close every process."""
        for process in self.processes:
            process.close()


def group_size(graphs: int) -> int:
    """How many plot processes a batch with ``graphs`` plots starts."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Windows or macOS
        cpus = os.cpu_count() or 1
    return max(1, min(graphs, cpus // CPUS_PER_PROCESS))


def start_group(graphs: int) -> PlotGroup | None:
    """Start :func:`group_size` plot processes; ``None`` if none starts."""
    processes = [p for p in (start() for _ in range(group_size(graphs))) if p is not None]
    return PlotGroup(processes) if processes else None


@dataclass
class _Batch:
    """The plot processes of one running batch."""

    config: Any
    """The batch's config (so that its id stays its own while listed)."""
    batch_id: str
    graphs: int
    """The number of range graphs (how many processes may share them)."""
    group: PlotGroup | None = None
    """The processes; ``None`` while their start is deferred (no spare CPU yet)."""
    deferred: bool = False
    """Whether the start is deferred to the tail of the files or the finish."""


_batches: dict[int, _Batch] = {}
"""Plot processes of running batches, by ``id(config)``."""
_batches_lock = threading.Lock()


def spare_cpu(plan: Plan) -> bool:
    """Whether a CPU is left over beside ``plan``'s batch for a plot process
    (:func:`ofxpost._config.plan.spare_cpu`).

    Without a spare CPU a plot process started with the batch takes CPU from the
    files (measured on 2 CPUs with 2 workers: the files phase grew by more than the
    finish shrank), so it is then started at the tail of the files instead (the
    plugins' ``ofxpost_prepare_finish``).
    """
    from ofxpost._config.plan import spare_cpu as batch_spare_cpu

    return batch_spare_cpu(plan)


def start_for_batch(plan: Plan, graphs: int) -> bool:
    """Whether ``plan``'s batch draws its plots (the range graphs' PNGs, the report's
    SVGs) in plot processes, which the writers then :func:`borrow`; ``False``: they
    are drawn in the controller. Called again for the same batch, it answers the same.

    A batch of :data:`MIN_FILES` files or more does. With a spare CPU
    (:func:`spare_cpu`) its processes start now, so that their imports overlap the
    files. Without one they start at the tail of the files, when a worker has no
    file left to take (the range-graph and report plugins' ``ofxpost_prepare_finish``
    calls :func:`borrow`), or at the latest when a writer borrows them: they then
    import and draw beside the controller's other writers instead of taking turns
    with them under its GIL (2 CPUs, 2 workers, interleaved runs: the
    campaign's phase after the last file 2.70 -> 2.06 s, mean of three; the 32-file
    mixed batch 1.82 -> 1.55 s, and the controller's CPU per file while the files
    run 15.0 -> 3.7 ms, as it no longer imports matplotlib then). A process started
    with the batch at the lowest priority did nearly as well, but a busy machine
    (OrcaFlex running the next simulations beside a watch) would starve it at the
    finish.
    """
    if getattr(plan, "total", 0) < MIN_FILES or (os.cpu_count() or 1) < 2:
        return False
    with _batches_lock:
        known = _batches.get(id(plan.config))
        if known is not None and known.config is plan.config:
            return True
    spare = spare_cpu(plan)
    group = start_group(graphs) if spare else None
    if spare and group is None:
        return False  # no process could start: drawn in the controller
    with _batches_lock:
        known = _batches.get(id(plan.config))
        if known is None or known.config is not plan.config:
            _batches[id(plan.config)] = _Batch(
                plan.config, plan.batch_id, graphs, group, deferred=not spare
            )
            group = None
    if group is not None:  # another thread registered the batch meanwhile
        group.close()
    return True


def borrow(config: Config) -> PlotGroup | None:
    """The plot processes of ``config``'s batch, started now if they were deferred;
    ``None``: draw in the controller. They stay the batch's: :func:`close_batch`
    closes them (several writers share them)."""
    with _batches_lock:
        held = _batches.get(id(config))
        if held is None or held.config is not config:
            return None
        if held.deferred:
            held.deferred = False
            held.group = start_group(held.graphs)
        return held.group


def close_batch(batch_id: str) -> None:
    """Close the plot processes of batch ``batch_id``."""
    with _batches_lock:
        mine = [key for key, held in _batches.items() if held.batch_id == batch_id]
        left = [_batches.pop(key).group for key in mine]
    for group in left:
        if group is not None:
            group.close()


@atexit.register
def _close_all() -> None:
    """Close plot processes a batch left (one whose finish phase raised)."""
    with _batches_lock:
        left = [held.group for held in _batches.values() if held.group is not None]
        _batches.clear()
    for group in left:
        group.close()


def _receive(stream: IO[bytes] | None) -> Any:
    if stream is None:
        raise EOFError("no pipe")
    return pickle.load(stream)


def serve() -> None:
    """The child's loop: import the renderer, say ready, draw each request until EOF."""
    out = sys.stdout.buffer
    requests = sys.stdin.buffer
    sys.stdout = sys.stderr  # a stray print must not corrupt the answers
    import matplotlib.backends.backend_agg
    import matplotlib.figure  # noqa: F401

    _send(out, (READY,))
    while True:
        try:
            request = pickle.load(requests)
        except EOFError:
            return
        try:
            if request[0] == "svg":
                reply: tuple[Any, ...] = ("ok", draw_svgs(request[1]))
            else:
                _, specs, folder = request
                reply = ("ok", [str(p) for p in save_pngs(specs, Path(folder))])
        except Exception as exc:
            text = "".join(traceback.format_exception(exc))
            try:
                pickle.dumps(exc)
                reply = ("error", exc, text)
            except Exception:
                reply = ("error", f"{type(exc).__name__}: {exc}", text)
        _send(out, reply)


def _send(out: IO[bytes], message: Any) -> None:
    pickle.dump(message, out, protocol=pickle.HIGHEST_PROTOCOL)
    out.flush()
