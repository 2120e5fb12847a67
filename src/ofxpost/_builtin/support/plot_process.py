"""The plot process: range-graph PNGs drawn in a child process, off the controller's GIL.

Drawing the plots is pure Python and C under the GIL (~0.1 s a PNG). In the
controller it would take turns with the other writers (Excel, CSV, Parquet),
which run in threads at the same time; in a process of its own it overlaps them.

* **Start.** :func:`start` launches ``python -c`` with this module's :func:`serve`
  (no :mod:`multiprocessing`, so nothing of the caller's ``__main__`` is imported,
  on Windows and Linux alike). The child imports only numpy, matplotlib and
  :mod:`ofxpost._builtin.support.figures`, then says it is ready. The range-graph plugin
  starts it when the batch starts (:data:`MIN_FILES` files or more), so the
  imports overlap the files; when no CPU is spare beside the workers it starts at
  the finish instead, and imports and draws beside the other writers. On a
  machine with many CPUs a :class:`PlotGroup` of several such processes shares
  the graphs (:func:`group_size`: one per :data:`CPUS_PER_PROCESS` CPUs).
* **Draw.** :meth:`PlotProcess.draw` sends the :class:`~.figures.FigureSpec` values
  and the staging folder (pickled over the child's stdin) and waits for the
  answer; the child writes each PNG atomically into that folder, as the
  in-process drawing does. The same specs give the same bytes in either place.
* **Failures.** A child that cannot start (no interpreter, a failed import: it
  never says ready) is not an error: the plots are drawn in the controller. An
  exception while drawing comes back and is raised again in the controller, as
  if drawn there; a child that dies while drawing raises
  :class:`PlotProcessDied`. Either way the writer fails and the Finisher reports
  it as ``output_failed`` for the plots only (their staged files are dropped).
* **End.** :meth:`PlotProcess.close` closes its stdin (the child exits) and waits;
  a child whose controller was killed sees its stdin close and exits too.
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
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from ofxpost._builtin.support.figures import FigureSpec, save_pngs
from ofxpost.errors import PlotProcessDied

if TYPE_CHECKING:
    from ofxpost._config.model import Config
    from ofxpost._config.plan import Plan

__all__ = [
    "MIN_FILES",
    "PlotGroup",
    "PlotProcess",
    "PlotProcessDied",
    "close_batch",
    "group_size",
    "serve",
    "spare_cpu",
    "start",
    "start_for_batch",
    "start_group",
    "take",
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
        """Draw ``specs`` into ``folder``: in the child, or here if it never started.

        :raises PlotProcessDied: the child ended while drawing.
        :raises Exception: what drawing raised in the child.
        """
        with self._lock:
            if not self._await_ready():
                self.close()
                return save_pngs(specs, folder)
            stdin = self._child.stdin
            assert stdin is not None
            try:
                pickle.dump((specs, str(folder)), stdin, protocol=pickle.HIGHEST_PROTOCOL)
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
            return [Path(p) for p in reply[1]]
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
        count = len(self.processes)
        if count == 1:
            return self.processes[0].draw(specs, folder)
        shares = [specs[k::count] for k in range(count)]
        with ThreadPoolExecutor(count, thread_name_prefix="ofxpost-plots") as pool:
            futures = [
                pool.submit(process.draw, share, folder)
                for process, share in zip(self.processes, shares, strict=True)
            ]
            drawn = [future.result() for future in futures]  # the first error is raised
        paths: list[Path] = []
        for position in range(len(specs)):
            paths.append(drawn[position % count][position // count])
        return paths

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


_batches: dict[int, tuple[Any, str, PlotGroup | None, int]] = {}
"""Plot processes of running batches, by ``id(config)``: the config (so that the id
stays its own while listed), the batch id, the processes (``None`` while their start
is deferred to the finish: no spare CPU while the files run) and the number of
graphs."""
_batches_lock = threading.Lock()


def spare_cpu(plan: Plan) -> bool:
    """Whether a CPU is left over beside ``plan``'s batch for a plot process.

    A parallel batch keeps its workers and the controller busy (``workers + 1``
    processes); a sequential one only the controller. Without a spare CPU a plot
    process started with the batch takes CPU from the files (measured on 2 CPUs with
    2 workers: the files phase grew by more than the finish shrank), so it is then
    started at the finish instead (:func:`start_for_batch`).
    """
    busy = 1 if getattr(plan, "mode", "parallel") == "sequential" else plan.workers + 1
    return (os.cpu_count() or 1) > busy


def start_for_batch(plan: Plan, graphs: int) -> bool:
    """Whether ``plan``'s batch draws its plots in plot processes, which the
    range-graph writer then :func:`take` s; ``False``: they are drawn in the controller.

    A batch of :data:`MIN_FILES` files or more does. With a spare CPU
    (:func:`spare_cpu`) its processes start now, so that their imports overlap the
    files. Without one they start when the writer takes them, at the finish: the
    workers are idle by then, and the processes import and draw the PNGs beside the
    controller's other writers instead of taking turns with them under its GIL
    (2 CPUs, 2 workers, interleaved runs: the campaign's phase after the last file
    2.70 -> 2.06 s, mean of three; the 32-file mixed batch 1.82 -> 1.55 s, and the
    controller's CPU per file while the files run 15.0 -> 3.7 ms, as it no longer
    imports matplotlib then). A process started with the batch at the lowest priority
    did nearly as well, but a busy machine (OrcaFlex running the next simulations
    beside a watch) would starve it at the finish.
    """
    if getattr(plan, "total", 0) < MIN_FILES or (os.cpu_count() or 1) < 2:
        return False
    spare = spare_cpu(plan)
    group = start_group(graphs) if spare else None  # else started by take(), at the finish
    if spare and group is None:
        return False  # no process could start: drawn in the controller
    with _batches_lock:
        _batches[id(plan.config)] = (plan.config, plan.batch_id, group, graphs)
    return True


def take(config: Config) -> PlotGroup | None:
    """The plot processes of ``config``'s batch, started now if they were deferred
    (now the caller's to close); ``None``: draw in the controller."""
    with _batches_lock:
        held = _batches.get(id(config))
        if held is None or held[0] is not config:
            return None
        del _batches[id(config)]
    _, _, group, graphs = held
    return group if group is not None else start_group(graphs)


def close_batch(batch_id: str) -> None:
    """Close the plot processes of batch ``batch_id`` that no writer took."""
    with _batches_lock:
        mine = [key for key, (_, batch, _, _) in _batches.items() if batch == batch_id]
        left = [_batches.pop(key)[2] for key in mine]
    for group in left:
        if group is not None:
            group.close()


@atexit.register
def _close_all() -> None:
    """Close plot processes a batch left (one whose finish phase raised)."""
    with _batches_lock:
        left = [group for _, _, group, _ in _batches.values() if group is not None]
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
            specs, folder = pickle.load(requests)
        except EOFError:
            return
        try:
            paths = save_pngs(specs, Path(folder))
            reply: tuple[Any, ...] = ("ok", [str(p) for p in paths])
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
