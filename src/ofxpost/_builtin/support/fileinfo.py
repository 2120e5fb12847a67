"""The leading columns every post-processing table carries for a file.

``file`` (the input path, relative to the config's folder when inside it),
``stem`` (its simulation name, e.g. ``case_001`` for ``case_001.sim`` or
``case_001.ofx.parquet``), the processing ``status``, and the
model facts recorded by the built-in ``model_info`` extractor: ``run_status`` (the
``ModelState`` name), ``simulation_complete``, ``start_time`` and ``stop_time``
(``simulationStopTime``, the true end of the simulation, not the current time).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, TypeVar

from ofxpost._builtin.support.pandas import pd
from ofxpost._core.printable import shown
from ofxpost._core.records import FileRecord

FACT_COLUMNS: tuple[str, ...] = ("run_status", "simulation_complete", "start_time", "stop_time")
"""Model facts, in column order."""

FLOAT_FACTS: tuple[str, ...] = ("start_time", "stop_time")

T = TypeVar("T")


def in_input_order(items: Iterable[tuple[int, T]]) -> list[T]:
    """The items of ``(file index, item)`` pairs, ordered by file index.

    The sort is stable, so one file's items keep their order. Aggregators use it
    so that their tables never depend on the order records arrive in.
    """
    return [item for _, item in sorted(items, key=lambda pair: pair[0])]


def simulation_stem(path: Path) -> str:
    """The simulation name of ``path`` (``case_001`` for ``case_001.ofx.parquet``)."""
    from ofxpost._archive.format import simulation_stem as archive_stem

    return archive_stem(path)


def facts(record: FileRecord) -> dict[str, Any]:
    """``run_status``, ``simulation_complete``, ``start_time``, ``stop_time`` of a file."""
    info = record.results.get("model_info") if not record.failed else None
    info = info if isinstance(info, dict) else {}
    return {
        "run_status": info.get("state"),
        "simulation_complete": info.get("simulation_complete"),
        "start_time": info.get("start_time"),
        "stop_time": info.get("stop_time"),
    }


def display(path: Path, base_dir: Path | None) -> str:
    """``path`` as the tables write it: relative to the config's folder when inside it
    (``/`` separators), absolute otherwise -- as the core ``files`` table does."""
    if base_dir is None:
        return shown(path.as_posix())
    from ofxpost._config.plan import display_path

    return display_path(path, base_dir)


def identity(record: FileRecord, base_dir: Path | None = None) -> dict[str, Any]:
    """``file`` (see :func:`display`) and ``stem`` of a record."""
    return {"file": display(record.path, base_dir), "stem": shown(simulation_stem(record.path))}


def fix_dtypes(frame: pd.DataFrame, float_columns: list[str] | tuple[str, ...]) -> pd.DataFrame:
    """Make ``float_columns`` float64 (``None`` → NaN) so every run writes them alike."""
    for name in float_columns:
        if name in frame.columns:
            frame[name] = pd.to_numeric(frame[name], errors="coerce").astype("float64")
    return frame


def value_columns(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Make each of ``columns`` float64 when every non-missing value is a number.

    Columns holding text (input data read with ``command: data``) stay as they are.
    """
    for name in columns:
        values = [v for v in frame[name].tolist() if v is not None and v == v]
        if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
            frame[name] = pd.to_numeric(frame[name], errors="coerce").astype("float64")
    return frame
