"""Shared fixtures: the toy plugin, toy batches, and event capture with schema checks.

Two lanes (see README.md, "Quick start"): ``python -m pytest`` runs everything (CI);
``python -m pytest -m "not integration and not slow"`` is the fast lane of pure tests.
A test that starts a process (a pool, a worker, a subprocess, a CLI run) or runs a whole
batch is marked ``integration`` -- per module with ``pytestmark =
pytest.mark.integration``, or per test. :func:`_pure_tests_start_no_process` enforces
the first half: a test *not* marked ``integration`` that starts a process fails, naming
the marker, so the fast lane cannot silently grow slow.

Hypothesis runs under a settings profile chosen by ``OFXPOST_HYPOTHESIS_PROFILE``:
``ci`` (the default) runs a fixed, reproducible set of examples (derandomized, no
example database), ``thorough`` runs many more, freshly drawn each time.
"""

from __future__ import annotations

import json
import multiprocessing.process
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
import yaml
from hypothesis import settings

from ofxpost.testing import EventLog, table_bytes
from ofxpost.testing._pytest_plugin import ofxpost_archives, ofxpost_batch, ofxpost_events

pytest_plugins = ["pytester"]

__all__ = ["TOY_DIR", "EventLog", "ToyBatch", "table_bytes", "write_toy"]
# The kit's fixtures are imported here too, so that the suite also runs where the
# kit's pytest11 entry point is not installed (an older editable install).
_KIT_FIXTURES = (ofxpost_archives, ofxpost_batch, ofxpost_events)

TOY_DIR = Path(__file__).parent / "toyplugin"

HYPOTHESIS_PROFILE_VARIABLE = "OFXPOST_HYPOTHESIS_PROFILE"
"""Names the Hypothesis settings profile: ``ci`` (default) or ``thorough``."""

# ci: the same examples on every machine and every run (a failure reproduces by
# rerunning), enough of them to cover each fault kind in short and long batches.
settings.register_profile("ci", max_examples=50, derandomize=True, database=None)
# thorough: four times the examples of the former fixed count, new ones on every run
# (failures are remembered in the local example database and replayed first).
settings.register_profile("thorough", max_examples=800)
settings.load_profile(os.environ.get(HYPOTHESIS_PROFILE_VARIABLE, "ci"))


@pytest.fixture
def toy_on_path(monkeypatch: pytest.MonkeyPatch) -> Path:
    """Put the toy plugin modules on ``sys.path`` (spawned workers inherit it)."""
    monkeypatch.syspath_prepend(str(TOY_DIR))
    return TOY_DIR


def write_toy(path: Path, index: int, fault: str | None = None, n: int = 50) -> Path:
    """Write a ``.toy`` file whose values depend on ``index``."""
    values = [((index + 1) * 0.37 + i * 0.013) ** 1.5 % 7.1 for i in range(n)]
    path.write_text(json.dumps({"values": values, "fault": fault}), encoding="utf-8")
    return path


ToyBatch = Callable[..., Path]


@pytest.fixture
def toy_batch(tmp_path: Path, toy_on_path: Path) -> ToyBatch:
    """Factory: write ``n`` toy files and a config; return the config path."""

    def make(
        n: int = 12,
        faults: dict[int, str] | None = None,
        *,
        folder: str = "batch",
        plugins: list[str] | None = None,
        parallel: dict[str, Any] | None = None,
        extra: dict[str, Any] | None = None,
        suffix: dict[int, str] | None = None,
    ) -> Path:
        root = tmp_path / folder
        data = root / "data"
        data.mkdir(parents=True, exist_ok=True)
        for i in range(n):
            ext = (suffix or {}).get(i, ".toy")
            write_toy(data / f"case{i:03d}{ext}", i, (faults or {}).get(i))
        config = {
            "inputs": ["data/*.toy", "data/*.sim"] if suffix else ["data/*.toy"],
            "output_dir": "out",
            "plugins": ["ofxpost_toy"] if plugins is None else plugins,
            "parallel_processing": {"max_workers": 2, **(parallel or {})},
            "outputs": {"formats": ["csv", "parquet"]},
            **(extra or {}),
        }
        path = root / "batch.yml"
        path.write_text(yaml.safe_dump(config), encoding="utf-8")
        return path

    return make


@pytest.fixture
def events() -> Iterator[EventLog]:
    yield EventLog()


@pytest.fixture(autouse=True)
def _no_leftover_fake_orcfxapi() -> Iterator[None]:
    yield
    sys.modules.pop("OrcFxAPI", None)


def live_children() -> list[psutil.Process]:
    """Live descendants of this process, except multiprocessing's resource tracker (it
    lives as long as this process, whatever ofxpost does) and a pool's process-group
    reaper (it ends with its pool, and by itself when this process dies). A child forked
    but not yet exec'd is left out until it shows what it runs."""
    me = psutil.Process()
    own_command = me.cmdline()
    procs = []
    for child in me.children(recursive=True):
        try:
            cmdline = child.cmdline()
            if cmdline == own_command:
                # forked but not yet exec'd: what it becomes (a worker, the resource
                # tracker, a reaper) is known on the next look
                continue
            command = " ".join(cmdline)
            if "multiprocessing.resource_tracker" in command or "ofxpost-reaper" in command:
                continue
            if child.status() != psutil.STATUS_ZOMBIE:
                procs.append(child)
        except psutil.NoSuchProcess:
            pass
    return procs


INTEGRATION_FIXTURES = frozenset({"toy_batch", "ofxpost_batch", "pytester"})
"""Fixtures that exist to run whole batches (or pytest sessions): a test that takes one is
marked ``integration`` automatically."""


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if INTEGRATION_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(autouse=True)
def _pure_tests_start_no_process(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """Fail a test that starts a process without the ``integration`` marker.

    Watches ``multiprocessing`` processes (hence every process pool) and ``subprocess``.
    The process still starts (refusing it could make the engine fall back to running
    a crashing plugin in pytest's own process); the test fails at teardown, saying
    what to do. Marked tests are not watched.
    """
    if request.node.get_closest_marker("integration") is not None:
        yield
        return
    started: list[str] = []
    real_start = multiprocessing.process.BaseProcess.start
    real_popen = subprocess.Popen.__init__

    def start(self: multiprocessing.process.BaseProcess) -> None:
        started.append(f"multiprocessing process {self.name}")
        real_start(self)

    def popen(self: subprocess.Popen[Any], args: Any, *rest: Any, **kwargs: Any) -> None:
        started.append(f"subprocess {args!r}"[:200])
        real_popen(self, args, *rest, **kwargs)

    monkeypatch.setattr(multiprocessing.process.BaseProcess, "start", start)
    monkeypatch.setattr(subprocess.Popen, "__init__", popen)
    yield
    if started:
        pytest.fail(
            f"{request.node.nodeid} starts a process ({started[0]}) but is not marked "
            "integration: add `pytestmark = pytest.mark.integration` to its module (or "
            "`@pytest.mark.integration` to the test) so that the fast lane stays fast",
            pytrace=False,
        )
