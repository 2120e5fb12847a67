"""ofxpost deletes or overwrites only what it wrote (issue 9.4)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml

import ofxpost
from ofxpost._store.manifest import owned_paths
from tests._finish_helpers import files_under, manifest, toy_config
from tests.conftest import EventLog, write_toy

pytestmark = pytest.mark.integration  # starts processes or runs whole batches


def test_user_files_survive_output_dir_dot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = toy_config(tmp_path, monkeypatch, output_dir=".", faults={1: "raise_extract"})
    (tmp_path / "errors").mkdir()
    notes = tmp_path / "errors" / "my_notes.txt"
    notes.write_text("my notes", encoding="utf-8")
    (tmp_path / "notes.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    user = {"errors/my_notes.txt", "notes.csv", "batch.yml"} | {
        f"data/case{i:03d}.toy" for i in range(3)
    }

    first = ofxpost.run(config, sequential=True)
    assert first.exit_code == 1  # case001 is partial
    report = "errors/case001.json"
    assert (tmp_path / report).is_file()
    written = set(manifest(tmp_path)["written"])
    assert report in written and "files.csv" in written
    assert not user & written

    # the faulty file is fixed: the second run has no error report to write
    write_toy(tmp_path / "data" / "case001.toy", 1)
    second = ofxpost.run(config, sequential=True)
    assert second.exit_code == 0
    assert not (tmp_path / report).exists()  # ofxpost's own stale report went
    assert notes.read_text(encoding="utf-8") == "my notes"
    assert (tmp_path / "notes.csv").read_text(encoding="utf-8") == "a,b\n1,2\n"
    on_disk = files_under(tmp_path)
    assert user <= on_disk
    assert on_disk - user == set(manifest(tmp_path)["written"]) | {"ofxpost-run.json"}


def test_a_users_file_in_the_way_is_never_overwritten(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, events: EventLog
) -> None:
    config = toy_config(tmp_path, monkeypatch)
    out = tmp_path / "out"
    out.mkdir()
    (out / "files.csv").write_text("my own table\n", encoding="utf-8")

    result = ofxpost.run(config, sequential=True, on_event=events)
    assert (out / "files.csv").read_text(encoding="utf-8") == "my own table\n"
    assert result.exit_code == 1
    [failure] = result.output_failures
    assert failure.stage == "output" and failure.target == "files.csv"
    assert str(out / "files.csv") in failure.message and "did not write" in failure.message
    assert {"failures.csv", "run_log.csv", "toy.csv", "parquet/files.parquet"} <= files_under(out)
    assert "files.csv" not in manifest(out)["written"]
    assert events.named("output_failed")[0]["target"] == "files.csv"

    # once the user moves the file away, ofxpost writes it (and later overwrites its own)
    (out / "files.csv").unlink()
    assert ofxpost.run(config, sequential=True).exit_code == 0
    assert "files.csv" in manifest(out)["written"]
    assert ofxpost.run(config, sequential=True).exit_code == 0


def test_stale_outputs_are_removed_but_user_files_next_to_them_stay(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = toy_config(tmp_path, monkeypatch, formats=("csv", "parquet"))
    out = tmp_path / "out"
    assert ofxpost.run(config, sequential=True).exit_code == 0
    (out / "parquet" / "mine.txt").write_text("keep", encoding="utf-8")

    raw = yaml.safe_load(config.read_text(encoding="utf-8"))
    raw["outputs"]["formats"] = ["csv"]
    config.write_text(yaml.safe_dump(raw), encoding="utf-8")
    assert ofxpost.run(config, sequential=True).exit_code == 0
    assert files_under(out / "parquet") == {"mine.txt"}
    assert not any(p.endswith(".parquet") for p in manifest(out)["written"])


def test_a_folder_that_held_only_stale_outputs_goes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = toy_config(tmp_path, monkeypatch, formats=("csv", "parquet"))
    out = tmp_path / "out"
    assert ofxpost.run(config, sequential=True).exit_code == 0
    raw = yaml.safe_load(config.read_text(encoding="utf-8"))
    raw["outputs"]["formats"] = ["csv"]
    config.write_text(yaml.safe_dump(raw), encoding="utf-8")
    assert ofxpost.run(config, sequential=True).exit_code == 0
    assert not (out / "parquet").exists()


def test_a_forged_manifest_cannot_delete_outside(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = toy_config(tmp_path / "batch", monkeypatch)
    out = tmp_path / "batch" / "out"
    out.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("precious", encoding="utf-8")
    forged = {"status": "complete", "written": ["../../victim.txt", str(victim), "errors/x"]}
    (out / "ofxpost-run.json").write_text(json.dumps(forged), encoding="utf-8")
    assert owned_paths(forged) == {"errors/x"}
    assert ofxpost.run(config, sequential=True).exit_code == 0
    assert victim.read_text(encoding="utf-8") == "precious"


def test_manifest_of_an_older_version_counts_its_outputs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = toy_config(tmp_path, monkeypatch)
    out = tmp_path / "out"
    out.mkdir()
    (out / "files.csv").write_text("old ofxpost output\n", encoding="utf-8")
    old = {"status": "complete", "outputs": ["files.csv"], "version": "0.0.9"}
    (out / "ofxpost-run.json").write_text(json.dumps(old), encoding="utf-8")
    assert ofxpost.run(config, sequential=True).exit_code == 0
    assert (out / "files.csv").read_text(encoding="utf-8") != "old ofxpost output\n"


def test_a_users_file_in_the_way_of_an_error_report_stays(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, events: EventLog
) -> None:
    config = toy_config(tmp_path, monkeypatch, faults={1: "raise_extract"})
    mine = tmp_path / "out" / "errors" / "case001.json"
    mine.parent.mkdir(parents=True)
    mine.write_text("my json", encoding="utf-8")
    result = ofxpost.run(config, sequential=True, on_event=events)
    assert mine.read_text(encoding="utf-8") == "my json"
    assert result.exit_code == 1
    [failure] = result.output_failures
    assert failure.target == "errors/case001.json" and failure.plugin is None


def test_an_output_that_cannot_be_placed_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, events: EventLog
) -> None:
    config = toy_config(tmp_path, monkeypatch)
    out = tmp_path / "out"
    real_replace = os.replace

    def locked(src: object, dst: object) -> None:
        placing = ".ofxpost" not in Path(str(dst)).parts
        if placing and str(dst).endswith("toy.csv"):  # as Windows does while Excel holds it
            raise PermissionError(13, "The process cannot access the file", str(dst))
        real_replace(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "replace", locked)
    result = ofxpost.run(config, sequential=True, on_event=events)
    assert result.exit_code == 1
    [failure] = result.output_failures
    assert failure.stage == "output" and failure.target == "toy.csv"
    assert "could not be placed" in failure.message
    info = manifest(out)
    assert info["status"] == "complete" and "toy.csv" not in info["written"]
    assert not (out / "toy.csv").exists() and (out / "files.csv").is_file()
