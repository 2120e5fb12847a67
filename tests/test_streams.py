"""Where `ofxpost run` sends events: JSON lines on stdout whenever stdout is not a
terminal, the progress bar on stderr when stderr is one (checked under a real
pseudo-terminal), a reader that goes away, descriptor-level redirections, and the
log settings (CLI > environment > config)."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest

import ofxpost
from ofxpost._cli.main import main
from ofxpost._cli.outputs import LogSettings, log_settings
from tests._cli import run_cli, start_cli, start_python
from tests.conftest import TOY_DIR, ToyBatch

pytestmark = pytest.mark.integration  # starts processes or runs whole batches

pty = pytest.importorskip("pty") if os.name != "nt" else None
SRC = Path(ofxpost.__file__).resolve().parent.parent


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), str(TOY_DIR), env.get("PYTHONPATH", "")])
    env.pop(LOG_ENV_FILE, None)
    env.pop(LOG_ENV_LEVEL, None)
    env["COLUMNS"] = "120"
    return env


LOG_ENV_FILE, LOG_ENV_LEVEL = "OFXPOST_LOG_FILE", "OFXPOST_LOG_LEVEL"


class _TerminalReader:
    """Drains the master side of a pseudo-terminal on a thread."""

    def __init__(self, master: int) -> None:
        self.master = master
        self.data = bytearray()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while True:
            try:
                chunk = os.read(self.master, 65536)
            except OSError:
                return
            if not chunk:
                return
            self.data.extend(chunk)

    def text(self) -> str:
        self.thread.join(timeout=30)
        return self.data.decode("utf-8", "replace")


def _run_with_terminal_stderr(args: list[str], stdout: Any) -> tuple[int, str]:
    """Run ``ofxpost ARGS`` with stderr on a pseudo-terminal; return (exit code, terminal
    text)."""
    assert pty is not None
    master, slave = pty.openpty()
    try:
        proc = start_cli(*args, stdout=stdout, stderr=slave, env=_env())
    finally:
        os.close(slave)
    reader = _TerminalReader(master)
    try:
        code = proc.wait(timeout=240)
    finally:
        text = reader.text()
        os.close(master)
    return code, text


def _check_events(lines: list[str], n: int) -> list[dict[str, Any]]:
    events = [json.loads(line) for line in lines if line.strip()]
    for event in events:
        ofxpost.validate_event(event)
    names = [e["event"] for e in events]
    assert names[0] == "batch_started" and names[-1] == "batch_finished"
    assert names.count("file_finished") == n and 1 <= names.count("progress") <= n
    assert [e["done"] for e in events if e["event"] == "progress"][-1] == n
    return events


@pytest.mark.skipif(os.name == "nt", reason="pseudo-terminals are POSIX-only")
def test_stdout_to_a_file_gets_every_event_and_the_bar_draws_on_the_terminal(
    toy_batch: ToyBatch, tmp_path: Path
) -> None:
    config = toy_batch(3)
    events_path = tmp_path / "events.jsonl"
    with open(events_path, "wb") as out:
        code, terminal = _run_with_terminal_stderr(["run", str(config)], out)
    assert code == 0, terminal
    _check_events(events_path.read_text().splitlines(), 3)
    assert "3/3" in terminal and "ofxpost" in terminal  # the rich bar, on stderr
    assert '"schema_version"' not in terminal  # no JSON on the terminal


@pytest.mark.skipif(os.name == "nt", reason="pseudo-terminals are POSIX-only")
def test_stdout_to_a_pipe_gets_every_event_with_a_terminal_stderr(
    toy_batch: ToyBatch, tmp_path: Path
) -> None:
    config = toy_batch(3)
    out_path = tmp_path / "piped.jsonl"
    copy = f"import sys; open({str(out_path)!r}, 'wb').write(sys.stdin.buffer.read())"
    reader = start_python("-c", copy, stdin=subprocess.PIPE, stdout=None, stderr=None)
    assert reader.stdin is not None
    code, terminal = _run_with_terminal_stderr(["run", str(config)], reader.stdin)
    reader.stdin.close()
    assert reader.wait(timeout=60) == 0
    assert code == 0, terminal
    _check_events(out_path.read_text().splitlines(), 3)
    assert "3/3" in terminal and '"schema_version"' not in terminal


@pytest.mark.skipif(os.name == "nt", reason="pseudo-terminals are POSIX-only")
def test_both_streams_on_a_terminal_show_the_bar_and_no_json(toy_batch: ToyBatch) -> None:
    config = toy_batch(2)
    assert pty is not None
    master, slave = pty.openpty()
    try:
        proc = start_cli("run", str(config), stdout=slave, stderr=slave, env=_env())
    finally:
        os.close(slave)
    reader = _TerminalReader(master)
    code = proc.wait(timeout=240)
    terminal = reader.text()
    os.close(master)
    assert code == 0, terminal
    assert "2/2" in terminal and '"schema_version"' not in terminal


GATE_PLUGIN = """
import os, time
from pathlib import Path
import ofxpost

@ofxpost.hookimpl
def ofxpost_batch_started(plan):
    gate = Path(os.environ["OFXPOST_TEST_GATE"])
    deadline = time.monotonic() + 120
    while not gate.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
