"""Event output that cannot stall or corrupt a batch: a writer thread per output, the
level filter, pool fall-backs that are never quiet, and the JSON stream protected
from plugin output and from closed or failing standard streams."""

from __future__ import annotations

import argparse
import errno
import io
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import ofxpost
import ofxpost._engine.batch
from ofxpost._cli import run as cli
from ofxpost._cli.progress import LineWriter, OriginalStreams
from ofxpost._events.emitter import validate_event
from ofxpost._events.sink_thread import ThreadedSink
from ofxpost.testing import EventLog
from tests.conftest import TOY_DIR, ToyBatch

SRC = Path(ofxpost.__file__).resolve().parent.parent


def _event(name: str, **fields: Any) -> dict[str, Any]:
    return {"event": name, "level": "info", **fields}


class _Blocking:
    """A sink (or text stream) that blocks in its first call until ``release`` is set."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()
        self.released_in_time: bool | None = None
        self.received: list[Any] = []

    def _block(self) -> None:
        if not self.entered.is_set():
            self.entered.set()
            # a guard against a hang, never a synchronisation: the test sets release
            self.released_in_time = self.release.wait(timeout=120)

    def __call__(self, event: dict[str, Any]) -> None:
        self._block()
        self.received.append(event)

    def write(self, text: str) -> int:
        self._block()
        self.received.append(text)
        return len(text)

    def flush(self) -> None:
        pass


# --------------------------------------------------------------- the writer thread


def test_a_full_queue_coalesces_progress_and_never_drops_other_events() -> None:
    blocking = _Blocking()
    sink = ThreadedSink(blocking, maxsize=4)
    sink(_event("batch_started", total=50))
    assert blocking.entered.wait(timeout=30)  # the writer holds batch_started
    for done in range(1, 51):  # the reader is stuck: the calls still return at once
        sink(_event("file_finished", index=done - 1))
        sink(_event("progress", done=done, total=50))
    sink(_event("file_failed", index=49))
    sink(_event("batch_finished", total=50))
    blocking.release.set()
    assert sink.close(timeout=30)
    names = [e["event"] for e in blocking.received]
    assert names.count("file_finished") == 50 and names.count("file_failed") == 1
    assert names[0] == "batch_started" and names[-1] == "batch_finished"
    progress = [e["done"] for e in blocking.received if e["event"] == "progress"]
    assert progress == sorted(progress) and progress[-1] == 50  # the newest count is kept
    finished = blocking.received[-1]
    assert sink.dropped == 50 - len(progress) > 0
    assert finished["progress_dropped"] == sink.dropped
    # the newest count waits in its own place: after the last file, before the failure
    assert blocking.received[names.index("file_failed") - 1] == _event(
        "progress", done=50, total=50
    )


def test_a_line_writer_gets_the_waiting_events_in_one_write_in_order() -> None:
    """Events queued while the writer is busy reach the stream in one write, in order."""
    blocking = _Blocking()
    writer = LineWriter(lambda event: json.dumps(event), stream=blocking)  # type: ignore[arg-type]
    sink = ThreadedSink(writer)
    sink(_event("batch_started", total=3))
    assert blocking.entered.wait(timeout=30)  # the first write holds the thread
    for i in range(3):
        sink(_event("file_finished", index=i))
        sink(_event("progress", done=i + 1, total=3))
    sink(_event("debug_only", level="debug"))  # under the writer's level: not written
    blocking.release.set()
    assert sink.close(timeout=30)
    assert len(blocking.received) == 2  # batch_started, then the six waiting in one write
    lines = "".join(blocking.received).splitlines()
    assert [json.loads(line)["event"] for line in lines] == [
        "batch_started",
        *["file_finished", "progress"] * 3,
    ]
    assert [json.loads(line).get("index") for line in lines[1::2]] == [0, 1, 2]


def test_a_sink_that_raises_is_reported_once_in_words() -> None:
    notice = io.StringIO()

    def broken(event: dict[str, Any]) -> None:
        raise OSError(errno.EIO, "Input/output error")

    sink = ThreadedSink(broken, notice=notice)
    for i in range(3):
        sink(_event("file_started", index=i))
    assert sink.close(timeout=30)
    lines = notice.getvalue().splitlines()
    assert len(lines) == 1 and "broken" in lines[0] and " at 0x" not in lines[0]


def test_the_cli_writes_every_output_on_a_thread_of_its_own(
    toy_batch: ToyBatch, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A hung file behind a blocked JSON reader times out on time.

    The JSON output blocks in its first write until the test releases it, which it
    does only once the ``file_timeout`` has been observed: written synchronously on
    the event loop, the batch would stall at ``batch_started`` and never get there.
    """
    timeout_s = 2.0
    config_path = toy_batch(2, {1: "hang"}, parallel={"timeout_per_file": timeout_s})
    blocking = _Blocking()
    seen: dict[str, float] = {}
    blocked_at_timeout: list[bool] = []

    def observe(event: dict[str, Any]) -> None:  # on the loop, with the engine's clock
        if event["event"] == "file_started" and event["index"] == 1:
            seen["started"] = time.monotonic()
        elif event["event"] == "file_timeout":
            seen["timeout"] = time.monotonic()
            blocked_at_timeout.append(blocking.entered.is_set() and not blocking.release.is_set())
            blocking.release.set()

    real = ofxpost._engine.batch.run_batch

    async def with_observer(plan: Any, **options: Any) -> Any:
        return await real(plan, **{**options, "sinks": [*options["sinks"], observe]})

    monkeypatch.setattr(ofxpost._engine.batch, "run_batch", with_observer)
    err = io.StringIO()
    args = argparse.Namespace(
        log_format="json",
        log_file=None,
        log_level=None,
        quiet=True,
        streams=OriginalStreams(out_fd=None, out=blocking, out_tty=False, err=err, err_tty=False),  # type: ignore[arg-type]
    )
    config = ofxpost.load_config(config_path)
    code = cli.execute(config, args, workers=2)
    assert code == 1
    assert blocked_at_timeout == [True], "the output was not blocked when the file timed out"
    assert blocking.released_in_time is True
    assert seen["timeout"] - seen["started"] < timeout_s + 2.0, seen
    # several events waiting at once go out in one write
    lines = [json.loads(line) for chunk in blocking.received for line in chunk.splitlines()]
    assert lines[0]["event"] == "batch_started" and lines[-1]["event"] == "batch_finished"
    assert [e["kind"] for e in lines if e["event"] == "file_failed"] == ["timeout"]
    for event in lines:
        validate_event(event)


