"""The result store: every finished file's record, persisted the moment it arrives.

Records are appended as single JSON lines to ``records.jsonl`` under
``output_dir/.ofxpost/store`` and flushed before the file counts as done (several
records that arrive together share one flush), so the controller keeps no results in
memory (only each record's offset), nothing finished is lost when the batch is
cancelled or the controller is killed, and ``--resume`` can reuse every record whose
*resume key* -- input path, the file's key (:attr:`ofxpost.Job.key`, its per-file
name), size, modification time, a content fingerprint (:mod:`ofxpost._store.fingerprint`)
and the config's result hash -- still matches.

Each record is one ``write`` of a complete line; a line cut short by a killed
controller has no trailing newline and is ignored (and truncated away) when the
store is reopened, so a record is either wholly there or not there at all. A
damaged line elsewhere (a disk or editor accident) is skipped and counted, and the
records after it are kept. A later record for the same input supersedes an earlier
one.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, overload

from ofxpost._core.diskfull import error_is_disk_full
from ofxpost._core.records import ErrorRecord, FileRecord, FileStatus, Job
from ofxpost._store.fingerprint import fingerprint
from ofxpost._store.store_records import record_problem

STORE_FORMAT = 3
"""Version of the record layout."""

LOG_NAME = "records.jsonl"
"""The append-only record log inside the store folder."""


@dataclass(frozen=True)
class ResumeKey:
    """What must be unchanged for a stored record to be reused."""

    path: str
    size: int
    mtime_ns: int
    config_hash: str
    name: str = ""
    """The job's unique per-file key (:attr:`ofxpost.Job.key`): its outputs' names."""
    content: str = ""
    """The file's content fingerprint (:func:`ofxpost._store.fingerprint.fingerprint`)."""

    @classmethod
    def for_job(cls, job: Job, config_hash: str, content: str | None = None) -> ResumeKey:
        """The key of ``job`` under a config with ``config_hash``.

        :param content: the file's fingerprint if already taken (a worker's
            :attr:`FileRecord.fingerprint`); otherwise the file is read for it here.
        """
        if content is None:
            content = fingerprint(job.path)
        return cls(str(job.path), job.size, job.mtime_ns, config_hash, job.key, content)


