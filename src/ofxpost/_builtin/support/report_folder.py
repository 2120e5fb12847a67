"""An output folder read back for ``ofxpost report``: its tables (``parquet/``) with
their units and allowables restored, its manifest, and what they say about the run."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ofxpost._builtin.support.pandas import pd
from ofxpost._builtin.support.tableunits import ALLOWABLE_ATTR, UNITS_ATTR


def restore_metadata(frame: pd.DataFrame, schema: Any) -> pd.DataFrame:
    """Put the ``unit``/``allowable_*`` field metadata of a Parquet schema back in ``attrs``."""
    units: dict[str, str] = {}
    limits: dict[str, dict[str, float]] = {}
    for item in schema:
        metadata = item.metadata or {}
        if b"unit" in metadata:
            units[item.name] = metadata[b"unit"].decode("utf-8")
        for key in ("max", "min"):
            raw = metadata.get(f"allowable_{key}".encode())
            if raw is not None:
                limits.setdefault(item.name, {})[key] = float(raw.decode("ascii"))
    if units:
        frame.attrs[UNITS_ATTR] = units
    if limits:
        frame.attrs[ALLOWABLE_ATTR] = limits
    return frame


def read_tables(folder: Path) -> dict[str, pd.DataFrame]:
    """Every ``parquet/<name>.parquet`` table of an output folder, by name (sorted)."""
    import pyarrow.parquet as pq

    tables: dict[str, pd.DataFrame] = {}
    for path in sorted((folder / "parquet").glob("*.parquet")):
        arrow = pq.read_table(path)
        tables[path.stem] = restore_metadata(arrow.to_pandas(), arrow.schema)
    return tables


def read_manifest(folder: Path) -> dict[str, Any] | None:
    """The folder's ``ofxpost-run.json``, its fields validated as a run's own are
    (:func:`ofxpost._store.manifest.read_checked`: a bad field is left out), or ``None``
    when absent, unreadable or not a manifest."""
    from ofxpost._store.manifest import read_manifest as read_checked_manifest

    data = read_checked_manifest(folder)
    if data is None or "status" not in data or "written" not in data:
        return None
    return data


def exit_status(manifest: Mapping[str, Any]) -> int:
    """The run's exit status as the CLI gave it, from its manifest."""
    if manifest.get("status") == "partial":
        return 130
    problems = int(manifest.get("failed") or 0) + int(manifest.get("partial") or 0)
    return 1 if problems or manifest.get("output_errors") else 0


def status_counts(files: pd.DataFrame | None) -> dict[str, int]:
    """``{status: count}`` of the ``files`` table (ok, partial, failed)."""
    if files is None or "status" not in files.columns:
        return {}
    statuses = [str(s) for s in files["status"].tolist()]
    return {s: statuses.count(s) for s in ("ok", "partial", "failed")}


def files_with_problems(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Failed and partial files with every reason, failed first, in input order."""
    failures = tables.get("failures")
    files = tables.get("files")
    columns = ["file", "status", "kind", "plugin", "reason"]
    rows: list[list[Any]] = []
    status: dict[str, str] = {}
    if files is not None and {"file", "status"} <= set(files.columns):
        status = {str(f): str(s) for f, s in zip(files["file"], files["status"], strict=True)}
    if failures is not None and not failures.empty:
        for row in failures.itertuples(index=False):
            name = str(row.file)
            rows.append([name, status.get(name, ""), row.kind, row.plugin, row.message])
    frame = pd.DataFrame(rows, columns=columns)
    order = {"failed": 0, "partial": 1}
    frame["_order"] = [order.get(s, 2) for s in frame["status"]]
    frame = frame.sort_values("_order", kind="stable").drop(columns="_order")
    return frame.reset_index(drop=True)