# ------------------------------------------------------------------- level filter


def test_batch_started_and_finished_pass_any_level_filter() -> None:
    out = io.StringIO()
    writer = LineWriter(json.dumps, stream=out, min_level="error")
    for event in (
        _event("batch_started", total=1),
        _event("file_finished", index=0),
        _event("progress", done=1, total=1),
        {**_event("batch_finished", total=1), "level": "info"},
    ):
        writer(event)
    assert [json.loads(line)["event"] for line in out.getvalue().splitlines()] == [
        "batch_started",
        "batch_finished",
    ]


# ------------------------------------------------------------------ pool failures


def _no_pool(plan: Any, on_started: Any) -> Any:
    raise RuntimeError("no processes may be started here")


def test_a_pool_that_cannot_start_falls_back_with_a_warning(toy_batch: ToyBatch) -> None:
    log = EventLog()
    result = ofxpost.run(toy_batch(3), executor=_no_pool, on_event=log)
    assert result.exit_code == 0 and result.mode == "sequential"
    warnings = [e["message"] for e in log.named("warning")]
    assert any("no processes may be started here" in m and "sequential" in m for m in warnings)
    (mode,) = log.named("mode_selected")
    assert mode["mode"] == "sequential" and mode["fallback"] is True
    assert mode["level"] == "warning"
    summary = io.StringIO()
    cli.print_summary(
        log.named("batch_finished")[0], result.output_dir, summary, cli.fallback_reason(mode)
    )
    assert "fell back to sequential" in summary.getvalue()
    assert "no processes may be started here" in summary.getvalue()
    # the manifest and batch_finished say what ran the files, not what was planned
    manifest = json.loads((result.output_dir / "ofxpost-run.json").read_text("utf-8"))
    assert manifest["mode"] == "sequential"
    assert log.named("batch_finished")[0]["mode"] == "sequential"


def test_on_pool_failure_error_fails_every_file(toy_batch: ToyBatch) -> None:
    log = EventLog()
    config = toy_batch(3, parallel={"on_pool_failure": "error"})
    result = ofxpost.run(config, executor=_no_pool, on_event=log)
    assert result.exit_code == 1 and result.failed == 3 and result.succeeded == 0
    failed = log.named("file_failed")
    assert len(failed) == 3
    assert all(e["kind"] == "unknown" and "could not be started" in e["message"] for e in failed)
    assert not log.named("mode_selected") and not log.named("file_started")
    assert log[-1]["event"] == "batch_finished" and log[-1]["exit_code"] == 1


