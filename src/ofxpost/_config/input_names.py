"""Per-file names: unique by input, not by stem.

Two inputs with the same file name in two folders (``a/case_001.sim``,
``b/case_001.sim``, common in load-case trees) must never share a per-file output.
Every per-file name ofxpost makes -- a worker's artifacts (time-series tables), the
error report ``errors/<key>.json`` and the plugin-output log ``logs/<key>.log`` -- is
built from the file's **key**, :attr:`ofxpost.Job.key`, which the plan gives each
input:

1. the path relative to the inputs' **common root** (the deepest folder holding
   every input), ``/``-separated, with a simulation suffix (``.sim``,
   ``.ofx.parquet`` ...) removed: ``a/case_001``; when every input is in one folder
   this is the simulation stem, ``case_001``, as before;
2. each folder level made portable (runs of characters other than letters, digits,
   ``_.-`` become ``_``; a Windows device name gets a trailing ``_``) and the levels
   joined with ``~``: ``a~case_001`` (a single level never contains ``~``);
3. made unique in input order, case-insensitively (``~2``, ``~3`` ...), for the rare
   names that step 2 maps together.

The keys depend only on the list of inputs, so they are the same in sequential and
parallel runs and whatever the worker count; they are confined (no ``/``, ``\\``,
``..``) and Windows-safe by construction.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path, PurePath

from ofxpost._archive.format import simulation_stem
from ofxpost._core.names import MAX_NAME, name_problem

SEPARATOR = "~"
"""Joins the folder levels of a key (never produced inside one level)."""

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")

KEY_LIMIT = 120
"""Longest key (characters), leaving room for prefixes and suffixes in file names."""


def _level(text: str) -> str:
    cleaned = _UNSAFE.sub("_", text).strip("_. ") or "_"
    if name_problem(cleaned) is not None:  # a device name (``nul``) or too long
        cleaned = cleaned[: MAX_NAME - 1] + "_"
    return cleaned


def common_root(paths: Sequence[Path]) -> Path | None:
    """The deepest folder that holds every path (``None`` without paths or common drive)."""
    if not paths:
        return None
    try:
        return Path(os.path.commonpath([str(p.parent) for p in paths]))
    except ValueError:  # Windows: inputs on two drives
        return None


def relative_key(path: Path, root: Path | None) -> str:
    """``path`` relative to ``root``, ``/``-separated, its simulation suffix removed."""
    parts: tuple[str, ...]
    if root is not None and path.is_relative_to(root):
        parts = PurePath(path.relative_to(root)).parts
    else:  # another drive: the whole path, drive letter and all, as levels
        parts = tuple(p for p in path.parts if p not in (path.anchor, "/", "\\")) or (path.name,)
        anchor = path.drive.rstrip(":\\/")
        parts = (anchor, *parts) if anchor else parts
    return "/".join([*parts[:-1], simulation_stem(path)])


def flat_name(relative: str) -> str:
    """``a/case 001`` → ``a~case_001``: one portable name level (see module docs)."""
    joined = SEPARATOR.join(_level(level) for level in relative.split("/"))
    return joined[:KEY_LIMIT]


def input_keys(paths: Sequence[Path]) -> list[str]:
    """The key of each path, in order: unique (case-insensitively) and portable."""
    root = common_root(paths)
    seen: set[str] = set()
    keys: list[str] = []
    for path in paths:
        base = flat_name(relative_key(path, root))
        candidate, n = base, 1
        while candidate.lower() in seen:
            n += 1
            candidate = f"{base}{SEPARATOR}{n}"
        seen.add(candidate.lower())
        keys.append(candidate)
    return keys


def key_of(job_key: str, path: Path) -> str:
    """``job_key``, or for a job made outside a plan (no key) the file's flat stem."""
    return job_key or flat_name(simulation_stem(path))