class ResultStore:
    """Records of finished files in ``root`` (``output_dir/.ofxpost/store``)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.log_path = root / LOG_NAME
        self._index: dict[str, tuple[int, int]] = {}
        self._handle: IO[bytes] | None = None
        self._reader: IO[bytes] | None = None
        self._end = 0
        self._unflushed = False
        self.damaged_lines = 0
        """Damaged lines skipped when the log was last reopened with ``resume``."""

    def prepare(self, *, resume: bool) -> None:
        """Open the store; without ``resume`` forget every earlier record.

        :attr:`damaged_lines` then says how many damaged lines a resumed log had.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        self.close()
        self._index = {}
        self.damaged_lines = 0
        if resume and self.log_path.exists():
            self.damaged_lines = self._scan()
        else:
            self.log_path.write_bytes(b"")
        self._handle = open(self.log_path, "ab")  # noqa: SIM115 - kept open for appends
        self._end = self.log_path.stat().st_size  # where the next record goes (no seek)

    def close(self) -> None:
        """Close the log (records stay on disk)."""
        for handle in (self._handle, self._reader):
            if handle is not None:
                handle.close()
        self._handle = self._reader = None

    def _scan(self) -> int:
        """Index the complete records of an existing log; cut off a torn last line.

        A damaged line in the middle of the log (not valid JSON, or a record that fails
        the field-by-field check of :func:`ofxpost._store.store_records.record_problem`) is
        skipped and every valid record after it is kept. Only a last line without
        its newline -- a write cut short by a killed controller -- is truncated away.
        Returns the number of damaged lines skipped.
        """
        damaged = 0
        good_end = 0
        with open(self.log_path, "rb") as handle:
            offset = 0
            for line in handle:
                if not line.endswith(b"\n"):
                    break  # torn last line
                try:
                    data = json.loads(line)
                    old = isinstance(data, dict) and data.get("format") != STORE_FORMAT
                    problem = None if old else record_problem(data, STORE_FORMAT)
                    path = data["key"]["path"] if not old and problem is None else None
                    damaged += problem is not None
                except (ValueError, TypeError, KeyError, AttributeError):
                    damaged += line.strip() != b""
                    path = None
                if isinstance(path, str):
                    self._index[path] = (offset, len(line))
                offset += len(line)
                good_end = offset
        if good_end != self.log_path.stat().st_size:
            with open(self.log_path, "r+b") as handle:
                handle.truncate(good_end)
        return damaged

    def write(self, job: Job, record: FileRecord, config_hash: str, *, flush: bool = True) -> None:
        """Append ``record`` as one complete line and flush it.

        With ``flush=False`` the line may stay in the write buffer until
        :meth:`flush` (several records, one system call): call it before any of
        those files counts as done. A controller killed in between loses only
        records of files that then run again on ``--resume``.
        """
        if self._handle is None:
            raise RuntimeError("result store is not open: call prepare() first")
        head = {
            "format": STORE_FORMAT,
            "key": ResumeKey.for_job(job, config_hash, record.fingerprint).__dict__,
            "status": str(record.status),
            "errors": [e.to_dict() for e in record.errors],
            "duration_s": record.duration_s,
            "worker_pid": record.worker_pid,
            "peak_rss": record.peak_rss,
            "attempts": record.attempts,
            "log": record.log,
            "artifacts": record.artifacts,
        }
        text = json.dumps(head, separators=(",", ":"))[:-1] + ',"results":' + record.payload
        line = (text + "}\n").encode("utf-8")
        offset = self._end
        try:
            self._handle.write(line)
            if flush:
                self._handle.flush()
            self._unflushed = not flush
        except BaseException:  # a short write: find the end again before the next one
            self._reopen()
            raise
        self._end = offset + len(line)
        self._index[str(job.path)] = (offset, len(line))

    def flush(self) -> None:
        """Hand every record written so far to the operating system.

        :raises OSError: if they could not be written (disk full); the records
            buffered since the last flush may then be lost, and the store goes on at
            the true end of its log.
        """
        if self._handle is not None:
            try:
                self._handle.flush()
            except BaseException:
                self._reopen()
                raise
        self._unflushed = False

    def _reopen(self) -> None:
        """After a failed write: drop what the buffer held; append at the log's true end.

        (Seeking a buffered file flushes it first, which would fail again.) A torn
        line left behind is skipped as damaged by a later ``--resume``.
        """
        handle, self._handle = self._handle, None
        if handle is not None:
            with contextlib.suppress(OSError):
                handle.close()
        self._handle = open(self.log_path, "ab")  # noqa: SIM115 - kept open for appends
        self._end = os.path.getsize(self.log_path)
        self._unflushed = False

    def has(self, job: Job) -> bool:
        """True when ``job`` has a stored record."""
        return str(job.path) in self._index

    def read(self, job: Job) -> FileRecord | None:
        """Read ``job``'s record (``None`` if it has none)."""
        data = self._load(job)
        return None if data is None else _record(data, job)

    def reusable(self, job: Job, config_hash: str) -> FileRecord | None:
        """``job``'s record if its resume key still matches, else ``None``.

        Failed files are never reused: a resumed batch tries them again; nor are
        files left partial by a full disk (:mod:`ofxpost._core.diskfull`).
        """
        data = self._load(job)
        if data is None or data.get("key") != ResumeKey.for_job(job, config_hash).__dict__:
            return None
        if data.get("status") == str(FileStatus.FAILED):
            return None
        record = _record(data, job)
        if any(error_is_disk_full(e) for e in record.errors):
            return None  # left partial by a full disk: run it again now there is space
        record.reused = True
        return record

    def _load(self, job: Job) -> dict[str, Any] | None:
        where = self._index.get(str(job.path))
        if where is None:
            return None
        offset, length = where
        if self._unflushed:
            self.flush()
        if self._reader is None:
            self._reader = open(self.log_path, "rb")  # noqa: SIM115 - closed by close()
        self._reader.seek(offset)
        data: dict[str, Any] = json.loads(self._reader.read(length))
        return data

    def records(self, jobs: Sequence[Job]) -> RecordSequence:
        """The records of ``jobs`` that have one, in the given order, read lazily."""
        return RecordSequence(self, tuple(job for job in jobs if self.has(job)))


def _record(data: dict[str, Any], job: Job) -> FileRecord:
    payload = json.dumps(data.get("results", {}), separators=(",", ":"), allow_nan=True)
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
        log=data.get("log"),
        artifacts=[a for a in data.get("artifacts") or [] if isinstance(a, str)],
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
            raise LookupError(f"result store holds no record of {job.path}")
        return record

    def __iter__(self) -> Iterator[FileRecord]:
        for i in range(len(self)):
            yield self[i]
