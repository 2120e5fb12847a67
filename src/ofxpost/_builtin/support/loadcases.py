"""Load cases joined to files: the load matrix read, indexed and matched.

A load matrix is a CSV or XLSX table of load cases (Hs, Tp, heading, probability
...), one row per simulation. :func:`load_cases` reads the one the ``load_matrix``
section names (once per process while the file is unchanged) and
:meth:`LoadCases.for_path` gives a file's load-case attributes. The ``load_matrix``
plugin and every feature table with a row per file use this one join; none of
them imports another plugin.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ofxpost._builtin.support import fileinfo
from ofxpost._builtin.support.numpy import np
from ofxpost._builtin.support.pandas import pd
from ofxpost.errors import LoadMatrixError

if TYPE_CHECKING:
    from ofxpost._config.model import Config

SECTION = "load_matrix"
"""The config section naming the matrix."""

STEM_KEYS: tuple[str, ...] = ("file", "fe_filename", "stem", "file_name", "filename")
"""Key columns tried, in order, when ``match: stem`` names no ``key``."""
PATTERN_KEYS: tuple[str, ...] = ("pattern", "file", "fe_filename")
"""Key columns tried, in order, when ``match: pattern`` names no ``key``."""

SIMULATION_SUFFIXES: tuple[str, ...] = (".ofx.parquet", ".sim", ".dat", ".yml", ".yaml")
"""Suffixes dropped from key values before they are compared with file stems."""

RESERVED: frozenset[str] = frozenset(
    {
        "index",
        "file",
        "stem",
        "matched",
        "status",
        "run_status",
        "simulation_complete",
        "start_time",
        "stop_time",
        "error_kind",
        "error_message",
        "label",
        "statistic",
        "group",
        "x",
    }
)
"""Column names the tables use themselves; a load-case column so named gets ``lc_``."""


@dataclass(frozen=True)
class LoadCases:
    """Load-case attributes by file, read from a load matrix."""

    columns: tuple[str, ...] = ()
    """Attribute column names, in the matrix's order (the key column left out)."""
    match: Literal["stem", "pattern"] = "stem"
    keys: tuple[str, ...] = ()
    rows: tuple[tuple[Any, ...], ...] = ()
    _by_key: dict[str, int] = field(default_factory=dict, compare=False, repr=False)
    _by_stem: dict[str, int] = field(default_factory=dict, compare=False, repr=False)
    """Stem → row, ``-1`` where two rows (``a/case_001``, ``b/case_001``) share a stem."""
    _found: dict[Path, tuple[int, ...]] = field(default_factory=dict, compare=False, repr=False)
    """:meth:`rows_for` by path, once worked out (every fold asks for each file)."""

    @property
    def present(self) -> bool:
        """Whether a load matrix was read."""
        return bool(self.keys)

    def rows_for(self, path: Path) -> list[int]:
        """Positions of every row that ``path`` matches, the one :meth:`row_for` picks
        first.

        With ``match: stem`` a key with folders (``a/case_001``) matches a file whose
        path ends with those folders and that stem (the deepest first), and a key
        without folders matches by the stem alone; when no key matches so, a key's
        stem is the fallback while no other row has that stem. With
        ``match: pattern`` every row whose glob matches the file's name or stem, in
        matrix order. More than one position is an ambiguity that the plan refuses
        (:func:`check_unambiguous`).
        """
        known = self._found.get(path)
        if known is None:
            known = self._found[path] = tuple(self._rows_for(path))
        return list(known)

    def _rows_for(self, path: Path) -> list[int]:
        stem = fileinfo.simulation_stem(path).lower()
        if self.match == "stem":
            folders = [p.lower() for p in path.parent.parts]
            depths = range(len(folders), 0, -1)
            keys = [*("/".join([*folders[-d:], stem]) for d in depths), stem]
            found = [self._by_key[k] for k in keys if k in self._by_key]
            if not found:
                position = self._by_stem.get(stem)
                found = [] if position is None or position < 0 else [position]
            return found
        candidates = (path.name.lower(), stem)
        return [
            position
            for position, pattern in enumerate(self.keys)
            if any(fnmatch.fnmatchcase(c, pattern.lower()) for c in candidates)
        ]

    def row_for(self, path: Path) -> int | None:
        """Position of ``path``'s row in the matrix, or ``None`` when none matches.

        The first of :meth:`rows_for`: the most specific key with ``match: stem``,
        the first matching row with ``match: pattern``. A file that two rows match,
        or two files that reach one row, are refused at plan time
        (:func:`check_unambiguous`).
        """
        found = self.rows_for(path)
        return found[0] if found else None

    def for_path(self, path: Path) -> dict[str, Any]:
        """Every attribute of ``path``'s load case (``None`` where no row matches)."""
        position = self.row_for(path)
        if position is None:
            return dict.fromkeys(self.columns)
        return dict(zip(self.columns, self.rows[position], strict=True))


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    return value


def _key_stem(value: Any) -> str:
    """A ``match: stem`` key: its simulation suffix dropped, folders kept (``a/case_001``)."""
    parts = [p for p in str(value).strip().replace("\\", "/").split("/") if p not in ("", ".")]
    text = parts[-1] if parts else ""
    lowered = text.lower()
    for suffix in SIMULATION_SUFFIXES:
        if lowered.endswith(suffix):
            text = text[: -len(suffix)]
            break
    return "/".join([*parts[:-1], text])


_HINTS = {
    "stem": "give the keys with their folder (a/case_001) so that each row names one file",
    "pattern": "make the patterns narrower so that each row matches one file",
}


