"""A script that calls ``ofxpost.run`` without the ``if __name__ == "__main__":`` guard.

Spawned workers import the main script again. Before, each worker started a batch of
its own as it started (an ``OutputDirLockedError`` traceback per worker), the pool
reported "worker exited with code None while starting" and every file then ran in
the controller with exit 0. Now each worker says in one line what is wrong and the
batch is refused: every file fails naming the script and the fix, exit 1.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ofxpost._engine.pool_failure import main_reimport_failure
from ofxpost._pool.reimport import REIMPORT_PREFIX, reimport_reason
from ofxpost.errors import PoolStartError
from tests.conftest import ToyBatch

SCRIPT = """
import json
import ofxpost

{indent}result = ofxpost.run({config!r}{options})
{indent}print(json.dumps({{"exit": result.exit_code, "failed": result.failed,
{indent}                  "succeeded": result.succeeded, "mode": result.mode}}))
"""


def _script(path: Path, config: Path, *, guarded: bool, options: str) -> Path:
    body = SCRIPT.format(indent="    " if guarded else "", config=str(config), options=options)
    if guarded:
        head, _, tail = body.partition("\n    result")
        body = f'{head}\nif __name__ == "__main__":\n    result{tail}'
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


def _run(script: Path, toy_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(toy_dir), *sys.path])}
    return subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=script.parent,
        env=env,
    )


def test_only_the_reimport_exit_counts() -> None:
    reason = reimport_reason("/x/batch_script.py")
    assert main_reimport_failure(PoolStartError(reason)) == reason
    assert "'/x/batch_script.py'" in reason and 'if __name__ == "__main__":' in reason
    assert main_reimport_failure(PoolStartError("worker exited with code 1 while starting")) is None
    assert main_reimport_failure(OSError(reason)) is None


@pytest.mark.integration
@pytest.mark.timeout(180)
@pytest.mark.parametrize("options", [", workers=2", ", sequential=True"])
def test_a_script_without_the_guard_is_refused_in_one_line(
    toy_batch: ToyBatch, toy_on_path: Path, options: str
) -> None:
    config = toy_batch(3)
    script = _script(config.parent / "unguarded.py", config, guarded=False, options=options)
    done = _run(script, toy_on_path)
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["exit"] == 1 and summary["failed"] == 3 and summary["succeeded"] == 0
    assert summary["mode"] != "sequential" or "sequential" in options  # no in-process fall-back
    refusals = [line for line in done.stderr.splitlines() if REIMPORT_PREFIX in line]
    assert refusals, done.stderr
    assert all(str(script) in line and "__main__" in line for line in refusals)
    assert "Traceback" not in done.stderr and "OutputDirLockedError" not in done.stderr
    report = config.parent / "out" / "errors" / "case000.json"
    assert REIMPORT_PREFIX in report.read_text("utf-8")  # the reason is kept with the file


@pytest.mark.integration
@pytest.mark.timeout(180)
def test_the_same_script_with_the_guard_runs_in_parallel(
    toy_batch: ToyBatch, toy_on_path: Path
) -> None:
    config = toy_batch(3)
    script = _script(config.parent / "guarded.py", config, guarded=True, options=", workers=2")
    done = _run(script, toy_on_path)
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary == {"exit": 0, "failed": 0, "succeeded": 3, "mode": "parallel"}, done.stderr
    assert REIMPORT_PREFIX not in done.stderr
