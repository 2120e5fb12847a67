"""Units and allowables of table columns, as the writers render them.

Features record table metadata in ``DataFrame.attrs`` (the contract every writer
reads):

* ``df.attrs["ofxpost.units"]``: ``{column: unit}``, e.g. ``{"max_tension": "kN"}``;
* ``df.attrs["ofxpost.allowable"]``: ``{column: {"max": v, "min": v}}`` (either key).

How each format carries a column's unit (``outputs.units``, default ``header``):

* CSV, ``header``: the header cell is ``<column> [<unit>]`` (``max_tension [kN]``),
  so the file keeps one header line and stays machine-readable; columns without
  a unit keep their plain name. ``row``: a second line holds the units under the
  header (empty where none; the line is there in every table, so a reader can
  always skip it). ``none``: plain names only.
* Parquet: the column name is the plain name and the field metadata holds
  ``unit`` (and ``allowable_max``/``allowable_min``), whatever ``outputs.units`` says.
* XLSX: a units row under the header (see :mod:`ofxpost._builtin.excel`).
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping
from typing import IO, Any, Literal

from ofxpost._builtin.support.pandas import pd
from ofxpost._core.tableattrs import PROBLEMS_ATTR as PROBLEMS_ATTR
from ofxpost._core.tableattrs import WARNINGS_ATTR as WARNINGS_ATTR

UNITS_ATTR = "ofxpost.units"
"""``DataFrame.attrs`` key of the column units."""
ALLOWABLE_ATTR = "ofxpost.allowable"
"""``DataFrame.attrs`` key of the column allowables."""

UnitsMode = Literal["header", "row", "none"]
UNITS_MODES: tuple[str, ...] = ("header", "row", "none")


def column_units(frame: pd.DataFrame) -> dict[str, str]:
    """``{column: unit}`` for the columns of ``frame`` that have a non-empty unit."""
    raw = frame.attrs.get(UNITS_ATTR) or {}
    if not isinstance(raw, Mapping):
        return {}
    columns = {str(c) for c in frame.columns}
    return {str(k): str(v) for k, v in raw.items() if str(k) in columns and v not in (None, "")}


def column_allowables(frame: pd.DataFrame) -> dict[str, dict[str, float]]:
    """``{column: {"max": v, "min": v}}`` for the columns of ``frame`` with limits."""
    raw = frame.attrs.get(ALLOWABLE_ATTR) or {}
    if not isinstance(raw, Mapping):
        return {}
    columns = {str(c) for c in frame.columns}
    out: dict[str, dict[str, float]] = {}
    for name, limits in raw.items():
        if str(name) not in columns or not isinstance(limits, Mapping):
            continue
        chosen = {
            key: float(limits[key])
            for key in ("max", "min")
            if limits.get(key) is not None and math.isfinite(float(limits[key]))
        }
        if chosen:
            out[str(name)] = chosen
    return out


def header_with_unit(column: str, unit: str | None) -> str:
    """``max_tension [kN]`` (the plain name when there is no unit)."""
    return f"{column} [{unit}]" if unit else column


CSV_CHUNK_ROWS = 1000
"""Rows pandas formats at a time when writing CSV: without it a 10,000-row table is
formatted whole into an array of strings first (~5 MiB at the controller's peak)."""


def write_csv_text(
    out: IO[str], frame: pd.DataFrame, digits: int, units: UnitsMode = "header"
) -> None:
    """Write ``frame`` to ``out`` as CSV, floats with ``digits`` significant digits
    (``%.<digits>g``: a small value keeps its digits, it is never rounded to zero) and
    its units rendered; :data:`CSV_CHUNK_ROWS` rows at a time."""
    found = column_units(frame)
    names = [str(c) for c in frame.columns]
    options: dict[str, Any] = {
        "index": False,
        "float_format": f"%.{digits}g",
        "lineterminator": "\n",
        "chunksize": CSV_CHUNK_ROWS,
    }
    if units == "header" and found:
        header = [header_with_unit(name, found.get(name)) for name in names]
        frame.to_csv(out, header=header, **options)
    elif units == "row":  # always a units line, so readers can skip line 2 blindly
        pd.DataFrame([[found.get(n, "") for n in names]], columns=names).to_csv(
            out, index=False, lineterminator="\n"
        )
        frame.to_csv(out, header=False, **options)
    else:
        frame.to_csv(out, **options)


def csv_text(frame: pd.DataFrame, digits: int, units: UnitsMode = "header") -> str:
    """:func:`write_csv_text` into a string."""
    buffer = io.StringIO()
    write_csv_text(buffer, frame, digits, units)
    return buffer.getvalue()


def arrow_table(frame: pd.DataFrame) -> Any:
    """``frame`` as a ``pyarrow.Table`` whose fields carry ``unit`` (and
    ``allowable_max``/``allowable_min``) metadata."""
    import pyarrow as pa

    table = pa.Table.from_pandas(frame, preserve_index=False)
    found = column_units(frame)
    limits = column_allowables(frame)
    if not found and not limits:
        return table
    fields = []
    for field in table.schema:
        metadata: dict[bytes, bytes] = dict(field.metadata or {})
        if field.name in found:
            metadata[b"unit"] = found[field.name].encode("utf-8")
        for key, value in limits.get(field.name, {}).items():
            metadata[f"allowable_{key}".encode()] = repr(value).encode("ascii")
        fields.append(field.with_metadata(metadata) if metadata else field)
    return pa.Table.from_arrays(table.columns, schema=pa.schema(fields, table.schema.metadata))


def add_problem(frame: pd.DataFrame, message: str) -> None:
    """Say that a value of an aggregated table could not be computed.

    The table is still written (with the value empty); the controller reports each
    problem as an ``output_failed`` of the aggregator naming the table, so that the
    batch exits 1: exit 0 promises complete tables. Use :func:`add_warning` for what
    a reader should know but that leaves no value missing.
    """
    frame.attrs[PROBLEMS_ATTR] = [*list(frame.attrs.get(PROBLEMS_ATTR) or ()), str(message)]