def check_unambiguous(cases: LoadCases, paths: Sequence[Path], where: str) -> None:
    """Refuse a matrix row that two input files match, and an input file that two
    rows match, whatever the ``match`` mode.

    :raises LoadMatrixError: naming the rows, their keys and the files.
    """
    if not cases.present:
        return
    hint = _HINTS[cases.match]
    taken: dict[int, Path] = {}
    for path in paths:
        found = cases.rows_for(path)
        if len(found) > 1:
            first, second = found[:2]
            raise LoadMatrixError(
                f"load matrix {where}: input file {path} matches two rows, row {first + 2} "
                f"(key {cases.keys[first]!r}) and row {second + 2} (key "
                f"{cases.keys[second]!r}); {hint}"
            )
        if not found:
            continue
        position = found[0]
        other = taken.setdefault(position, path)
        if other != path:
            raise LoadMatrixError(
                f"load matrix {where}: row {position + 2} (key {cases.keys[position]!r}) "
                f"matches two input files, {other} and {path}; {hint}"
            )


def read_matrix(path: Path, sheet: str | int = 0, keys: Sequence[str] = ()) -> pd.DataFrame:
    """Read a CSV or XLSX load matrix.

    The first of ``keys`` that is a column of the matrix is read as the text it holds:
    a key ``001`` stays ``001`` (not the number 1, which names no file), ``1.10``
    stays ``1.10``, and ``NA`` is a name, not a missing value. The other columns are
    typed by pandas (numbers, text, empty cells missing).

    :raises LoadMatrixError: if it is missing or unreadable.
    """
    if not path.is_file():
        raise LoadMatrixError(f"load matrix {path} not found")
    try:
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            frame = pd.read_excel(path, sheet_name=sheet, engine="openpyxl")
            text = pd.read_excel(
                path, sheet_name=sheet, engine="openpyxl", dtype=str, keep_default_na=False
            )
        else:
            frame = pd.read_csv(path)
            text = pd.read_csv(path, dtype=str, keep_default_na=False)
    except Exception as exc:
        raise LoadMatrixError(f"load matrix {path} could not be read: {exc}") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    text.columns = [str(c).strip() for c in text.columns]
    key = next((c for c in keys if c in frame.columns), None)
    if key is not None and len(text) == len(frame) and key in text.columns:
        frame[key] = [None if v is None or v != v else str(v) for v in text[key].tolist()]
    return frame


def key_candidates(section: Any) -> tuple[str, ...]:
    """The key columns tried, in order: ``key``, else those of the ``match`` mode."""
    if section.key:
        return (section.key,)
    return PATTERN_KEYS if section.match == "pattern" else STEM_KEYS


def build_load_cases(frame: pd.DataFrame, section: Any, where: str) -> LoadCases:
    """Index a load-matrix table by its key column."""
    candidates = key_candidates(section)
    key = next((c for c in candidates if c in frame.columns), None)
    if key is None:
        raise LoadMatrixError(
            f"load matrix {where}: no key column {' / '.join(map(repr, candidates))}; "
            f"its columns are {list(frame.columns)} (set load_matrix.key)"
        )
    attributes = [c for c in frame.columns if c != key]
    columns = tuple(f"lc_{c}" if c in RESERVED else c for c in attributes)
    keys: list[str] = []
    by_key: dict[str, int] = {}
    by_stem: dict[str, int] = {}
    for position, raw in enumerate(frame[key].tolist()):
        if raw is None or (isinstance(raw, float) and raw != raw) or not str(raw).strip():
            raise LoadMatrixError(f"load matrix {where}: row {position + 2} has no {key!r}")
        text = _key_stem(raw) if section.match == "stem" else str(raw).strip()
        if text.lower() in by_key:
            raise LoadMatrixError(f"load matrix {where}: {key!r} value {raw!r} appears twice")
        by_key[text.lower()] = position
        stem = text.rsplit("/", 1)[-1].lower()
        by_stem[stem] = -1 if stem in by_stem else position
        keys.append(text)
    rows = tuple(
        tuple(_plain(v) for v in values)
        for values in frame[attributes].itertuples(index=False, name=None)
    )
    return LoadCases(columns, section.match, tuple(keys), rows, by_key, by_stem)


_CACHE: dict[tuple[Any, ...], LoadCases] = {}


def load_cases(config: Config) -> LoadCases:
    """The load cases of ``config`` (empty when no matrix is configured).

    The matrix is read once per process while the file is unchanged.

    :raises LoadMatrixError: if the matrix is missing, unreadable or inconsistent.
    """
    section = _section(config)
    if section is None or getattr(section, "path", None) is None:
        return LoadCases()
    path = config.resolve(section.path)
    try:
        stat = path.stat()
    except OSError:
        raise LoadMatrixError(f"load matrix {path} not found (key 'load_matrix.path')") from None
    cache_key = (str(path), stat.st_mtime_ns, stat.st_size, section.model_dump_json())
    cached = _CACHE.get(cache_key)
    if cached is None:
        frame = read_matrix(path, section.sheet, key_candidates(section))
        cached = build_load_cases(frame, section, str(path))
        _CACHE[cache_key] = cached
    return cached


def load_cases_or_empty(config: Config) -> LoadCases:
    """Like :func:`load_cases`, but empty when the matrix cannot be read.

    For the other tables: a broken matrix fails the ``load_matrix`` table (and is
    reported there), not every table that would carry load-case columns.
    """
    try:
        return load_cases(config)
    except LoadMatrixError:
        return LoadCases()


def _section(config: Config) -> Any:
    """The ``load_matrix`` section of ``config`` (``None`` when no plugin declares it)."""
    try:
        return config.section(SECTION)
    except (KeyError, AttributeError):
        return None
