"""Publish: place the staged outputs in ``output_dir``, listed in the manifest first.

The manifest (the :class:`~ofxpost._store.manifest.OutputLedger`) says ``writing``
and lists every file about to be placed; each file is then moved into
``output_dir`` by one atomic rename (every path resolved and confined to
``output_dir``); a cancelled batch gets a ``PARTIAL`` marker; outputs of the
previous run that this run did not write again are removed. The manifest then
says ``complete`` (or ``partial``): see :mod:`ofxpost._finish.manifest`.

A run killed at any moment therefore leaves either the previous complete set or
a manifest that says ``running``/``writing``, never a torn file under a
``complete`` manifest.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

from ofxpost._config.plan import Plan
from ofxpost._core import atomic
from ofxpost._core.result import OutputFailure
from ofxpost._events.emitter import EventEmitter
from ofxpost._finish import checkpoints
from ofxpost._finish.blame import OutputFailures
from ofxpost._store.manifest import MANIFEST, PARTIAL_MARKER, WRITING, OutputLedger

__all__ = ["Staged", "blocked_by_file", "publish", "restart"]


@dataclass(frozen=True)
class Staged:
    """A file a writer left in its staging folder, to be placed at ``rel``."""

    rel: str
    source: Path
    plugin: str


def restart(ledger: OutputLedger, reports_dir: str) -> None:
    """Mark the manifest ``running``, drop the last run's reports.

    Only files the previous manifest lists are removed: the error reports under
    ``reports_dir/`` and the ``PARTIAL`` marker. A user's files (say
    ``errors/my_notes.txt``) stay.
    """
    ledger.sweep_temporaries()
    ledger.save()
    for rel in sorted(ledger.previous):
        if rel == PARTIAL_MARKER or rel.startswith(f"{reports_dir}/"):
            with contextlib.suppress(OSError):  # kept on the list if it stays
                ledger.remove(rel)
    ledger.save()


def publish(
    ledger: OutputLedger,
    staged: list[Staged],
    failures: OutputFailures,
    emitter: EventEmitter,
    plan: Plan,
    cancelled: bool,
    done: int,
) -> list[Path]:
    """Place the staged files, remove the last run's leftovers; return the paths.

    :param done: how many files the outputs cover (for the ``PARTIAL`` marker).
    """
    marker = [PARTIAL_MARKER] if cancelled and not ledger.foreign(PARTIAL_MARKER) else []
    try:
        ledger.claim([s.rel for s in staged] + marker, status=WRITING)
    except OSError as exc:
        # Claims must be on disk before a file is placed: none is placed, each
        # is an output_failed, and the manifest on disk still says "running".
        for rel in [s.rel for s in staged] + marker:
            ledger.unclaim(rel)
        for item in staged:
            failures.plugin(
                "output",
                item.plugin,
                f"output {item.rel!r} not placed: {MANIFEST} could not be updated first: {exc}",
                target=item.rel,
            )
        return []
    checkpoints.checkpoint("writing")
    placed: list[Path] = []
    for item in staged:
        target = ledger.path(item.rel)
        try:
            target = ledger.checked(item.rel)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(item.source, target)
        except OSError as exc:
            ledger.unclaim(item.rel)  # an old file there is then stale, removed below
            failures.plugin(
                "output",
                item.plugin,
                f"output {item.rel!r} could not be placed: {exc}",
                target=item.rel,
            )
            continue
        placed.append(target)
        checkpoints.checkpoint(f"placed:{item.rel}")
        emitter.emit(
            "output_written",
            path=str(target),
            bytes=target.stat().st_size,
            plugin=item.plugin,
        )
    if cancelled:
        if marker:
            try:
                atomic.write_text(
                    ledger.path(PARTIAL_MARKER),
                    f"Batch {plan.batch_id} was cancelled: the outputs cover {done} of "
                    f"{plan.total} files. Run again with --resume to finish.\n",
                )
            except OSError as exc:  # the manifest still says "partial"
                ledger.unclaim(PARTIAL_MARKER)
                failures.fail(
                    OutputFailure(
                        "output",
                        None,
                        None,
                        f"the {PARTIAL_MARKER!r} marker was not written: {exc}",
                        target=PARTIAL_MARKER,
                    )
                )
        else:
            failures.fail(
                OutputFailure(
                    "output",
                    None,
                    None,
                    f"the {PARTIAL_MARKER!r} marker was not written: output_dir already "
                    "holds a file of that name that ofxpost did not write",
                    target=PARTIAL_MARKER,
                )
            )
    for rel in sorted(ledger.owned - ledger.written):
        with contextlib.suppress(OSError):
            ledger.remove(rel)
        checkpoints.checkpoint(f"removed:{rel}")
    return placed


def blocked_by_file(output_dir: Path, rel: str) -> bool:
    """Whether a folder of ``rel`` is a file (so ``rel`` cannot be created)."""
    parts = rel.split("/")[:-1]
    folder = output_dir
    for part in parts:
        folder = folder / part
        if folder.exists() and not folder.is_dir():
            return True
    return False
