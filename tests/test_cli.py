"""The command line: JSON events, log file, console lines, plugins listing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import ofxpost
from ofxpost._cli.main import main
from tests.conftest import ToyBatch

pytestmark = pytest.mark.integration  # starts processes or runs whole batches


def test_run_json_events_and_log_file(
    toy_batch: ToyBatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = toy_batch(4, {2: "raise_open"})
    log = tmp_path / "logs" / "events.jsonl"
    code = main(
        ["run", str(config), "--workers", "2", "--log-format", "json", "--log-file", str(log)]
    )
    assert code == 1
    captured = capsys.readouterr()
    stdout_events = [json.loads(line) for line in captured.out.splitlines()]
    file_events = [json.loads(line) for line in log.read_text().splitlines()]
    assert stdout_events == file_events
    for event in stdout_events:
        ofxpost.validate_event(event)
    names = [e["event"] for e in stdout_events]
    assert names[0] == "batch_started" and names[-1] == "batch_finished"
    assert names.count("file_failed") == 1 and names.count("file_finished") == 3
    assert "1 failed" in captured.err


def test_run_console_lines_when_not_a_terminal(
    toy_batch: ToyBatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = toy_batch(3)
    assert main(["run", str(config), "--log-format", "console", "--sequential"]) == 0
    err = capsys.readouterr().err
    assert "mode: sequential (requested with --sequential)" in err
    assert "finished: 3 ok" in err


def test_plugins_lists_hooks_and_origins(
    toy_batch: ToyBatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = toy_batch(2)
    assert main(["plugins", str(config)]) == 0
    out = capsys.readouterr().out
    assert "ofxpost.builtin.tables  [ofxpost (built-in)]" in out
    assert "ofxpost_toy  [config]" in out
    assert "    ofxpost_open_simulation" in out and "    ofxpost_aggregate" in out
