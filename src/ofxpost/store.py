"""The result store: one record per finished file under ``output_dir``.

Each record is a small JSON file written atomically (a temporary file in the same
folder, then :func:`os.replace`) the moment the file's result reaches the
controller. So the controller keeps no results in memory, nothing finished is lost
when the batch is cancelled or the controller is killed, and ``--resume`` can reuse
every record whose *resume key* -- input path, size, modification time and the
config's result hash -- still matches.

Records are named after a digest of the input path, never after completion order.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, overload

from ofxpost.records import ErrorRecord, FileRecord, FileStatus, Job

STORE_FORMAT = 1
"""Version of the record layout."""


@dataclass(frozen=True)
class ResumeKey:
    """What must be unchanged for a stored record to be reused."""

    path: str
    size: int
    mtime_ns: int
    config_hash: str

    @classmethod
    def for_job(cls, job: Job, config_hash: str) -> ResumeKey:
        """The key of ``job`` under a config with ``config_hash``."""
        return cls(str(job.path), job.size, job.mtime_ns, config_hash)


class ResultStore:
    """Records of finished files in ``root`` (``output_dir/.ofxpost/store``)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def prepare(self, *, resume: bool) -> None:
        """Create the store; without ``resume`` forget every earlier record."""
        if not resume and self.root.exists():
            shutil.rmtree(self.root)
        self.root.mkdir(parents=True, exist_ok=True)

    def path_for(self, job: Job) -> Path:
        """Where ``job``'s record lives."""
        digest = hashlib.sha256(str(job.path).encode()).hexdigest()[:20]
        return self.root / f"{digest}.json"

    def write(self, job: Job, record: FileRecord, config_hash: str) -> None:
        """Persist ``record`` atomically."""
        key = ResumeKey.for_job(job, config_hash)
        head = {
            "format": STORE_FORMAT,
            "key": key.__dict__,
            "index": record.index,
            "path": str(record.path),
            "status": str(record.status),
            "errors": [e.to_dict() for e in record.errors],
            "duration_s": record.duration_s,
            "worker_pid": record.worker_pid,
            "peak_rss": record.peak_rss,
            "attempts": record.attempts,
        }
        text = json.dumps(head, separators=(",", ":"))[:-1] + ',"results":' + record.payload + "}"
        target = self.path_for(job)
        tmp = target.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, target)

    def read(self, job: Job) -> FileRecord | None:
        """Read ``job``'s record (``None`` if absent or unreadable)."""
        data = self._load(job)
        return None if data is None else _record(data, job)

    def reusable(self, job: Job, config_hash: str) -> FileRecord | None:
        """``job``'s record if its resume key still matches, else ``None``.

        Failed files are never reused: a resumed batch tries them again.
        """
        data = self._load(job)
        if data is None or data.get("key") != ResumeKey.for_job(job, config_hash).__dict__:
            return None
        if data.get("status") == str(FileStatus.FAILED):
            return None
        record = _record(data, job)
        record.reused = True
        return record

    def _load(self, job: Job) -> dict[str, Any] | None:
        try:
            text = self.path_for(job).read_text(encoding="utf-8")
            data: dict[str, Any] = json.loads(text)
        except (OSError, ValueError):
            return None
        if data.get("format") != STORE_FORMAT:
            return None
        return data

    def records(self, jobs: Sequence[Job]) -> RecordSequence:
        """The records of ``jobs`` in their order, read lazily from disk."""
        return RecordSequence(self, tuple(job for job in jobs if self.path_for(job).exists()))


def _record(data: dict[str, Any], job: Job) -> FileRecord:
    payload = json.dumps(data.get("results", {}), separators=(",", ":"))
    return FileRecord(
        index=job.index,
        path=job.path,
        status=FileStatus(data["status"]),
        errors=[ErrorRecord.from_dict(e) for e in data.get("errors", [])],
        duration_s=float(data.get("duration_s", 0.0)),
        worker_pid=data.get("worker_pid"),
        peak_rss=data.get("peak_rss"),
        attempts=int(data.get("attempts", 1)),
        payload=payload,
    )


class RecordSequence(Sequence[FileRecord]):
    """A read-only sequence of stored records, in input order, loaded on access."""

    def __init__(self, store: ResultStore, jobs: tuple[Job, ...]) -> None:
        self._store = store
        self._jobs = jobs

    def __len__(self) -> int:
        return len(self._jobs)

    @overload
    def __getitem__(self, index: int) -> FileRecord: ...

    @overload
    def __getitem__(self, index: slice) -> RecordSequence: ...

    def __getitem__(self, index: int | slice) -> FileRecord | RecordSequence:
        if isinstance(index, slice):
            return RecordSequence(self._store, self._jobs[index])
        job = self._jobs[index]
        record = self._store.read(job)
        if record is None:
            raise LookupError(f"result store record of {job.path} is missing or corrupt")
        return record

    def __iter__(self) -> Iterator[FileRecord]:
        for i in range(len(self)):
            yield self[i]
