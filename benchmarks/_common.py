"""Shared helpers of the ofxpost benchmarks.

* paths (:data:`BENCH_DIR`, :data:`DATA_DIR`) and :func:`setup_paths`, which puts
  ``benchmarks/`` on ``sys.path`` *and* ``PYTHONPATH`` so that spawned workers of
  every runner (ofxpost, ``ProcessPoolExecutor``, loky, Dask) can import the
  benchmark modules (:mod:`_peer`, :mod:`noop_plugin`);
* :class:`RssSampler`, a thread that samples the resident memory of a process tree;
* timers, medians and Markdown table formatting;
* :func:`machine_info` (CPU, RAM, OS, Python and package versions);
* the data-generation cache under ``benchmarks/data/`` (git-ignored):
  :func:`synth_inputs` (synthetic OrcaFlex result archives) and :func:`noop_inputs`
  (tiny files for :mod:`noop_plugin`);
* :func:`run_child`, which runs a measurement in a fresh interpreter;
* the command-line options shared by every section (:func:`add_common_args`).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

BENCH_DIR = Path(__file__).resolve().parent
"""The ``benchmarks/`` folder."""
REPO_DIR = BENCH_DIR.parent
"""The repository root."""
DATA_DIR = BENCH_DIR / "data"
"""Generated inputs and scratch output folders (git-ignored)."""
DEFAULT_OUT = BENCH_DIR / "results"
"""Default folder of ``results.md`` / ``results.json`` (git-ignored)."""

MIB = 1024**2
GIB = 1024**3

PACKAGES = (
    "ofxpost",
    "numpy",
    "pandas",
    "pyarrow",
    "pluggy",
    "anyio",
    "psutil",
    "joblib",
    "dask",
    "distributed",
    "pyinstrument",
)
"""Packages whose versions go into the machine info."""


def setup_paths() -> None:
    """Make ``benchmarks/`` importable here and in every child process.

    ``spawn`` workers of :mod:`multiprocessing` receive the parent's ``sys.path``;
    loky and Dask workers and :func:`run_child` subprocesses read ``PYTHONPATH``.
    """
    entry = str(BENCH_DIR)
    if entry not in sys.path:
        sys.path.insert(0, entry)
    parts = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if entry not in parts:
        os.environ["PYTHONPATH"] = os.pathsep.join([entry, *parts])


# ----------------------------------------------------------------------------- memory


def tree_rss(root: psutil.Process, include_root: bool = True) -> int:
    """Resident memory (bytes) of ``root``'s descendants, plus ``root`` itself if asked."""
    total = 0
    try:
        procs = root.children(recursive=True)
        if include_root:
            procs.append(root)
    except psutil.Error:
        return 0
    for proc in procs:
        with contextlib.suppress(psutil.Error):
            total += int(proc.memory_info().rss)
    return total


class RssSampler(threading.Thread):
    """Samples the RSS of a process (or its whole tree) every ``interval`` seconds.

    Use it as a context manager; :attr:`peak` is the largest sample (bytes).

    :param pid: the root process (default: this process).
    :param tree: add the RSS of every descendant (workers and their children).
    :param include_root: count the root process itself.
    :param interval: seconds between samples (20 ms by default).
    """

    def __init__(
        self,
        pid: int | None = None,
        *,
        tree: bool = False,
        include_root: bool = True,
        interval: float = 0.02,
    ) -> None:
        super().__init__(name="rss-sampler", daemon=True)
        self.proc = psutil.Process(pid if pid is not None else os.getpid())
        self.tree = tree
        self.include_root = include_root
        self.interval = interval
        self.peak = 0
        self.samples = 0
        self._stop_event = threading.Event()

    def sample(self) -> int:
        """Take one sample now (and update :attr:`peak`)."""
        if self.tree:
            value = tree_rss(self.proc, self.include_root)
        else:
            try:
                value = int(self.proc.memory_info().rss)
            except psutil.Error:
                value = 0
        self.peak = max(self.peak, value)
        self.samples += 1
        return value

    def run(self) -> None:
        while not self._stop_event.is_set():
            self.sample()
            self._stop_event.wait(self.interval)

    def stop(self) -> int:
        """Stop sampling (after one last sample) and return the peak."""
        self._stop_event.set()
        if self.is_alive():
            self.join()
        self.sample()
        return self.peak

    def __enter__(self) -> RssSampler:
        self.sample()
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def own_peak_rss() -> int:
    """This process's lifetime peak RSS in bytes (``getrusage``; psutil elsewhere)."""
    try:
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return int(peak) * (1 if sys.platform == "darwin" else 1024)
    except (ImportError, AttributeError):
        info = psutil.Process().memory_info()
        return int(getattr(info, "peak_wset", info.rss))


