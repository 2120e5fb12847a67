"""The manifest's fields are validated on load: a field of the wrong type, out of
range or unknown is dropped with a warning naming the file, the key and the value;
every other field is kept. Before, whatever JSON the file held was trusted."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

import ofxpost
from ofxpost._store import manifest as manifest_module
from ofxpost._store.manifest import MANIFEST, OutputLedger, owned_paths, read_checked, read_manifest
from tests.conftest import EventLog, ToyBatch

GOOD: dict[str, Any] = {
    "batch_id": "b1",
    "status": "complete",
    "mode": "local",
    "workers": 2,
    "total": 3,
    "succeeded": 2,
    "partial": 0,
    "failed": 1,
    "reused": 0,
    "wall_s": 1.5,
    "outputs": ["summary.csv"],
    "output_errors": [],
    "written": ["summary.csv", "errors/x.json"],
    "version": "1.0",
}


def _write(folder: Path, manifest: dict[str, Any]) -> None:
    (folder / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")


def test_a_valid_manifest_is_kept_whole(tmp_path: Path) -> None:
    _write(tmp_path, GOOD)
    assert read_checked(tmp_path) == (GOOD, [])


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("status", "finished"),  # unknown status
        ("status", 3),
        ("total", -1),  # negative count
        ("failed", "many"),
        ("succeeded", True),  # a bool is not a count
        ("wall_s", -0.5),
        ("wall_s", "long"),
        ("batch_id", ["b1"]),
        ("batch_id", "x" * 5000),
        ("version", 1.0),
        ("outputs", "summary.csv"),
        ("outputs", ["summary.csv", 7]),
        ("output_errors", ["boom"]),
        ("written", {"a": 1}),
        ("surprise", 1),  # not a manifest field
    ],
)
def test_a_bad_field_is_dropped_and_named_the_rest_kept(
    tmp_path: Path, key: str, value: Any
) -> None:
    _write(tmp_path, {**GOOD, key: value})
    kept, problems = read_checked(tmp_path)
    assert kept == {k: v for k, v in GOOD.items() if k != key}
    (problem,) = problems
    assert problem.startswith(f"{key!r} = ")
    assert repr(value)[:40] in problem


def test_a_huge_list_is_dropped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(manifest_module, "MAX_LISTED", 10)
    _write(tmp_path, {**GOOD, "written": [f"errors/{i}.json" for i in range(11)]})
    kept, problems = read_checked(tmp_path)
    assert "written" not in kept and kept["status"] == "complete"
    assert len(problems) == 1 and "more than 10 entries" in problems[0]
    assert owned_paths(read_manifest(tmp_path)) == {"summary.csv", "PARTIAL"}  # outputs count


def test_the_ledger_trusts_only_valid_fields(tmp_path: Path) -> None:
    _write(tmp_path, {**GOOD, "written": "summary.csv", "total": -3})
    ledger = OutputLedger(tmp_path, "b2")
    assert ledger.previous == frozenset({"summary.csv", "PARTIAL"})  # from "outputs"
    assert len(ledger.dropped) == 2
    assert any(p.startswith("'written' = 'summary.csv'") for p in ledger.dropped)
    assert any(p.startswith("'total' = -3") for p in ledger.dropped)


@pytest.mark.integration
def test_a_tampered_manifest_gives_a_warning_per_field_and_the_run_goes_on(
    toy_batch: ToyBatch, events: EventLog
) -> None:
    config = toy_batch(2)
    out = config.parent / "out"
    assert ofxpost.run(config, sequential=True).exit_code == 0
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    manifest.update(status="done", failed=-2, wall_s="slow")
    (out / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    assert ofxpost.run(config, sequential=True, on_event=events).exit_code == 0
    messages = [e["message"] for e in events.named("warning")]
    warnings = [m for m in messages if "ignored the field" in m]
    assert len(warnings) == 3
    assert all(str(out / MANIFEST) in w for w in warnings)
    assert any("'status' = 'done'" in w for w in warnings)
    assert any("'failed' = -2" in w for w in warnings)
    assert any("'wall_s' = 'slow'" in w for w in warnings)
    rewritten = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    assert rewritten["status"] == "complete" and rewritten["failed"] == 0


def test_manifest_and_report_text_are_the_json_they_stand_for() -> None:
    """The fast encoders (C encoder only) give the same JSON as ``json.dumps``."""
    from ofxpost._core.jsontext import key_per_line
    from ofxpost._store.manifest import _manifest_text

    head = {k: v for k, v in GOOD.items() if k != "written"}
    written = ["a.csv", 'odd", "name.json', "caf\u00e9/x.json"]
    expected = {k: v for k, v in GOOD.items() if k not in ("written", "version")}
    expected |= {"written": written, "version": GOOD["version"]}
    assert _manifest_text(head, written) == json.dumps(expected, indent=2) + "\n"
    assert json.loads(_manifest_text(head, [])) == {**expected, "written": []}
    report = {"file": "a\nb", "errors": [{"kind": "extractor", "traceback": "x\ny"}], "n": 1}
    text = key_per_line(report)
    assert json.loads(text) == report
    assert len(text.splitlines()) == 2 + len(report)


@pytest.mark.skipif(sys.platform == "win32", reason="symbolic links need privileges")
def test_a_folder_turned_into_a_link_between_claims_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "errors").mkdir(parents=True)
    ledger = OutputLedger(out, "b1")
    ledger.claim(["errors/a.json"])
    assert ledger.checked("errors/a.json") == out / "errors" / "a.json"
    (out / "errors").rmdir()
    (tmp_path / "elsewhere").mkdir()
    (out / "errors").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    ledger.claim(["errors/b.json"])
    with pytest.raises(OSError, match="outside output_dir"):
        ledger.checked("errors/b.json")


def test_the_report_reads_the_manifest_with_its_bad_fields_left_out(tmp_path: Path) -> None:
    """``ofxpost report`` reads a folder's manifest through the same checks as a run."""
    from ofxpost._builtin.support.report_folder import exit_status
    from ofxpost._builtin.support.report_folder import read_manifest as report_manifest

    text = json.dumps(
        {"status": "complete", "written": ["summary.csv"], "failed": "many", "partial": -3}
    )
    (tmp_path / "ofxpost-run.json").write_text(text, encoding="utf-8")
    manifest = report_manifest(tmp_path)
    assert manifest is not None
    assert "failed" not in manifest and "partial" not in manifest
    assert manifest["written"] == ["summary.csv"]
    assert exit_status(manifest) == 0
