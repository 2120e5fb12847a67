"""An unusable output_dir or log file is exit 2 with one line naming the path and the
operating-system error (no traceback), and OutputError from the Python API."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

import ofxpost
from ofxpost._cli.main import main
from tests.conftest import ToyBatch

pytestmark = pytest.mark.integration  # starts processes or runs whole batches

ON_LINUX = sys.platform.startswith("linux")


def _with_output_dir(path: Path, output_dir: str) -> Path:
    raw = yaml.safe_load(path.read_text())
    raw["output_dir"] = output_dir
    path.write_text(yaml.safe_dump(raw))
    return path


def _one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert "Traceback" not in captured.err
    assert lines[0].startswith("ofxpost: error: ")
    return lines[0]


def test_output_dir_that_is_a_file(
    toy_batch: ToyBatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    config = _with_output_dir(toy_batch(2), str(blocker))
    assert main(["run", str(config)]) == 2
    line = _one_error_line(capsys)
    assert str(blocker) in line and "not a folder" in line
    assert blocker.read_text() == "not a folder"
    with pytest.raises(ofxpost.OutputError, match="not a folder"):
        ofxpost.run(config)


def test_output_dir_below_a_file(
    toy_batch: ToyBatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    config = _with_output_dir(toy_batch(2), str(blocker / "results"))
    assert main(["run", str(config)]) == 2
    line = _one_error_line(capsys)
    assert str(blocker / "results") in line


@pytest.mark.skipif(not ON_LINUX, reason="/proc is Linux's pseudo file system")
def test_output_dir_on_a_pseudo_file_system(
    toy_batch: ToyBatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _with_output_dir(toy_batch(2), "/proc/ofxpost-results")
    assert main(["run", str(config)]) == 2
    line = _one_error_line(capsys)
    assert "/proc/ofxpost-results" in line and "cannot create it" in line
    with pytest.raises(ofxpost.OutputError, match="/proc/ofxpost-results"):
        ofxpost.run(config)


def test_log_file_that_is_a_folder(
    toy_batch: ToyBatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = toy_batch(2)
    assert main(["run", str(config), "--log-file", str(tmp_path)]) == 2
    line = _one_error_line(capsys)
    assert f"log file {tmp_path}" in line and "Is a directory" in line
    assert not (config.parent / "out").exists()  # nothing ran


def test_log_file_below_a_file(
    toy_batch: ToyBatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "plain"
    blocker.write_text("x")
    config = toy_batch(2)
    assert main(["run", str(config), "--log-file", str(blocker / "events.jsonl")]) == 2
    line = _one_error_line(capsys)
    assert str(blocker / "events.jsonl") in line and "cannot write it" in line


@pytest.mark.skipif(not ON_LINUX, reason="/proc is Linux's pseudo file system")
def test_log_file_on_a_pseudo_file_system(
    toy_batch: ToyBatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = toy_batch(2)
    assert main(["run", str(config), "--log-file", "/proc/ofxpost-events.jsonl"]) == 2
    line = _one_error_line(capsys)
    assert "/proc/ofxpost-events.jsonl" in line