def own_cpu_seconds() -> float:
    """CPU seconds used by this process and every child it has reaped."""
    t = psutil.Process().cpu_times()
    return float(t.user + t.system + t.children_user + t.children_system)


def _busy_seconds() -> float:
    t = psutil.cpu_times()
    idle = t.idle + getattr(t, "iowait", 0.0)
    guest = getattr(t, "guest", 0.0) + getattr(t, "guest_nice", 0.0)  # already in user
    return float(sum(t) - idle - guest)


class ForeignLoad:
    """How busy *other* processes kept the machine during a block.

    ``fraction`` = (machine CPU seconds − this process tree's CPU seconds) /
    (wall seconds × CPUs), with the hypervisor's steal time counted as foreign.
    Measure only after the block's child processes have exited (and been reaped),
    so that their CPU time is in this process's ``children_*`` times.
    """

    def __init__(self) -> None:
        self.fraction = 0.0
        self._start = (0.0, 0.0, 0.0)

    def __enter__(self) -> ForeignLoad:
        self._start = (time.monotonic(), _busy_seconds(), own_cpu_seconds())
        return self

    def __exit__(self, *exc: object) -> None:
        t0, busy0, own0 = self._start
        wall = time.monotonic() - t0
        foreign = (_busy_seconds() - busy0) - (own_cpu_seconds() - own0)
        cpus = psutil.cpu_count() or 1
        self.fraction = max(0.0, foreign) / max(wall * cpus, 1e-9)


class QuietGate:
    """Waits, before a run, until other processes leave the machine (mostly) idle.

    On a shared machine other jobs come and go; starting a run during a burst
    wastes it. :meth:`wait` samples the machine's CPU use for ``window`` seconds at a
    time (this process is idle meanwhile, so it is all foreign) until it is below
    ``threshold``, for at most ``max_wait`` seconds per call and ``budget`` seconds
    over the whole benchmark, so a machine that never calms down still finishes.
    """

    def __init__(
        self,
        threshold: float = 0.10,
        window: float = 1.0,
        max_wait: float = 30.0,
        budget: float = 180.0,
    ) -> None:
        self.threshold = threshold
        self.window = window
        self.max_wait = max_wait
        self.budget = budget
        self.waited = 0.0

    def wait(self) -> float:
        """Wait for a quiet machine; return the seconds waited."""
        start = time.monotonic()
        while self.waited < self.budget and time.monotonic() - start < self.max_wait:
            busy = psutil.cpu_percent(interval=self.window) / 100
            self.waited += self.window
            if busy <= self.threshold:
                break
        return time.monotonic() - start


QUIET = QuietGate()
"""The gate every section uses (one waiting budget for the whole benchmark)."""


# ----------------------------------------------------------------------------- timing


@contextlib.contextmanager
def timer() -> Iterator[dict[str, float]]:
    """``with timer() as t: ...`` then ``t["s"]`` holds the elapsed seconds."""
    box: dict[str, float] = {}
    start = time.perf_counter()
    try:
        yield box
    finally:
        box["s"] = time.perf_counter() - start


def median(values: Sequence[float]) -> float:
    """Median of ``values`` (NaN when empty)."""
    return statistics.median(values) if values else float("nan")


