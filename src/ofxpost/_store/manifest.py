"""``ofxpost-run.json``: the run's status and the list of files ofxpost owns.

The manifest is the record of **what ofxpost wrote** into ``output_dir``. Its
``written`` list (paths relative to ``output_dir``, ``/``-separated) is the only
thing ofxpost ever deletes or overwrites: a file in ``output_dir`` that is not on
that list belongs to the user and is left alone. An output whose path is taken by
such a file is not written (an ``output`` error names the file; exit code 1).

``status`` says whether the files on the list form one finished set:

``running``
    files are being processed (error reports may appear under ``errors/``);
``writing``
    outputs are being put in place;
``complete`` / ``partial``
    every output of the run is in place (``partial``: the batch was cancelled and
    the outputs cover the files that finished).

The ledger persists each claim **before** the file is written, so a run killed at
any moment leaves a manifest that lists every file ofxpost may have written, and
that says ``running`` or ``writing``.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ofxpost._core import atomic
from ofxpost._core.names import relative_path_problem
from ofxpost._version import __version__

MANIFEST = "ofxpost-run.json"
"""The manifest's file name, in ``output_dir``."""

PARTIAL_MARKER = "PARTIAL"
"""File written into ``output_dir`` when the outputs cover a cancelled batch only."""

RUNNING = "running"
WRITING = "writing"
COMPLETE = "complete"
PARTIAL = "partial"
FINISHED_STATES = (COMPLETE, PARTIAL)
"""States in which the files on the ``written`` list form one finished set."""


STATES = (RUNNING, WRITING, COMPLETE, PARTIAL)
"""Every value ``status`` may have."""

MAX_LISTED = 1_000_000
"""Most entries a manifest list (``written``, ``outputs``, ``output_errors``) may hold;
a longer one is dropped as damaged."""

_COUNTS = ("workers", "total", "succeeded", "partial", "failed", "reused")
_MAX_COUNT = 10**12
_MAX_TEXT = 1000


def _text(value: Any) -> str | None:
    if not isinstance(value, str):
        return "not text"
    return "too long" if len(value) > _MAX_TEXT else None


def _count(value: Any) -> str | None:
    if not isinstance(value, int) or isinstance(value, bool):
        return "not a whole number"
    return None if 0 <= value <= _MAX_COUNT else "out of range"


def _seconds(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, int | float) or isinstance(value, bool):
        return "not a number"
    return None if 0 <= value < float("inf") else "out of range"


def _listed(value: Any, item: type) -> str | None:
    if not isinstance(value, list):
        return "not a list"
    if len(value) > MAX_LISTED:
        return f"more than {MAX_LISTED} entries"
    if item is not str and not all(isinstance(v, item) for v in value):
        return "an entry is not an object"
    return None


def _all_text(value: list[Any]) -> str | None:
    return None if all(isinstance(v, str) for v in value) else "an entry is not text"


def _status(value: Any) -> str | None:
    return None if value in STATES else f"not one of {', '.join(STATES)}"


_FIELDS: dict[str, Any] = {
    "batch_id": _text,
    "status": _status,
    "mode": _text,
    **dict.fromkeys(_COUNTS, _count),
    "wall_s": _seconds,
    "outputs": lambda v: _listed(v, str) or _all_text(v),
    "output_errors": lambda v: _listed(v, dict),
    "written": lambda v: _listed(v, str),
    "version": _text,
}
"""Each field a manifest may hold, and its check (``None``: valid, else why not)."""