def test_on_pool_failure_rejects_other_values(toy_batch: ToyBatch) -> None:
    with pytest.raises(ofxpost.ConfigError, match="on_pool_failure"):
        ofxpost.load_config(toy_batch(2, parallel={"on_pool_failure": "ignore"}))


# ------------------------------------------------------------ failing std streams


def test_a_failing_output_is_reported_once_in_words() -> None:
    class Full(io.StringIO):
        def write(self, text: str) -> int:
            raise OSError(errno.ENOSPC, "No space left on device")

    notice = io.StringIO()
    writer = LineWriter(json.dumps, stream=Full(), notice=notice, label="stdout")
    for i in range(3):
        writer(_event("file_started", index=i))
    lines = notice.getvalue().splitlines()
    assert lines == [
        "ofxpost: cannot write events to stdout: No space left on device; no more events "
        "are written there (the batch goes on)"
    ]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), str(TOY_DIR), env.get("PYTHONPATH", "")])
    env.pop("OFXPOST_LOG_FILE", None)
    env.pop("OFXPOST_LOG_LEVEL", None)
    return env


CHATTY_PLUGINS = """
import ofxpost

@ofxpost.hookimpl
def ofxpost_aggregate(records):
    print("aggregator chatter")
    return None

@ofxpost.hookimpl
def ofxpost_batch_started(plan):
    print("observer chatter at the start")

@ofxpost.hookimpl
def ofxpost_file_finished(record):
    print("observer chatter per file")
"""

POSIX_ONLY = pytest.mark.skipif(os.name == "nt", reason="closes descriptors with a POSIX shell")


@POSIX_ONLY
def test_stdout_keeps_json_only_with_chatty_plugins_and_stderr_closed(
    toy_batch: ToyBatch,
) -> None:
    """Controller-side plugin output goes to logs/controller.log; with stderr closed
    the summary line is not written anywhere, least of all into the JSON."""
    config = toy_batch(3)
    (config.parent / "ofxpost_plugins.py").write_text(CHATTY_PLUGINS)
    command = 'exec "$0" -m ofxpost._cli.main run "$1" --log-format json 2>&-'
    proc = subprocess.run(
        ["sh", "-c", command, sys.executable, str(config)],
        stdout=subprocess.PIPE,
        env=_env(),
        timeout=240,
    )
    lines = proc.stdout.decode().splitlines()
    events = [json.loads(line) for line in lines]  # every line is an event
    assert proc.returncode == 0
    assert events[0]["event"] == "batch_started" and events[-1]["event"] == "batch_finished"
    log = (config.parent / "out" / "logs" / "controller.log").read_text()
    assert "aggregator chatter" in log and "observer chatter at the start" in log
    assert log.count("observer chatter per file") == 3


@POSIX_ONLY
def test_a_closed_stdout_is_reported_once(toy_batch: ToyBatch) -> None:
    config = toy_batch(2)
    command = 'exec "$0" -m ofxpost._cli.main run "$1" --log-format json >&-'
    proc = subprocess.run(
        ["sh", "-c", command, sys.executable, str(config)],
        stderr=subprocess.PIPE,
        env=_env(),
        timeout=240,
    )
    err = proc.stderr.decode()
    assert proc.returncode == 0, err
    notices = [line for line in err.splitlines() if "stdout is closed" in line]
    assert len(notices) == 1, err
    assert "Traceback" not in err and " at 0x" not in err
    assert "2 ok" in err  # the summary


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_dev_full_is_reported_in_words(toy_batch: ToyBatch) -> None:
    config = toy_batch(2)
    with open("/dev/full", "w") as full:
        proc = subprocess.run(
            [sys.executable, "-m", "ofxpost._cli.main", "run", str(config), "--log-format", "json"],
            stdout=full,
            stderr=subprocess.PIPE,
            env=_env(),
            timeout=240,
        )
    err = proc.stderr.decode()
    assert proc.returncode == 0, err
    assert " at 0x" not in err and "LineWriter" not in err
    notices = [line for line in err.splitlines() if "No space left on device" in line]
    assert len(notices) == 1, err