def fmt_s(value: float | None) -> str:
    """Seconds for a table cell."""
    if value is None or value != value:
        return "–"
    return f"{value:.3f}" if value < 10 else f"{value:.2f}"


def fmt_x(value: float | None, digits: int = 2) -> str:
    """A ratio for a table cell (``1.93×``)."""
    if value is None or value != value:
        return "–"
    return f"{value:.{digits}f}×"


def fmt_mib(value: float | None) -> str:
    """Bytes as MiB for a table cell."""
    if value is None or value != value:
        return "–"
    return f"{value / MIB:.0f} MiB"


def markdown_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> str:
    """A GitHub-flavoured Markdown table of ``rows`` (each a mapping column → cell)."""
    cells = [[str(row.get(col, "")) for col in columns] for row in rows]
    widths = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(columns)]
    lines = [
        "| " + " | ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)) + " |",
        "|" + "|".join("-" * (w + 2) for w in widths) + "|",
    ]
    lines += [
        "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in cells
    ]
    return "\n".join(lines)


@dataclass
class Target:
    """A target a section measures against (printed, never asserted)."""

    name: str
    measured: float
    limit: float
    higher_is_better: bool
    unit: str = ""

    @property
    def met(self) -> bool:
        """Whether the measurement meets the target."""
        if self.measured != self.measured:
            return False
        return (
            self.measured >= self.limit if self.higher_is_better else (self.measured <= self.limit)
        )

    def row(self) -> dict[str, str]:
        """A table row."""
        sign = "≥" if self.higher_is_better else "≤"
        return {
            "target": self.name,
            "measured": f"{self.measured:.3f}{self.unit}",
            "goal": f"{sign} {self.limit:g}{self.unit}",
            "met": "yes" if self.met else "**NO**",
        }

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {**self.__dict__, "met": self.met}


@dataclass
class SectionResult:
    """What one benchmark section measured."""

    name: str
    title: str
    table: str
    targets: list[Target] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def markdown(self) -> str:
        """The section as Markdown (table, targets, notes)."""
        parts = [f"## {self.title}", "", self.table, ""]
        if self.targets:
            parts += [
                markdown_table(
                    [t.row() for t in self.targets], ["target", "measured", "goal", "met"]
                ),
                "",
            ]
        parts += [f"- {note}" for note in self.notes]
        return "\n".join(parts).rstrip() + "\n"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "name": self.name,
            "title": self.title,
            "targets": [t.to_dict() for t in self.targets],
            "data": self.data,
            "notes": self.notes,
        }


