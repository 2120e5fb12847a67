"""The error-report writer thread (issue 19): reports are written off the event loop,
each exactly as claimed, and a report that cannot be written comes back as a failure."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from ofxpost._finish.report_writer import THREAD_NAME, ReportFailure, ReportWriter


def _checked(root: Path) -> object:
    def checked(rel: str) -> Path:
        if rel.startswith("outside/"):
            raise OSError(f"{rel!r} leads outside output_dir through a symbolic link")
        return root / rel

    return checked


def test_reports_are_written_on_the_writer_thread_and_read_back(tmp_path: Path) -> None:
    seen_on: list[str] = []

    def checked(rel: str) -> Path:
        seen_on.append(threading.current_thread().name)
        return tmp_path / rel

    writer = ReportWriter(checked)
    reports = [
        (f"errors/case{i:03d}.json", {"index": i, "errors": [{"m": f"bad {i}"}]}) for i in range(5)
    ]
    writer.submit(reports[:2])
    writer.submit(reports[2:])
    assert writer.wait() == []
    for rel, report in reports:
        assert json.loads((tmp_path / rel).read_text(encoding="utf-8")) == report
    # every report went through the writer thread, never the caller's
    assert seen_on and all(name.startswith(THREAD_NAME) for name in seen_on)
    assert threading.current_thread().name not in seen_on
    # wait() ends the thread
    assert not [t for t in threading.enumerate() if t.name.startswith(THREAD_NAME)]


def test_a_report_that_cannot_be_written_comes_back_as_a_failure(tmp_path: Path) -> None:
    (tmp_path / "errors").mkdir()
    (tmp_path / "errors" / "taken.json").mkdir()  # a folder where the report goes
    writer = ReportWriter(_checked(tmp_path))  # type: ignore[arg-type]
    writer.submit(
        [
            ("errors/ok.json", {"index": 0}),
            ("errors/taken.json", {"index": 1}),
            ("outside/x.json", {"index": 2}),
        ]
    )
    failures = writer.wait()
    assert [f.rel for f in failures] == ["errors/taken.json", "outside/x.json"]
    assert all(isinstance(f, ReportFailure) for f in failures)
    assert "error report 'errors/taken.json' not written" in failures[0].message
    assert "leads outside output_dir" in failures[1].message
    assert json.loads((tmp_path / "errors" / "ok.json").read_text(encoding="utf-8")) == {"index": 0}
    assert not (tmp_path / "outside").exists()


def test_done_returns_only_finished_batches_and_wait_the_rest(tmp_path: Path) -> None:
    gate = threading.Event()

    def checked(rel: str) -> Path:
        if rel == "errors/late.json":
            assert gate.wait(30)
            raise OSError("disk went away")
        return tmp_path / rel

    writer = ReportWriter(checked)
    writer.submit([("errors/late.json", {"index": 0})])
    assert writer.done() == []  # still held at the gate: nothing reported yet, no wait
    gate.set()
    [failure] = writer.wait()
    assert failure.rel == "errors/late.json" and "disk went away" in failure.message
    assert writer.wait() == []  # nothing is reported twice


def test_nothing_submitted_starts_no_thread() -> None:
    writer = ReportWriter(lambda rel: Path(rel))
    writer.submit([])
    assert writer.done() == [] and writer.wait() == []
    assert not [t for t in threading.enumerate() if t.name.startswith(THREAD_NAME)]


@pytest.mark.parametrize("batches", [1, 3])
def test_reports_are_written_in_the_order_handed_over(tmp_path: Path, batches: int) -> None:
    order: list[str] = []

    def checked(rel: str) -> Path:
        order.append(rel)
        return tmp_path / rel

    writer = ReportWriter(checked)
    rels = [f"errors/r{i}.json" for i in range(6)]
    size = len(rels) // batches
    for start in range(0, len(rels), size):
        writer.submit([(rel, {"rel": rel}) for rel in rels[start : start + size]])
    assert writer.wait() == []
    assert order == rels
