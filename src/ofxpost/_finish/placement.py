"""Per-file artifacts moved into ``output_dir`` as files finish, in batches.

A worker stages each artifact of a file (:mod:`ofxpost._store.artifacts`); when the
file's record arrives, :class:`ArtifactPlacement` checks the names, lists them in the
manifest (the output ledger) and then moves each into place with one rename. The
manifest lists every artifact of the run, so it is written once per batch of files
that finish within :data:`ARTIFACT_BATCH_S`, not once per file.
"""

from __future__ import annotations

import contextlib
import math
import os
import time
from collections.abc import Callable
from pathlib import Path

from ofxpost._core.names import name_key
from ofxpost._core.records import FileRecord
from ofxpost._core.result import OutputFailure
from ofxpost._finish.blame import OutputFailures
from ofxpost._finish.publish import blocked_by_file
from ofxpost._store.artifacts import STAGING as ARTIFACT_STAGING
from ofxpost._store.artifacts import name_problem as artifact_problem
from ofxpost._store.artifacts import staged_file as artifact_staged
from ofxpost._store.manifest import OutputLedger, confined

__all__ = ["ARTIFACT_BATCH_S", "ArtifactPlacement"]

ARTIFACT_BATCH_S = 0.25
"""Per-file artifacts are claimed in the manifest and moved into place at most this
often (seconds) while files finish faster than that; the engine places the ones
still waiting every :data:`ARTIFACT_BATCH_S` (:meth:`ArtifactPlacement.place_pending`),
and the finish places the rest. See :meth:`ArtifactPlacement.place_artifacts`."""


class ArtifactPlacement:
    """Places the per-file artifacts of a batch's files in ``output_dir``."""

    def __init__(
        self, output_dir: Path, ledger: Callable[[], OutputLedger], failures: OutputFailures
    ) -> None:
        self.output_dir = output_dir
        self._ledger = ledger
        self._failures = failures
        self.artifacts: list[Path] = []
        """Per-file artifacts placed in ``output_dir`` during the run."""
        self.artifact_keys: set[str] = set()
        """The :func:`~ofxpost._core.names.name_key` of every artifact placed (or
        about to be)."""
        self._pending: list[tuple[FileRecord, str, Path, Path]] = []
        """Accepted artifacts not yet claimed: (record, name, staged file, target)."""
        self._logs: list[str] = []
        """Plugin-output logs not yet claimed (already in place)."""
        self._placed_at = -math.inf
        """``time.monotonic()`` of the last claim."""

    def place_artifacts(self, record: FileRecord) -> None:
        """Claim a file's artifacts (:mod:`ofxpost._store.artifacts`), then move them into place.

        Artifacts are listed in the manifest with one write, then one rename each moves
        them from the file's staging folder to ``output_dir``; no data passes through
        here. The manifest lists every artifact of the run, so one write per file made
        a batch quadratic in its files (3,000 files with one time-series group: 470 KB
        rewritten per file at the end). When the last claim is under
        :data:`ARTIFACT_BATCH_S` old, the file's artifacts wait and are claimed and
        moved with the next ones (:meth:`place_pending`): a file that finishes alone
        is placed at once, files that finish together share one write.

        A name that a user's file holds, or that another file of this run already
        placed (or is about to), is refused at once (an ``output`` error; the staged
        file is dropped). A reused file's artifacts are already in place and are
        claimed again. A controller killed before a file's artifacts are placed leaves
        them staged; ``--resume`` runs that file again (:mod:`ofxpost._store.artifacts`).
        """
        if not record.artifacts:
            return
        ledger = self._ledger()
        root = self.output_dir
        accepted: list[tuple[str, Path, Path]] = []  # (name, staged, target)
        for rel in record.artifacts:
            staged = artifact_staged(root, record.index, rel)
            target = ledger.path(rel)
            problem = artifact_problem(rel)
            reason: str | None = None
            if problem is not None:
                reason = f"{problem}; it was not placed"
            elif rel in ledger.written or name_key(rel) in self.artifact_keys:
                reason = "is already written by another output of this run; it was not placed"
            elif staged.exists():
                if ledger.foreign(rel) or blocked_by_file(root, rel):
                    reason = (
                        f"not placed: output_dir already holds {str(target)!r}, which "
                        "ofxpost did not write (it was left as it is)"
                    )
            elif not (record.reused and rel in ledger.owned and target.is_file()):
                reason = "is missing: its worker did not leave it"
            if reason is not None:
                if problem is None and confined(root / ARTIFACT_STAGING, staged):
                    with contextlib.suppress(OSError):
                        staged.unlink()
                self._failures.fail(
                    OutputFailure(
                        "output",
                        None,
                        None,
                        f"artifact {rel!r} of {record.path}: {reason}",
                        target=rel,
                    )
                )
                continue
            try:
                target = ledger.checked(rel)
            except OSError as exc:
                self._not_placed(record, rel, exc)
                continue
            self.artifact_keys.add(name_key(rel))
            accepted.append((rel, staged, target))
        self._pending.extend((record, *item) for item in accepted)
        self._when_due()

    def claim_later(self, rel: str) -> None:
        """List ``rel``, a file a worker already wrote in place (its plugin-output log),
        as this run's with the next claim (the same batching as the artifacts)."""
        self._logs.append(rel)
        self._when_due()

    def _when_due(self) -> None:
        if time.monotonic() - self._placed_at >= ARTIFACT_BATCH_S:
            self.place_pending()

    def place_pending(self) -> None:
        """Claim what waits (artifacts, logs) with one manifest write, then move each
        artifact into place (:meth:`place_artifacts`); nothing when nothing waits."""
        if not self._pending and not self._logs:
            return
        pending, self._pending = self._pending, []
        logs, self._logs = self._logs, []
        self._placed_at = time.monotonic()
        ledger = self._ledger()
        try:
            ledger.claim([*logs, *(rel for _, rel, _, _ in pending)])
        except OSError as exc:
            # a log exists whatever happens: it stays listed (the final manifest lists
            # it, or says with an output_failed that it could not be written)
            for record, rel, _, _ in pending:
                self._drop(ledger, record, rel, exc)
            return
        for record, rel, staged, target in pending:
            try:
                if staged.exists():
                    target.parent.mkdir(parents=True, exist_ok=True)
                    os.replace(staged, target)
            except OSError as exc:
                self._drop(ledger, record, rel, exc)
                continue
            self.artifacts.append(target)

    def _drop(self, ledger: OutputLedger, record: FileRecord, rel: str, exc: OSError) -> None:
        """An accepted artifact that could not be placed: off the list, reported."""
        ledger.unclaim(rel)
        self.artifact_keys.discard(name_key(rel))
        self._not_placed(record, rel, exc)

    def _not_placed(self, record: FileRecord, rel: str, exc: OSError) -> None:
        self._failures.fail(
            OutputFailure(
                "output",
                None,
                None,
                f"artifact {rel!r} of {record.path} could not be placed: {exc}",
                target=rel,
            )
        )
