"""Which files a config's ``inputs`` name, and whether its ``output_dir`` is usable.

:func:`resolve_inputs` expands the patterns in input order (links resolved for
identity, outputs never taken as inputs, duplicates dropped once, the
``input_filters`` applied); :func:`check_output_dir` refuses an unusable
``output_dir`` before anything is written.
"""

from __future__ import annotations

import errno
import glob
import itertools
import os
import stat
from pathlib import Path

from ofxpost._config import input_filters
from ofxpost._config.model import Config
from ofxpost._store.manifest import MANIFEST, PARTIAL_MARKER, owned_paths, read_manifest
from ofxpost.errors import ConfigError, OutputError


def resolve_inputs(config: Config, notes: list[str] | None = None) -> list[Path]:
    """Expand ``inputs`` into absolute file paths, in input order, without duplicates.

    Glob matches are sorted by path. A file name that does not exist, or a pattern
    that matches nothing, is a config error. Paths are made absolute and normalised
    (``sims/../sims/x`` becomes ``sims/x``). Glob matches under ``output_dir`` are left
    out (outputs never become inputs), and a file reached twice -- by two names, or
    through a symbolic link -- is kept once, at its first position. When ``notes`` is
    given, a sentence for each of these two cases is appended to it. An active
    ``input_filters`` section then selects among the files (see
    :mod:`ofxpost._config.input_filters`): name filters, and a ``.sim`` entry that also finds
    the archives exported from it.
    """
    filters = input_filters.active_filters(config)
    label = f"{config.source}: " if config.source is not None else ""
    output_dir = _real(config.output_dir)
    real_file = _FileResolver()
    written = _written_outputs(output_dir, real_file)
    seen: set[Path] = set()
    paths: list[Path] = []
    excluded = duplicates = 0
    loops: list[str] = []
    for i, entry in enumerate(config.inputs):
        resolved = config.resolve(entry)
        twin = input_filters.archive_entry(str(entry)) if filters and filters.sim_archives else None
        if glob.has_magic(str(entry)) or twin is not None:
            found = input_filters.expand(resolved, str(entry), loops)
            if twin is not None:  # ``case.sim`` also finds ``case.ofx.parquet``
                found = sorted({*found, *input_filters.expand(config.resolve(twin), twin)})
            root = _real(_glob_root(resolved))
            matches = [p for p in found if not _is_output(real_file(p), root, output_dir, written)]
            excluded += len(found) - len(matches)
            if not matches:
                within = " outside output_dir" if found else ""
                also = f" (nor its archives {twin!r})" if twin is not None else ""
                what = "pattern" if glob.has_magic(str(entry)) else "input file"
                raise ConfigError(
                    f"{label}key 'inputs[{i}]': {what} {entry!r}{also} matched no files{within}"
                )
        else:
            if not resolved.is_file():
                raise ConfigError(
                    f"{label}key 'inputs[{i}]': input file not found: {entry!r} ({resolved})"
                )
            matches = [resolved]
        for path in matches:
            key = real_file(path)
            if key in seen:
                duplicates += 1
                continue
            seen.add(key)
            paths.append(normalised(path))
    if notes is not None:
        if loops:
            more = f" and {len(loops) - 3} more" if len(loops) > 3 else ""
            notes.append(
                "symbolic-link loop(s) under the inputs were not followed: "
                + "; ".join(loops[:3])
                + more
            )
        if excluded:
            notes.append(
                f"{excluded} file(s) under output_dir {config.output_dir} matched the input "
                "patterns and were left out (outputs never become inputs)"
            )
        if duplicates:
            notes.append(
                f"{duplicates} input(s) named a file already in the inputs (the same path, "
                "another spelling of it or a symbolic link) and were dropped"
            )
    if filters is not None:
        paths = input_filters.apply(paths, filters, label)
    return paths


def _glob_root(pattern: Path) -> Path:
    """The folder part of ``pattern`` before its first wildcard."""
    parts = pattern.parts
    fixed = list(itertools.takewhile(lambda p: not glob.has_magic(p), parts))
    return Path(*fixed) if fixed else Path(pattern.anchor or ".")


def _written_outputs(output_dir: Path, real_file: _FileResolver) -> set[Path]:
    """Files an earlier run wrote into ``output_dir``: its manifest, its marker and
    every file the manifest lists as ofxpost's (thousands of error reports after a
    batch of failing files: each folder is resolved once)."""
    owned = {MANIFEST, PARTIAL_MARKER, *owned_paths(read_manifest(output_dir))}
    return {real_file(output_dir / name) for name in owned}


def _is_output(path: Path, root: Path, output_dir: Path, written: set[Path]) -> bool:
    """Whether a glob match (links resolved) is an ofxpost output, not an input.

    Everything under ``output_dir`` is when the pattern reaches into it from outside
    (``**/*.csv`` with ``output_dir: results``). When the pattern starts inside
    ``output_dir`` (``output_dir: .``), only what ofxpost wrote there is: its store
    folder, its manifest and marker, and the outputs the last manifest lists.
    """
    if not path.is_relative_to(output_dir):
        return False
    if not root.is_relative_to(output_dir):
        return True
    return path in written or path.is_relative_to(output_dir / ".ofxpost")


def normalised(path: Path) -> Path:
    """``path`` made absolute with ``.`` and ``..`` removed (symbolic links kept)."""
    return Path(os.path.normpath(path.absolute()))


def _why(folder: Path) -> str:
    """The operating-system reason a folder is not writable."""
    statvfs = getattr(os, "statvfs", None)  # POSIX only; Windows reports access rights
    if statvfs is not None:
        try:
            if statvfs(folder).f_flag & getattr(os, "ST_RDONLY", 1):
                return os.strerror(errno.EROFS)
        except OSError:
            pass
    return os.strerror(errno.EACCES)


def _real(path: Path) -> Path:
    """``path`` with symbolic links resolved, for identity checks."""
    try:
        return path.resolve()
    except OSError:
        return normalised(path)


class _FileResolver:
    """:func:`_real` for many files, each folder resolved once.

    A file that is not itself a symbolic link resolves to its folder's resolution
    joined with its name: one ``lstat`` per file instead of one per component of its
    path (twice per input when planning 10,000 inputs). On Windows, where resolving
    also settles the letter case of every name, each path is resolved in full.
    """

    def __init__(self) -> None:
        self._folders: dict[Path, Path] = {}

    def __call__(self, path: Path) -> Path:
        if os.name == "nt" or path.name in ("", ".", ".."):
            return _real(path)
        try:
            if stat.S_ISLNK(os.lstat(path).st_mode):
                return _real(path)
        except OSError:
            return _real(path)
        folder = path.parent
        real = self._folders.get(folder)
        if real is None:
            real = self._folders[folder] = _real(folder)
        return real / path.name


def check_output_dir(output_dir: Path) -> None:
    """Refuse an ``output_dir`` that is a file, or whose nearest existing folder is not
    writable, without writing anything.

    :raises OutputError: naming the path and the reason.
    """
    if output_dir.exists() and not output_dir.is_dir():
        raise OutputError(f"output_dir {output_dir}: not a folder (a file is in the way)")
    existing = output_dir
    while not existing.exists() and existing.parent != existing:
        existing = existing.parent
    if existing.is_dir() and not os.access(existing, os.W_OK | os.X_OK):
        what = "it is" if existing == output_dir else f"its folder {existing} is"
        raise OutputError(f"output_dir {output_dir}: {what} not writable ({_why(existing)})")
    if not existing.is_dir():
        raise OutputError(f"output_dir {output_dir}: {existing} is not a folder")
