"""One run per output_dir: a second run fails at once naming the holder; a lock left
by a killed run is taken over with a warning event."""

from __future__ import annotations

import json
import os
import socket
import subprocess
from pathlib import Path

import pytest

import ofxpost
from ofxpost._store.lock import OutputDirLock, read_holder
from tests._cli import run_cli, start_cli
from tests.conftest import TOY_DIR, EventLog, ToyBatch

pytestmark = pytest.mark.integration  # starts processes or runs whole batches

SRC = Path(ofxpost.__file__).resolve().parent.parent

GATE_PLUGIN = """
import os, time
from pathlib import Path
import ofxpost

@ofxpost.hookimpl
def ofxpost_batch_started(plan):
    gate = os.environ.get("OFXPOST_TEST_GATE")
    deadline = time.monotonic() + 120
    while gate and not Path(gate).exists() and time.monotonic() < deadline:
        time.sleep(0.01)
"""


def _env(gate: Path | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), str(TOY_DIR), env.get("PYTHONPATH", "")])
    env.pop("OFXPOST_TEST_GATE", None)
    if gate is not None:
        env["OFXPOST_TEST_GATE"] = str(gate)
    return env


def _start_holder(config: Path, gate: Path) -> subprocess.Popen[bytes]:
    """Start a run that holds output_dir until ``gate`` exists; return once it holds it."""
    (config.parent / "ofxpost_plugins.py").write_text(GATE_PLUGIN)
    proc = start_cli("run", str(config), "--log-format", "json", env=_env(gate))
    assert proc.stdout is not None
    first = json.loads(proc.stdout.readline())
    # batch_started is emitted after the lock is taken: from here on the run holds it
    assert first["event"] == "batch_started"
    return proc


def test_second_run_on_a_busy_output_dir_exits_2_naming_the_holder(
    toy_batch: ToyBatch, tmp_path: Path
) -> None:
    config = toy_batch(3)
    gate = tmp_path / "gate"
    holder = _start_holder(config, gate)
    try:
        second = run_cli("run", str(config), "--log-format", "json", env=_env(), timeout=120)
        assert second.returncode == 2
        lines = second.stderr.strip().splitlines()
        assert len(lines) == 1, second.stderr
        message = lines[0]
        assert "in use by another ofxpost run" in message
        assert f"pid {holder.pid}" in message and socket.gethostname() in message
        assert "started 20" in message
        assert second.stdout == ""  # nothing ran
    finally:
        gate.write_text("go")
        assert holder.wait(timeout=240) == 0
    manifest = json.loads((config.parent / "out" / "ofxpost-run.json").read_text())
    assert manifest["status"] == "complete" and manifest["succeeded"] == 3
    # released at the end: a new run goes ahead without a stale-lock warning
    again = run_cli("run", str(config), "--log-format", "json", env=_env(gate), timeout=240)
    assert again.returncode == 0, again.stderr
    assert "took over" not in again.stdout


def test_lock_of_a_killed_run_is_taken_over_with_a_warning(
    toy_batch: ToyBatch, tmp_path: Path
) -> None:
    config = toy_batch(2)
    gate = tmp_path / "gate"
    holder = _start_holder(config, gate)
    holder.kill()  # SIGKILL: no clean-up, the holder note stays behind
    holder.wait(timeout=60)
    note = read_holder(config.parent / "out" / ".ofxpost" / "lock.json")
    assert note is not None and note.pid == holder.pid
    gate.write_text("go")
    events = EventLog()
    result = ofxpost.run(config, on_event=events)
    assert result.exit_code == 0
    warnings = [e["message"] for e in events.named("warning")]
    took = [w for w in warnings if "took over the lock" in w]
    assert len(took) == 1 and f"pid {holder.pid}" in took[0] and "process is gone" in took[0]
    assert not (config.parent / "out" / ".ofxpost" / "lock.json").exists()


def test_python_api_raises_output_dir_locked_error(toy_batch: ToyBatch) -> None:
    config = toy_batch(2)
    lock = OutputDirLock(config.parent / "out")
    lock.acquire()
    try:
        with pytest.raises(ofxpost.OutputDirLockedError, match=f"pid {os.getpid()}") as info:
            ofxpost.run(config)
        assert isinstance(info.value, ofxpost.ConfigError)
    finally:
        lock.release()
    assert ofxpost.run(config).exit_code == 0


def test_lock_is_released_after_a_cancelled_batch(toy_batch: ToyBatch) -> None:
    import anyio

    config = toy_batch(4)
    events = EventLog()

    async def main_() -> None:
        with anyio.CancelScope() as scope:
            async with anyio.create_task_group() as tg:
                tg.start_soon(lambda: ofxpost.run_batch(config, on_event=events))
                while not events.named("file_finished"):
                    await anyio.sleep(0.01)
                scope.cancel()

    anyio.run(main_, backend="asyncio")
    lock = OutputDirLock(config.parent / "out")
    lock.acquire()  # would raise if the cancelled batch still held it
    assert lock.took_over is None
    lock.release()
