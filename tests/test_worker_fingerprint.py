"""The input's content fingerprint is taken by the worker, not by the controller."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

import ofxpost
from ofxpost._core.records import FileRecord, FileStatus, Job
from ofxpost._store import fingerprint as fingerprint_module
from ofxpost._store.store import ResultStore
from tests.conftest import ToyBatch


def _by_hand(path: Path) -> str:
    """BLAKE2b-128 of the size (8 bytes, little-endian) and the whole content (< 4 MiB)."""
    data = path.read_bytes()
    digest = hashlib.blake2b(digest_size=16)
    digest.update(len(data).to_bytes(8, "little"))
    digest.update(data)
    return digest.hexdigest()


def _stored_keys(store_log: Path) -> dict[str, dict[str, object]]:
    lines = store_log.read_text(encoding="utf-8").splitlines()
    return {row["key"]["path"]: row["key"] for row in map(json.loads, lines)}


def _job(path: Path) -> Job:
    stat = path.stat()
    return Job(0, path, stat.st_size, stat.st_mtime_ns, needs_licence=False, key="case")


def test_the_store_uses_the_workers_fingerprint_and_reads_the_file_only_without_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "case.toy"
    source.write_bytes(b"some simulation bytes\n" * 100)
    store = ResultStore(tmp_path / "store")
    store.prepare(resume=False)
    reads: list[Path] = []
    real = fingerprint_module.fingerprint

    def counting(path: Path) -> str:
        reads.append(path)
        return real(path)

    monkeypatch.setattr("ofxpost._store.store.fingerprint", counting)
    job = _job(source)
    given = FileRecord(0, source, FileStatus.OK, fingerprint="0" * 32)
    store.write(job, given, "cfg")
    assert reads == []  # the worker's fingerprint is used as it is
    assert _stored_keys(store.log_path)[str(source)]["content"] == "0" * 32
    store.write(job, FileRecord(0, source, FileStatus.FAILED), "cfg")  # e.g. a crashed worker
    assert reads == [source]
    assert _stored_keys(store.log_path)[str(source)]["content"] == _by_hand(source)
    store.close()


def test_a_fingerprint_does_not_change_what_a_record_equals() -> None:
    a = FileRecord(0, Path("x"), FileStatus.OK, fingerprint="a")
    b = FileRecord(0, Path("x"), FileStatus.OK, fingerprint=None)
    assert a == b and "fingerprint" not in repr(a)


@pytest.mark.integration
@pytest.mark.timeout(180)
def test_every_stored_record_of_a_parallel_batch_holds_its_files_fingerprint(
    toy_batch: ToyBatch,
) -> None:
    config = toy_batch(6)
    result = ofxpost.run(config, workers=2)
    assert result.exit_code == 0
    keys = _stored_keys(config.parent / "out" / ".ofxpost" / "store" / "records.jsonl")
    files = sorted((config.parent / "data").glob("*.toy"))
    assert len(keys) == len(files) == 6
    for path in files:
        assert keys[str(path)]["content"] == _by_hand(path)