"""


def test_a_reader_that_goes_away_ends_event_output_quietly(
    toy_batch: ToyBatch, tmp_path: Path
) -> None:
    """`ofxpost run ... | head -1`: one notice at most, and the batch still finishes."""
    config = toy_batch(4)
    (config.parent / "ofxpost_plugins.py").write_text(GATE_PLUGIN)
    gate = tmp_path / "go"
    env = {**_env(), "OFXPOST_TEST_GATE": str(gate)}
    proc = start_cli("run", str(config), "--log-format", "json", env=env)
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()  # like `head -1`
    assert json.loads(first)["event"] == "batch_started"
    proc.stdout.close()  # the reader goes away while the batch is held at its start
    gate.write_text("go")
    err = proc.stderr.read().decode()
    code = proc.wait(timeout=240)
    assert code == 0, err
    notices = [line for line in err.splitlines() if "event output" in line]
    assert len(notices) == 1, err
    assert "Traceback" not in err and "BrokenPipe" not in err and "sink" not in err
    manifest = json.loads((config.parent / "out" / "ofxpost-run.json").read_text())
    assert manifest["status"] == "complete" and manifest["succeeded"] == 4
    assert (config.parent / "out" / "toy.csv").exists()


REDIRECT_PLUGIN = """
import os
import ofxpost

@ofxpost.hookimpl
def ofxpost_extract(model):
    # a plugin that sends descriptor 1 elsewhere for good (and prints there)
    fd = os.open(os.environ["OFXPOST_TEST_SINK"], os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    os.dup2(fd, 1)
    os.close(fd)
    os.write(1, b"plugin noise\\n")
    return {}
"""


def test_descriptor_redirects_in_the_controller_never_swallow_events(
    toy_batch: ToyBatch, tmp_path: Path
) -> None:
    config = toy_batch(3, parallel={"enabled": False})
    (config.parent / "ofxpost_plugins.py").write_text(REDIRECT_PLUGIN)
    sink = tmp_path / "plugin_fd1.txt"
    events_path = tmp_path / "events.jsonl"
    with open(events_path, "wb") as out:
        code = run_cli(
            "run",
            str(config),
            "--log-format",
            "json",
            stdout=out,
            stderr=subprocess.PIPE,
            env={**_env(), "OFXPOST_TEST_SINK": str(sink)},
            timeout=240,
        ).returncode
    assert code == 0
    _check_events(events_path.read_text().splitlines(), 3)
    assert '"event"' not in sink.read_text()  # nothing of ours went to the plugin's fd 1


def _args(**kw: Any) -> argparse.Namespace:
    base = {"log_format": None, "log_file": None, "log_level": None, "quiet": False}
    return argparse.Namespace(**{**base, **kw})


def test_log_settings_precedence_cli_over_env_over_config(toy_batch: ToyBatch) -> None:
    path = toy_batch(
        1, extra={"logging": {"file": "logs/ev.jsonl", "level": "error", "format": "json"}}
    )
    config = ofxpost.load_config(path)
    assert log_settings(_args(), config, {}) == LogSettings(
        format="json", level="error", file=path.parent / "logs" / "ev.jsonl"
    )
    env = {LOG_ENV_FILE: "/tmp/env.jsonl", LOG_ENV_LEVEL: "WARNING"}
    got = log_settings(_args(), config, env)
    assert (got.file, got.level) == (Path("/tmp/env.jsonl"), "warning")
    got = log_settings(_args(log_file=Path("cli.jsonl"), log_level="info"), config, env)
    assert (got.file, got.level, got.format) == (Path("cli.jsonl"), "info", "json")
    with pytest.raises(ofxpost.ConfigError, match="OFXPOST_LOG_LEVEL: 'loud'"):
        log_settings(_args(), config, {LOG_ENV_LEVEL: "loud"})


def test_logging_section_is_validated_like_other_keys(toy_batch: ToyBatch) -> None:
    path = toy_batch(1, extra={"logging": {"levl": "info"}})
    with pytest.raises(ofxpost.ConfigError, match=r"logging.levl.*did you mean 'level'"):
        ofxpost.load_config(path)


def test_log_level_filters_events_and_env_file_is_used(
    toy_batch: ToyBatch,
    capfd: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = toy_batch(3, {1: "raise_open"})
    log = tmp_path / "env-log" / "events.jsonl"
    monkeypatch.setenv(LOG_ENV_FILE, str(log))
    code = main(["run", str(config), "--log-format", "json", "--log-level", "error", "-q"])
    assert code == 1
    out, err = capfd.readouterr()
    events = [json.loads(line) for line in out.splitlines()]
    # batch_started and batch_finished pass any level filter; nothing else below error
    assert [e["event"] for e in events] == ["batch_started", "file_failed", "batch_finished"]
    assert {e["level"] for e in events[1:-1]} == {"error"}
    assert [json.loads(line) for line in log.read_text().splitlines()] == events
    assert "files:" not in err  # --quiet: no summary


def test_ecs_format_maps_the_envelope(
    toy_batch: ToyBatch, capfd: pytest.CaptureFixture[str]
) -> None:
    config = toy_batch(2)
    assert main(["run", str(config), "--log-format", "ecs", "--sequential"]) == 0
    records = [json.loads(line) for line in capfd.readouterr().out.splitlines()]
    actions = [r["event.action"] for r in records]
    assert actions[0] == "batch_started" and actions[-1] == "batch_finished"
    started = next(r for r in records if r["event.action"] == "file_started")
    assert started["file.path"].endswith(".toy") and isinstance(started["process.pid"], int)
    assert all(r["ecs.version"] and r["@timestamp"] and r["log.level"] for r in records)


def test_a_failing_sink_is_reported_once_and_the_batch_goes_on(
    toy_batch: ToyBatch, capsys: pytest.CaptureFixture[str]
) -> None:
    calls = []

    def broken(event: dict[str, Any]) -> None:
        calls.append(event["event"])
        raise BrokenPipeError(32, "Broken pipe")

    result = ofxpost.run(toy_batch(3), sinks=[broken], sequential=True)
    assert result.exit_code == 0
    assert calls[-1] == "batch_finished"  # it kept receiving events
    err = capsys.readouterr().err
    assert err.count("event sink") == 1, err
