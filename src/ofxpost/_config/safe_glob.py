"""Recursive ``**`` patterns that survive symbolic-link loops.

Python's ``glob(recursive=True)`` follows links to folders with no memory of where
it has been: a link back to a parent (``sims/loop -> ..``) repeats the tree under
ever longer paths, and two such links make the walk grow without bound. Here a
``**`` walk follows links too (a load-case tree may well be assembled from links),
but it never enters a folder that is already on its way down (a loop), nor a folder it
has already walked for the same part of the pattern; each loop met is reported.

Matching is otherwise glob's: ``**`` stands for zero or more folders, the other
parts are matched with :func:`fnmatch.fnmatch` (so case-insensitively on Windows),
and names starting with ``.`` are matched only by a part that starts with ``.``.
"""

from __future__ import annotations

import fnmatch
import glob
import os
from pathlib import Path


def _entries(folder: Path) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(folder) as found:
            return sorted(found, key=lambda e: e.name)
    except OSError:
        return []


def _matches(name: str, part: str) -> bool:
    if name.startswith(".") and not part.startswith("."):
        return False
    return fnmatch.fnmatch(name, part)


def _real(path: Path) -> str:
    return os.path.normcase(os.path.realpath(path))


def recursive_glob(pattern: Path) -> tuple[list[Path], list[str]]:
    """The files matching ``pattern`` (sorted) and one sentence per symbolic-link loop met.

    A pattern without a ``**`` part is left to :func:`glob.glob`.
    """
    parts = pattern.parts
    if "**" not in parts:
        return sorted(Path(p) for p in glob.glob(str(pattern)) if Path(p).is_file()), []
    fixed: list[str] = []
    for part in parts:
        if glob.has_magic(part):
            break
        fixed.append(part)
    root = Path(*fixed) if fixed else Path(".")
    rest = parts[len(fixed) :]
    found: set[Path] = set()
    loops: list[str] = []
    done: set[tuple[str, int]] = set()

    def walk(folder: Path, i: int, chain: tuple[str, ...]) -> None:
        real = _real(folder)
        if (real, i) in done:
            return
        done.add((real, i))
        part = rest[i]
        last = i == len(rest) - 1
        if part == "**":
            if last:  # ``dir/**`` lists files too, at any depth
                found.update(Path(e.path) for e in _entries(folder) if e.is_file())
            else:
                walk(folder, i + 1, chain)
            for entry in _entries(folder):
                if entry.name.startswith(".") or not entry.is_dir():
                    continue
                target = _real(Path(entry.path))
                if target in chain:
                    loops.append(f"{entry.path} links back to {os.path.realpath(entry.path)}")
                    continue
                walk(Path(entry.path), i, (*chain, target))
            return
        for entry in _entries(folder):
            if not _matches(entry.name, part):
                continue
            if last:
                if entry.is_file():
                    found.add(Path(entry.path))
            elif entry.is_dir():
                target = _real(Path(entry.path))
                if target in chain:
                    loops.append(f"{entry.path} links back to {os.path.realpath(entry.path)}")
                    continue
                walk(Path(entry.path), i + 1, (*chain, target))

    if root.is_dir() and rest:
        walk(root, 0, (_real(root),))
    return sorted(found), sorted(set(loops))