def manifest_problems(data: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """``data`` with every invalid field dropped, and one line per dropped field
    naming its key, its value (shortened) and why. Entries of ``written`` that are
    not confined relative paths are not dropped here: :func:`owned_paths` ignores
    them and :func:`refused_entries` names them."""
    kept: dict[str, Any] = {}
    problems: list[str] = []
    for key, value in data.items():
        check = _FIELDS.get(key)
        why = "not a manifest field" if check is None else check(value)
        if why is None:
            kept[key] = value
            continue
        shown_value = repr(value)
        if len(shown_value) > 80:
            shown_value = shown_value[:77] + "..."
        problems.append(f"{key!r} = {shown_value} ({why})")
    return kept, problems


def read_checked(output_dir: Path) -> tuple[dict[str, Any] | None, list[str]]:
    """The manifest in ``output_dir`` with its invalid fields dropped (``None`` when
    absent, unreadable or not an object), and the dropped fields (see
    :func:`manifest_problems`)."""
    try:
        data = json.loads((output_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None, []
    if not isinstance(data, dict):
        return None, []
    return manifest_problems(data)


def read_manifest(output_dir: Path) -> dict[str, Any] | None:
    """The manifest in ``output_dir`` with its invalid fields dropped, or ``None`` when
    absent or unreadable."""
    return read_checked(output_dir)[0]


def refused_entries(manifest: Mapping[str, Any] | None) -> list[str]:
    """The entries of a manifest's ``written`` list that are not confined relative
    paths (``..``, absolute, not text): ignored by :func:`owned_paths`."""
    listed = manifest.get("written") if manifest else None
    if not isinstance(listed, list):
        return []
    return [repr(p) for p in listed if not isinstance(p, str) or relative_path_problem(p)]


def owned_paths(manifest: Mapping[str, Any] | None) -> set[str]:
    """The confined relative paths a manifest says ofxpost wrote.

    A manifest from an earlier ofxpost version has no ``written`` list; its
    ``outputs`` and the ``PARTIAL`` marker count instead. Anything that is not a
    confined relative path (``..``, absolute) is ignored: ofxpost never deletes
    outside ``output_dir`` whatever the manifest says.
    """
    if not manifest:
        return set()
    listed = manifest.get("written")
    if not isinstance(listed, list):
        listed = [*(manifest.get("outputs") or []), PARTIAL_MARKER]
    return {p for p in listed if isinstance(p, str) and relative_path_problem(p) is None}


def confined(output_dir: Path, path: Path) -> bool:
    """Whether ``path`` lies inside ``output_dir`` once every symbolic link on its way
    is resolved (the last component itself is not followed: removing or replacing a
    link touches only the link)."""
    try:
        root = output_dir.resolve()
        real = path.parent.resolve() / path.name
    except (OSError, RuntimeError):  # a loop of links
        return False
    return real != root and real.is_relative_to(root)


def _manifest_text(manifest: Mapping[str, Any], written: list[str]) -> str:
    """``json.dumps`` of ``manifest`` with ``written`` before its ``version``, indented
    by 2, the list encoded by the C encoder: the indented encoder is pure Python, and
    the list grows with every error report claimed (a manifest write per batch of
    reports made 20,000 failing files spend seconds encoding it)."""
    head = {k: v for k, v in manifest.items() if k != "version"}
    items = json.dumps(written, separators=(",\n    ", ": "))[1:-1]  # no indent: C encoder
    fields = [json.dumps(head, indent=2)[2:-2]] if head else []
    fields.append(f'  "written": [\n    {items}\n  ]' if written else '  "written": []')
    fields.append(f'  "version": {json.dumps(manifest.get("version"))}')
    return "{\n" + ",\n".join(fields) + "\n}\n"


_ABSENT_ERRNOS = frozenset({errno.ENOENT, errno.ENOTDIR, errno.EBADF, errno.ELOOP})
_ABSENT_WINERRORS = frozenset({21, 123, 1921})
"""Windows: not ready, an invalid name, a link that cannot be followed."""


def _absent(exc: OSError) -> bool:
    """Whether ``exc`` means "nothing there" (as :meth:`pathlib.Path.exists` reads it)."""
    return exc.errno in _ABSENT_ERRNOS or getattr(exc, "winerror", None) in _ABSENT_WINERRORS


class OutputLedger:
    """Which files of ``output_dir`` ofxpost owns, kept in the manifest as it changes."""

    def __init__(self, output_dir: Path, batch_id: str) -> None:
        self.output_dir = output_dir
        self.batch_id = batch_id
        manifest, dropped = read_checked(output_dir)
        self.dropped: list[str] = dropped
        """The previous manifest's fields dropped as invalid (one line each, naming
        the key and the value); the finisher reports them in warnings."""
        self.previous: frozenset[str] = frozenset(owned_paths(manifest))
        """What earlier runs wrote (and may still be on disk)."""
        self.refused: list[str] = refused_entries(manifest)
        """Entries of the previous manifest's ``written`` list that were ignored
        (not confined relative paths); the orchestrator reports them in a warning."""
        self.owned: set[str] = set(self.previous)
        """Every file ofxpost may have written and not yet removed."""
        self.written: set[str] = set()
        """What this run wrote (or is about to write)."""
        self.status = RUNNING
        self._plain_folders: set[Path] = set()
        """Folders :meth:`_confined` found not to be links since the last claim (one
        ``lstat`` per folder per batch of error reports, not one per report)."""
        self._listings: dict[str, frozenset[str]] = {}
        """Names in a folder of per-file outputs when first looked at
        (:meth:`foreign_in_listing`)."""

    def path(self, rel: str) -> Path:
        """The absolute path of ``rel``."""
        return self.output_dir / rel

    def checked(self, rel: str) -> Path:
        """The absolute path of ``rel``, refused when a symbolic link on its way leads
        outside ``output_dir`` (an edited manifest, a link planted in ``output_dir``).

        :raises OSError: naming the path.
        """
        target = self.path(rel)
        if not self._confined(rel):
            raise OSError(f"{rel!r} leads outside output_dir through a symbolic link")
        return target

    def _confined(self, rel: str) -> bool:
        """:func:`confined` for a path of the ledger, cheaply: when no folder between
        ``output_dir`` and ``rel`` is a symbolic link, ``rel`` lies inside (one
        ``lstat`` per folder instead of resolving the whole path, which made every
        error report cost a walk of ``output_dir``'s ancestors); otherwise, or for
        a path that is not a plain relative one, the full resolution decides. A
        folder is looked at once per :meth:`claim`."""
        parts = rel.split("/")
        if relative_path_problem(rel) is not None or "" in parts or "." in parts:
            return confined(self.output_dir, self.path(rel))
        folder = self.output_dir
        for part in parts[:-1]:
            folder = folder / part
            if folder in self._plain_folders:
                continue
            try:
                if folder.is_symlink():
                    return confined(self.output_dir, self.path(rel))
            except OSError:
                return confined(self.output_dir, self.path(rel))
            self._plain_folders.add(folder)
        return True

    def foreign(self, rel: str) -> bool:
        """Whether something that ofxpost did not write is at ``rel`` (a file, a
        folder or a symbolic link, even a broken one).

        One ``lstat`` of the joined path, no :class:`~pathlib.Path` made: it runs once
        per failing file (its error report).
        """
        if rel in self.owned:
            return False
        try:
            os.lstat(os.path.join(self.output_dir, rel))
        except OSError as exc:
            if _absent(exc):
                return False
            raise
        return True

    def foreign_in_listing(self, rel: str) -> bool:
        """:meth:`foreign` for a per-file output (an error report): whether ``rel``'s
        folder held an entry of that name that ofxpost did not write when the batch
        first looked at the folder.

        The folder is listed once per batch instead of one ``lstat`` per failing file
        (which, in a folder of 20,000 reports, cost the controller a tenth of a
        millisecond a file). What the folder held before the batch is protected as by
        :meth:`foreign`; an entry another program creates there under the same name
        while this run holds ``output_dir``'s lock is not seen.
        """
        if rel in self.owned:
            return False
        folder, _, name = rel.rpartition("/")
        listing = self._listings.get(folder)
        if listing is None:
            try:
                with os.scandir(self.path(folder) if folder else self.output_dir) as it:
                    listing = frozenset(entry.name for entry in it)
            except OSError as exc:
                if not _absent(exc):
                    raise
                listing = frozenset()
            self._listings[folder] = listing
        return name in listing

    def claim(self, rels: Iterable[str], status: str | None = None) -> None:
        """Record ``rels`` as written by this run, in the manifest, before writing them."""
        rels = list(rels)
        self._plain_folders.clear()  # checked again for the files of this claim
        self.owned.update(rels)
        self.written.update(rels)
        if status is not None:
            self.status = status
        self.save()

    def unclaim(self, rel: str) -> None:
        """``rel`` was claimed but could not be written: it is not this run's output."""
        self.written.discard(rel)
        if rel not in self.previous:
            self.owned.discard(rel)

    def remove(self, rel: str) -> None:
        """Delete the owned file ``rel`` (and its folders, when they become empty).

        A path that leads outside ``output_dir`` through a symbolic link is never
        deleted; it is only dropped from the list.
        """
        target = self.path(rel)
        self.owned.discard(rel)
        self.written.discard(rel)
        if not confined(self.output_dir, target):
            return
        with contextlib.suppress(FileNotFoundError):
            target.unlink()
        folder = target.parent
        while (
            folder != self.output_dir
            and folder.is_relative_to(self.output_dir)
            and confined(self.output_dir, folder)
        ):
            try:
                folder.rmdir()  # only succeeds when empty: a user's file keeps it
            except OSError:
                break
            folder = folder.parent

    def save(self, summary: Mapping[str, Any] | None = None) -> None:
        """Write the manifest (atomically) with the current status and ownership."""
        manifest: dict[str, Any] = {"batch_id": self.batch_id, "status": self.status}
        manifest.update(summary or {})
        manifest["version"] = __version__
        atomic.write_text(self.path(MANIFEST), _manifest_text(manifest, sorted(self.owned)))

    def sweep_temporaries(self) -> None:
        """Remove temporary manifest files left by a run that was killed."""
        for leftover in self.output_dir.glob(f".{MANIFEST}.*{atomic.TEMP_SUFFIX}"):
            with contextlib.suppress(OSError):
                leftover.unlink()