# ----------------------------------------------------------------------------- machine


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def machine_info() -> dict[str, Any]:
    """CPU count and model, RAM, OS, Python and package versions."""
    versions: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    affinity: int | None = None
    with contextlib.suppress(AttributeError, OSError):
        affinity = len(os.sched_getaffinity(0))
    return {
        "cpu_logical": psutil.cpu_count(logical=True),
        "cpu_physical": psutil.cpu_count(logical=False),
        "cpu_usable": affinity,
        "cpu_model": _cpu_model(),
        "ram_bytes": int(psutil.virtual_memory().total),
        "ram": f"{psutil.virtual_memory().total / GIB:.1f} GiB",
        "os": platform.platform(),
        "python": platform.python_version(),
        "python_impl": platform.python_implementation(),
        "packages": versions,
        "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def machine_line(info: Mapping[str, Any]) -> str:
    """One line describing the machine, for tables."""
    return (
        f"{info['cpu_logical']} logical CPUs ({info['cpu_model']}), {info['ram']} RAM, "
        f"{info['os']}, Python {info['python']}"
    )


# ----------------------------------------------------------------------------- inputs


def synth_inputs(files: int, file_mb: float, seed: int = 7) -> list[Path]:
    """``files`` synthetic result archives of about ``file_mb`` MB each (cached).

    :func:`ofxpost._tools.synth.generate_batch` sizes archives from an uncompressed
    estimate, so one probe archive is generated first and ``target_bytes`` is
    scaled by how far its real size missed. The batch goes to
    ``benchmarks/data/synth-<files>x<file_mb>MB-s<seed>/`` and is reused while its
    marker file says it is complete.
    """
    folder = DATA_DIR / f"synth-{files}x{file_mb:g}MB-s{seed}"
    marker = folder / "COMPLETE.json"
    if marker.is_file():
        listed = [folder / name for name in json.loads(marker.read_text())["files"]]
        if all(p.is_file() for p in listed):
            return listed
    from ofxpost._tools.synth import generate_batch

    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    target = int(file_mb * 1e6)
    probe = generate_batch(cases=1, out_dir=folder / "_probe", seed=seed, target_bytes=target)
    actual = Path(probe.paths[0]).stat().st_size
    shutil.rmtree(folder / "_probe")
    scaled = int(target * target / actual)
    print(
        f"generating {files} synthetic archives of ~{file_mb:g} MB in {folder} "
        f"(target_bytes {scaled / 1e6:.1f} MB after a probe of {actual / 1e6:.1f} MB) ...",
        flush=True,
    )
    with timer() as t:
        batch = generate_batch(cases=files, out_dir=folder, seed=seed, target_bytes=scaled)
    paths = sorted(Path(p) for p in batch.paths)
    sizes = [p.stat().st_size for p in paths]
    print(
        f"  done in {t['s']:.1f} s: {len(paths)} files, "
        f"{sum(sizes) / 1e6:.0f} MB ({min(sizes) / 1e6:.1f}-{max(sizes) / 1e6:.1f} MB each)",
        flush=True,
    )
    marker.write_text(json.dumps({"files": [p.name for p in paths]}), encoding="utf-8")
    return paths


def noop_inputs(
    files: int,
    *,
    alloc_mb: Sequence[float] = (0.0,),
    work_ms: float = 0.0,
    size_per_alloc: float | None = None,
    tag: str = "tiny",
) -> Path:
    """A folder of ``files`` inputs for :mod:`noop_plugin` (cached); returns the folder.

    :param alloc_mb: MiB the loader allocates per file, cycled over the files.
    :param work_ms: milliseconds of CPU work per file.
    :param size_per_alloc: if set, each file is a *sparse* file whose apparent size is
        its allocation divided by this factor, so ``memory_per_file: auto`` sees
        a realistic size-to-memory relation without using disk space.
    """
    from noop_plugin import write_noop_file

    folder = DATA_DIR / f"noop-{tag}-{files}"
    spec = {
        "files": files,
        "alloc_mb": list(alloc_mb),
        "work_ms": work_ms,
        "size_per_alloc": size_per_alloc,
        "format": 1,
    }
    marker = folder / "COMPLETE.json"
    if marker.is_file() and json.loads(marker.read_text()) == spec:
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for i in range(files):
        mb = float(alloc_mb[i % len(alloc_mb)])
        size = int(mb * MIB / size_per_alloc) if size_per_alloc else None
        write_noop_file(folder / f"f{i:06d}.noop", i, alloc_mb=mb, work_ms=work_ms, size=size)
    marker.write_text(json.dumps(spec), encoding="utf-8")
    return folder


def noop_config(folder: Path) -> dict[str, Any]:
    """The config of a ``.noop`` batch in ``folder`` (CSV output only)."""
    return {
        "inputs": [str(folder / "*.noop")],
        "plugins": ["noop_plugin"],
        "outputs": {"formats": ["csv"]},
    }


def write_noop_config(path: Path, folder: Path, output_dir: Path, workers: int) -> Path:
    """Write the config of a ``.noop`` batch (:func:`noop_config`) run by ``workers``
    worker processes into ``output_dir`` to ``path``; returns ``path``."""
    import yaml

    config = {
        **noop_config(folder),
        "output_dir": str(output_dir),
        "parallel_processing": {"max_workers": workers},
    }
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def scratch_dir(name: str) -> Path:
    """An empty scratch folder ``benchmarks/data/runs/<name>``."""
    folder = DATA_DIR / "runs" / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


# ----------------------------------------------------------------------------- children


def run_child(
    module: str,
    payload: Mapping[str, Any],
    timeout: float = 1800,
    *,
    sample_tree: bool = False,
) -> dict[str, Any]:
    """Run ``python benchmarks/<module>.py --child JSON`` and return its JSON answer.

    The child prints its answer as the last stdout line, prefixed ``RESULT ``. With
    ``sample_tree`` this process samples the RSS of the child's whole process tree
    (the child and every worker it starts) every 20 ms and adds the peak to the
    answer as ``tree_peak_rss``.
    """
    setup_paths()
    cmd = [sys.executable, str(BENCH_DIR / f"{module}.py"), "--child", json.dumps(payload)]
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO_DIR
    )
    sampler = RssSampler(proc.pid, tree=True) if sample_tree else None
    if sampler is not None:
        sampler.start()
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        stdout, stderr = proc.communicate()
    finally:
        if sampler is not None:
            sampler.stop()
    for line in reversed(stdout.splitlines()):
        if line.startswith("RESULT "):
            answer: dict[str, Any] = json.loads(line[len("RESULT ") :])
            if sampler is not None:
                answer["tree_peak_rss"] = sampler.peak
                answer["tree_samples"] = sampler.samples
            return answer
    raise RuntimeError(
        f"child {module} {payload} failed (exit {proc.returncode}):\n"
        f"{stdout[-3000:]}\n{stderr[-5000:]}"
    )


