"""Opening result archives: the file checks before a model is made.

The Parquet magic, the footer and metadata, the data-file/folder forms of a path
and the column check; :func:`ofxpost._archive.reader.open_archive` uses them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, BinaryIO

import pyarrow as pa
import pyarrow.parquet as pq

from ofxpost._archive.format import (
    ARCHIVE_SUFFIX,
    METADATA_KEY,
    TIME_COLUMN,
    ArchiveInfo,
    parse_metadata,
    simulation_stem,
)
from ofxpost._core.printable import shown
from ofxpost._ofx import names as ofx
from ofxpost._ofx import stats
from ofxpost.errors import ArchiveError

FloatArray = stats.FloatArray
PARQUET_MAGIC = b"PAR1"


# ----------------------------------------------------------------------------- open


def _check_magic(path: Path) -> None:
    try:
        size = path.stat().st_size
    except FileNotFoundError as exc:
        raise ArchiveError(path, "no such file") from exc
    except OSError as exc:
        raise ArchiveError(path, f"cannot read the file ({exc})") from exc
    if size == 0:
        raise ArchiveError(path, "the file is empty (0 bytes)")
    if size < 12:
        raise ArchiveError(path, f"not a Parquet result archive ({size} bytes)")
    with path.open("rb") as handle:
        head = handle.read(4)
        handle.seek(-4, os.SEEK_END)
        tail = handle.read(4)
    if head != PARQUET_MAGIC:
        raise ArchiveError(path, "not a Parquet result archive (no 'PAR1' magic)")
    if tail != PARQUET_MAGIC:
        raise ArchiveError(path, "the file is truncated or still being written (no Parquet footer)")


class _OwnedParquetFile(pq.ParquetFile):  # type: ignore[misc]
    """A ParquetFile over a Python file object that ofxpost opened: closing it closes
    the file too."""

    def close(self, force: bool = False) -> None:
        super().close(force=True)


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _open_parts(path: str | os.PathLike[str] | BinaryIO) -> tuple[pq.ParquetFile, ArchiveInfo, str]:
    if isinstance(path, str | os.PathLike):
        file_path = Path(path)
        _check_magic(file_path)
        source: Any = str(file_path)
        display = shown(str(file_path))
        if not _utf8(source):
            # A POSIX name that is not UTF-8 (held as lone surrogates): Arrow takes
            # only UTF-8 paths, so the file is opened here and handed over open.
            try:
                handle = pa.PythonFile(file_path.open("rb"), mode="r")
                parquet = _OwnedParquetFile(handle, memory_map=False)
            except (pa.ArrowException, OSError, ValueError) as exc:
                raise ArchiveError(display, f"corrupt Parquet file ({exc})") from exc
            return _checked(parquet, display)
    else:
        source = path
        display = str(getattr(path, "name", "<archive stream>"))
    try:
        parquet = pq.ParquetFile(source, memory_map=False)
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise ArchiveError(display, f"corrupt Parquet file ({exc})") from exc
    return _checked(parquet, display)


def _checked(parquet: pq.ParquetFile, display: str) -> tuple[pq.ParquetFile, ArchiveInfo, str]:
    """Check an opened archive's metadata and columns (closing it when they fail)."""
    try:
        raw = (parquet.metadata.metadata or {}).get(METADATA_KEY)
        info, count = parse_metadata(display, raw)
        _check_columns(display, parquet, info, count)
    except BaseException:
        parquet.close()
        raise
    return parquet, info, display


DATA_SUFFIXES: tuple[str, ...] = (".dat", ".yml", ".yaml")
"""OrcaFlex data-file suffixes (``Model(filename)`` calls ``LoadData`` for these)."""


def _is_data_file(filename: str | os.PathLike[str]) -> bool:
    return Path(filename).suffix.lower() in DATA_SUFFIXES


def _archive_path(path: Path) -> Path:
    """``path``, or the archive exported from it when ``path`` is an OrcaFlex file."""
    if path.name.lower().endswith(ARCHIVE_SUFFIX) or path.suffix.lower() == ".parquet":
        return path
    if path.suffix.lower() == ".sim":
        exported = path.with_name(simulation_stem(path) + ARCHIVE_SUFFIX)
        if exported.is_file() and not _is_parquet(path):
            return exported
        if not path.exists():
            raise ArchiveError(path, f"no such file (and no exported archive {exported.name})")
        if not _is_parquet(path):
            raise ArchiveError(
                path,
                "an OrcaFlex simulation file, not a result archive: OrcaFlex is needed to "
                f"read it; export it with 'ofxpost export {path.name} --out DIR' where "
                f"OrcaFlex is installed (no {exported.name} beside it)",
            )
    return path


def _is_parquet(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(4) == PARQUET_MAGIC
    except OSError:
        return False


def _empty_info() -> ArchiveInfo:
    """The facts of a model with nothing loaded (state ``Reset``)."""
    return ArchiveInfo(
        state=int(ofx.ModelState.Reset),
        simulation_complete=False,
        start_time=0.0,
        stop_time=0.0,
        current_time=0.0,
        stage_durations=[],
        log_sample_interval=0.0,
    )


def _check_columns(display: str, parquet: pq.ParquetFile, info: ArchiveInfo, count: int) -> None:
    schema = parquet.schema_arrow
    names = set(schema.names)
    missing = [c for c in [TIME_COLUMN, *info.columns()] if c not in names]
    if missing:
        listed = ", ".join(repr(c) for c in missing[:5])
        raise ArchiveError(
            display, f"archive is corrupt: {len(missing)} declared columns missing ({listed})"
        )
    if schema.field(TIME_COLUMN).type != pa.float64():
        raise ArchiveError(display, "archive is corrupt: the time column is not float64")
    rows = parquet.metadata.num_rows
    if rows != count:
        raise ArchiveError(
            display, f"archive is corrupt: metadata declares {count} samples, file holds {rows}"
        )
