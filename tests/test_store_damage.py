"""Resume over a damaged result store keeps every valid record."""

from __future__ import annotations

from pathlib import Path

import pytest

import ofxpost
from ofxpost._store.store import LOG_NAME
from tests.conftest import EventLog, ToyBatch, table_bytes

pytestmark = pytest.mark.integration  # starts processes or runs whole batches


def _log(config: Path) -> Path:
    return config.parent / "out" / ".ofxpost" / "store" / LOG_NAME


def _opens(data: Path) -> dict[str, int]:
    return {p.name.removesuffix(".attempts"): int(p.read_text()) for p in data.glob("*.attempts")}


def test_resume_keeps_records_after_a_corrupt_line(toy_batch: ToyBatch, events: EventLog) -> None:
    n = 8
    faults = dict.fromkeys(range(n), "count_opens")
    reference = toy_batch(n, faults, folder="reference")
    assert ofxpost.run(reference, sequential=True).exit_code == 0
    expected = table_bytes(reference.parent / "out")

    config = toy_batch(n, faults, folder="damaged")
    assert ofxpost.run(config, sequential=True).exit_code == 0
    log = _log(config)
    lines = log.read_bytes().splitlines(keepends=True)
    assert len(lines) == n
    # damage the record of file 2 (line 3 of 8) and add junk; cut the last line short
    lines[2] = b'{"format": 2, "key": {"pa\x00\xff garbage\n'
    torn = lines[-1][: len(lines[-1]) // 2]
    log.write_bytes(b"".join([*lines[:3], b"not json at all\n", *lines[3:-1], torn]))

    result = ofxpost.run(config, sequential=True, resume=True, on_event=events)
    assert result.exit_code == 0
    # every valid record (0, 1, 3, 4, 5, 6) was reused; 2 (damaged) and 7 (torn) ran again
    assert result.reused == n - 2
    opens = _opens(config.parent / "data")
    assert {name for name, count in opens.items() if count == 2} == {
        "case002.toy",
        "case007.toy",
    }
    assert all(count in (1, 2) for count in opens.values())
    warnings = [e["message"] for e in events.named("warning") if "damaged" in e["message"]]
    assert len(warnings) == 1 and "2 damaged line(s)" in warnings[0]
    assert table_bytes(config.parent / "out") == expected


def test_torn_last_line_is_truncated(toy_batch: ToyBatch) -> None:
    config = toy_batch(3, folder="torn")
    assert ofxpost.run(config, sequential=True).exit_code == 0
    log = _log(config)
    data = log.read_bytes()
    log.write_bytes(data + b'{"format":2,"key":{"path":"x"')
    from ofxpost._store.store import ResultStore

    store = ResultStore(log.parent)
    store.prepare(resume=True)
    store.close()
    assert log.read_bytes() == data
    assert store.damaged_lines == 0
