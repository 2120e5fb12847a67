"""Tampered manifests and store records never delete outside ``output_dir``; one bad
record is dropped, the rest kept."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

import ofxpost
from ofxpost._store.store import LOG_NAME
from tests.conftest import EventLog, ToyBatch


def _records(config: Path) -> tuple[Path, list[dict[str, Any]]]:
    log = config.parent / "out" / ".ofxpost" / "store" / LOG_NAME
    return log, [json.loads(line) for line in log.read_bytes().splitlines()]


def _write(log: Path, records: list[dict[str, Any]]) -> None:
    log.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")


@pytest.mark.skipif(sys.platform == "win32", reason="symbolic links need privileges")
def test_a_manifest_entry_through_a_symlink_is_never_deleted(
    toy_batch: ToyBatch, tmp_path: Path, events: EventLog
) -> None:
    """Before: ``written: [evil/precious.txt]`` with ``out/evil`` a link deleted the
    user's file outside output_dir."""
    config = toy_batch(2)
    out = config.parent / "out"
    assert ofxpost.run(config, sequential=True).exit_code == 0
    precious = tmp_path / "elsewhere" / "precious.txt"
    precious.parent.mkdir()
    precious.write_text("mine", encoding="utf-8")
    (out / "evil").symlink_to(precious.parent, target_is_directory=True)
    manifest = json.loads((out / "ofxpost-run.json").read_text(encoding="utf-8"))
    manifest["written"] += ["evil/precious.txt", "errors/../evil/precious.txt", 7]
    (out / "ofxpost-run.json").write_text(json.dumps(manifest), encoding="utf-8")
    assert ofxpost.run(config, sequential=True, on_event=events).exit_code == 0
    assert precious.read_text(encoding="utf-8") == "mine"
    (warning,) = [e["message"] for e in events.named("warning") if "manifest" in e["message"]]
    assert "ignored 2 entry(ies)" in warning and "'errors/../evil/precious.txt'" in warning
    written = json.loads((out / "ofxpost-run.json").read_text(encoding="utf-8"))["written"]
    assert not any("evil" in rel for rel in written)


def test_confined_resolves_links() -> None:
    from ofxpost._store.manifest import confined

    root = Path("/tmp").resolve() / "ofxpost-confined-check"
    assert confined(root, root / "a" / "b.csv")
    assert not confined(root, root / ".." / "b.csv")
    assert not confined(root, root)


def test_a_store_record_naming_a_file_outside_is_dropped_not_unlinked(
    toy_batch: ToyBatch, tmp_path: Path, events: EventLog
) -> None:
    """Before: a record whose artifact was an absolute path was reused, and the path
    was unlinked."""
    config = toy_batch(3)
    assert ofxpost.run(config, sequential=True).exit_code == 0
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me", encoding="utf-8")
    log, records = _records(config)
    records[1]["artifacts"] = [str(victim)]
    _write(log, records)
    result = ofxpost.run(config, sequential=True, resume=True, on_event=events)
    assert result.exit_code == 0 and result.reused == 2
    assert victim.read_text(encoding="utf-8") == "keep me"
    warnings = [e["message"] for e in events.named("warning") if "damaged" in e["message"]]
    assert len(warnings) == 1 and "1 damaged line(s)" in warnings[0]


@pytest.mark.parametrize(
    "change",
    [
        {"status": "splendid"},
        {"errors": [{"kind": "nonsense", "message": "x"}]},
        {"attempts": "two"},
        {"key": {"path": 3}},
        {"results": [1, 2]},
    ],
)
def test_one_bad_record_is_dropped_and_the_rest_kept(
    toy_batch: ToyBatch, events: EventLog, change: dict[str, Any]
) -> None:
    """Before: one valid-JSON record with a bad field aborted ``--resume``
    ("10 of 12 files were never run")."""
    config = toy_batch(12)
    assert ofxpost.run(config, sequential=True).exit_code == 0
    log, records = _records(config)
    bad = next(i for i, r in enumerate(records) if r["key"]["path"].endswith("case004.toy"))
    records[bad].update(change)
    _write(log, records)
    result = ofxpost.run(config, sequential=True, resume=True, on_event=events)
    assert result.exit_code == 0, result.failures
    assert result.succeeded == 12 and result.reused == 11
    warnings = [e["message"] for e in events.named("warning") if "damaged" in e["message"]]
    assert len(warnings) == 1