def child_reply(answer: Mapping[str, Any]) -> None:
    """Print a child's answer for :func:`run_child`."""
    print("RESULT " + json.dumps(answer), flush=True)


# ----------------------------------------------------------------------------- options


def parse_workers(text: str) -> list[int]:
    """``"1,2,4"`` → ``[1, 2, 4]``."""
    values = sorted({int(part) for part in text.split(",") if part.strip()})
    if not values or values[0] < 1:
        raise argparse.ArgumentTypeError(f"bad worker list {text!r}")
    return values


def add_common_args(parser: argparse.ArgumentParser) -> None:
    """Options every section understands."""
    parser.add_argument(
        "--workers",
        type=parse_workers,
        default=None,
        help="comma-separated worker counts to sweep (default: 1,<CPUs> capped at 2 here)",
    )
    parser.add_argument("--rounds", type=int, default=None, help="rounds per runner (median)")
    parser.add_argument("--quick", action="store_true", help="a smaller, faster run")
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help="folder for results.md / results.json"
    )
    parser.add_argument(
        "--profile", action="store_true", help="also profile the ofxpost controller (pyinstrument)"
    )
    parser.add_argument(
        "--max-foreign",
        type=float,
        default=QUIET.threshold,
        help="redo a run during which other processes used more than this share of the "
        "CPUs (1 disables), and wait for the machine to be this quiet before each run",
    )
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=QUIET.budget,
        help="seconds, over the whole benchmark, to spend waiting for a quiet machine",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)


def configure(args: argparse.Namespace) -> None:
    """Apply the shared options (the quiet-machine gate)."""
    QUIET.threshold = args.max_foreign
    QUIET.budget = args.quiet_wait


def default_workers() -> list[int]:
    """``[1, n]`` with n the usable CPU count (``[1]`` on one CPU)."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    return sorted({1, cpus})


def write_section(out: Path, result: SectionResult, info: Mapping[str, Any]) -> None:
    """Write one section's ``<name>.md`` and ``<name>.json`` into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    header = f"# ofxpost benchmark: {result.title}\n\nMachine: {machine_line(info)}\n\n"
    (out / f"{result.name}.md").write_text(header + result.markdown(), encoding="utf-8")
    data = {"machine": info, "section": result.to_dict()}
    (out / f"{result.name}.json").write_text(json.dumps(data, indent=2), encoding="utf-8")


def print_section(result: SectionResult) -> None:
    """Print one section's Markdown to stdout."""
    print()
    print(result.markdown(), flush=True)
