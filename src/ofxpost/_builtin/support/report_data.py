"""What the HTML report says, worked out from the tables (no HTML here).

* :func:`column_definitions`: the ``report_columns`` table -- what each value
  column of the built-in features is (table, column, object, variable, point,
  period, statistic), from the config, so that ``ofxpost report`` can describe
  the columns without the config.
* :func:`governing`: a column's governing value, file and load case, and its
  utilisation against the allowables.
* :func:`read_folder`: the tables of an output folder (``parquet/``) with their
  units and allowables restored, and its manifest.

**Which extreme governs.** A column with only a ``max`` allowable is governed by
its largest value, with only a ``min`` allowable by its smallest. With both, the
side with the larger utilisation governs (a side past its allowable always wins).
With neither, the statistic decides: ``min``, ``time_of_min`` and
``arc_length_of_min`` columns are governed by their smallest value, every other
column by its largest. (Read back by ``ofxpost report`` from a folder without
``report_columns``, a column whose name has the word ``min`` counts as a min
statistic.) Ties go to the first file in input order.

**Utilisation.** Against a ``max`` allowable: ``value / allowable``. Against a
``min`` allowable: ``allowable / value`` when both are positive (1 or more: at or
below the limit); otherwise there is no ratio, and the value is flagged when it
is below the allowable. A utilisation of 1 or more is flagged.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ofxpost._builtin.support.pandas import pd
from ofxpost._builtin.support.tableunits import (
    ALLOWABLE_ATTR,
    UNITS_ATTR,
    column_allowables,
    column_units,
)

COLUMNS_TABLE = "report_columns"
"""Table describing every value column of the built-in features."""
GRAPHS_TABLE = "report_graphs"
"""Table of each range graph's plot settings (title, axis titles, curves, units)."""
BATCH_TABLE = "report_batch"
"""Table of the batch's deterministic facts (config digest, inputs, version ...)."""
DEFINITION_COLUMNS: list[str] = [
    "table",
    "column",
    "object",
    "variable",
    "point",
    "period",
    "statistic",
    "description",
]
MIN_STATISTICS: frozenset[str] = frozenset({"min", "time_of_min", "arc_length_of_min"})
"""Statistics whose smallest value governs when a column has no allowable."""


def _describe(value: Any, default: str = "") -> str:
    if value is None:
        return default
    describe = getattr(value, "describe", None)
    return str(describe()) if callable(describe) else str(value)


def _sections(config: Any, name: str) -> Any:
    try:
        return config.section(name)
    except (KeyError, AttributeError):
        return None


def column_definitions(config: Any) -> pd.DataFrame:
    """The ``report_columns`` table: one row per value column of the built-in features."""
    rows: list[list[str]] = []
    summary = _sections(config, "summary")
    for group in getattr(summary, "groups", None) or []:
        for column in group.columns:
            statistic = column.statistic or (
                "static value" if column.command == "static_result" else "input data"
            )
            if column.command == "range_graph":
                statistic = f"{statistic} of the {column.chosen_curve} range-graph curve"
            point = _describe(column.object_extra)
            if column.arclength_range is not None:
                point = f"{point} {column.arclength_range.describe()}".strip()
            if column.command == "data" and column.index not in (None, -1):
                point = f"index {column.index}"
            period = (
                ""
                if column.command in ("static_result", "data")
                else _describe(column.period, "whole_simulation")
            )
            rows.append(
                [
                    f"summary_{group.name}",
                    column.name,
                    column.object,
                    column.variable,
                    point,
                    period,
                    statistic,
                    column.command,
                ]
            )
    linked = _sections(config, "linked_statistics")
    for column in getattr(linked, "columns", None) or []:
        linked_names = ", ".join(column.linked_variables)
        rows.append(
            [
                "linked_statistics",
                column.name,
                column.object,
                f"{column.variable} (linked: {linked_names})",
                _describe(column.object_extra),
                _describe(column.period, "whole_simulation"),
                "max and min, and the linked values then",
                "linked statistics",
            ]
        )
    graphs = _sections(config, "range_graph")
    for entry in getattr(graphs, "graphs", None) or []:
        point = _describe(entry.arclength_range, "whole line")
        period = _describe(entry.period, "whole_simulation")
        for column, text in (("max", "largest Max over the files"), ("min", "smallest Min")):
            rows.append(
                [
                    "range_graph_envelope",
                    f"{entry.name}: {column}",
                    entry.object,
                    entry.variable,
                    point,
                    period,
                    f"{text} at each arc length",
                    "range graph envelope",
                ]
            )
    return pd.DataFrame(rows, columns=DEFINITION_COLUMNS)


GRAPH_COLUMNS: list[str] = ["label", "title", "x_label", "y_label", "curves", "units", "markers"]


def graph_settings(config: Any) -> pd.DataFrame:
    """The ``report_graphs`` table: how each range graph is plotted (``curves``:
    the requested curves, space-separated; ``markers``: a JSON object of named arc
    lengths)."""
    graphs = _sections(config, "range_graph")
    rows = [
        [
            entry.name,
            entry.title or entry.name,
            entry.x_label,
            entry.axis_title,
            " ".join(entry.statistics),
            entry.units or "",
            json.dumps(dict(sorted(entry.markers.items(), key=lambda m: (m[1], m[0])))),
        ]
        for entry in getattr(graphs, "graphs", None) or []
    ]
    return pd.DataFrame(rows, columns=GRAPH_COLUMNS)


def batch_facts(config: Any, plan: Any) -> pd.DataFrame:
    """The ``report_batch`` table: ``item, value`` rows that do not change run to run."""
    from ofxpost._version import __version__

    rows: list[tuple[str, str]] = [
        ("config digest", str(config.result_hash())),
        ("config file", config.source.name if config.source is not None else "(mapping)"),
        ("inputs", "; ".join(str(i) for i in config.inputs)),
        ("input files", str(len(plan.jobs))),
        ("ofxpost version", __version__),
    ]
    return pd.DataFrame(rows, columns=["item", "value"])


@dataclass(frozen=True)
class Governing:
    """A column's governing value and where it comes from."""

    table: str
    column: str
    unit: str
    side: str
    """``max`` or ``min``: which extreme governs."""
    value: float | None
    file: str | None
    stem: str | None
    load_case: dict[str, Any] = field(default_factory=dict)
    allowable: float | None = None
    utilisation: float | None = None
    exceeded: bool = False
    """Past its allowable (utilisation >= 1, or below a ``min`` allowable)."""
    files: int = 0
    """Files with a value."""
    reason: str = ""
    """Why this side governs."""

    @property
    def flagged(self) -> bool:
        """Whether the report flags it."""
        return self.exceeded or (self.utilisation is not None and self.utilisation >= 1.0)


def utilisation(value: float, side: str, allowable: float) -> float | None:
    """The utilisation of ``value`` against a ``side`` (max/min) allowable (module doc)."""
    if side == "max":
        return value / allowable if allowable != 0 else None
    if value > 0 and allowable > 0:
        return allowable / value
    return None


def _side_of(
    values: np.ndarray[Any, Any], limits: Mapping[str, float], statistic: str, column: str = ""
) -> tuple[str, str]:
    high, low = limits.get("max"), limits.get("min")
    if high is not None and low is None:
        return "max", "max allowable"
    if low is not None and high is None:
        return "min", "min allowable"
    if high is not None and low is not None:
        top, bottom = float(np.nanmax(values)), float(np.nanmin(values))
        u_top = utilisation(top, "max", high)
        u_bottom = utilisation(bottom, "min", low)
        over_bottom = bottom < low
        score_top = math.inf if top > high else (u_top if u_top is not None else -math.inf)
        score_bottom = (
            math.inf if over_bottom else (u_bottom if u_bottom is not None else -math.inf)
        )
        if score_bottom > score_top:
            return "min", "max and min allowables: min has the larger utilisation"
        return "max", "max and min allowables: max has the larger utilisation"
    if statistic.split(" ")[0] in MIN_STATISTICS:
        return "min", f"no allowable; statistic {statistic.split(' ')[0]}"
    if not statistic and column_says_min(column):
        return "min", "no allowable; the column's name says min"
    return "max", "no allowable"


def column_says_min(column: str) -> bool:
    """Whether a column's name has a word ``min`` (``min_tension``, ``Riser min``):
    the rule when no ``report_columns`` table says its statistic."""
    return "min" in column.lower().replace("-", "_").replace(" ", "_").split("_")


def load_case_columns(frame: pd.DataFrame) -> list[str]:
    """The load-case columns of a per-file table: those between ``stem`` and ``status``."""
    names = [str(c) for c in frame.columns]
    if "stem" not in names or "status" not in names:
        return []
    first, last = names.index("stem"), names.index("status")
    return names[first + 1 : last] if last > first else []


def governing(
    table: str, frame: pd.DataFrame, column: str, statistic: str = ""
) -> Governing | None:
    """The governing value of ``frame[column]`` (``None``: not a numeric column)."""
    series = frame[column]
    if pd.api.types.is_bool_dtype(series) or not pd.api.types.is_numeric_dtype(series):
        return None
    values = series.to_numpy(dtype=float)
    unit = column_units(frame).get(column, "")
    limits = column_allowables(frame).get(column, {})
    finite = np.isfinite(values)
    if not finite.any():
        return Governing(table, column, unit, "max", None, None, None, reason="no values")
    masked = np.where(finite, values, np.nan)
    side, reason = _side_of(masked, limits, statistic, column)
    at = int(np.nanargmax(masked)) if side == "max" else int(np.nanargmin(masked))
    value = float(values[at])
    row = frame.iloc[at]
    cases = {c: _plain(row[c]) for c in load_case_columns(frame)}
    allowable = limits.get(side)
    ratio = utilisation(value, side, allowable) if allowable is not None else None
    exceeded = allowable is not None and (
        (side == "max" and value > allowable) or (side == "min" and value < allowable)
    )
    return Governing(
        table=table,
        column=column,
        unit=unit,
        side=side,
        value=value,
        file=_text(row.get("file")),
        stem=_text(row.get("stem")),
        load_case=cases,
        allowable=allowable,
        utilisation=ratio,
        exceeded=bool(exceeded or (ratio is not None and ratio >= 1.0)),
        files=int(finite.sum()),
        reason=reason,
    )


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _text(value: Any) -> str | None:
    value = _plain(value)
    return None if value is None or value is pd.NA else str(value)


def summary_governing(
    tables: Mapping[str, pd.DataFrame], definitions: pd.DataFrame | None
) -> dict[str, list[Governing]]:
    """``{summary table: [Governing per value column]}`` in table and column order."""
    statistics: dict[tuple[str, str], str] = {}
    labels: dict[str, list[str]] = {}
    if definitions is not None and not definitions.empty:
        for row in definitions.itertuples(index=False):
            statistics[(str(row.table), str(row.column))] = str(row.statistic)
            labels.setdefault(str(row.table), []).append(str(row.column))
    out: dict[str, list[Governing]] = {}
    for name in sorted(tables):
        if not name.startswith("summary_") or name.endswith(("_statistics", "_errors")):
            continue
        frame = tables[name]
        columns = labels.get(name) or _value_columns(frame)
        found = []
        for column in columns:
            if column not in frame.columns:
                continue
            result = governing(name, frame, column, statistics.get((name, column), ""))
            if result is not None:
                found.append(result)
        out[name] = found
    return out


def _value_columns(frame: pd.DataFrame) -> list[str]:
    """Value columns of a summary table read back without its definitions."""
    from ofxpost._builtin.support.fileinfo import FACT_COLUMNS

    lead = {"file", "stem", "status", *FACT_COLUMNS, *load_case_columns(frame)}
    return [str(c) for c in frame.columns if str(c) not in lead and not str(c).endswith(" exceeds")]


# ------------------------------------------------------------------ output folder


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
    """The folder's ``ofxpost-run.json`` (``None``: absent, unreadable or not a manifest)."""
    try:
        data = json.loads((folder / "ofxpost-run.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or "status" not in data or "written" not in data:
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


def envelope_exceedances(envelope: pd.DataFrame | None) -> list[dict[str, Any]]:
    """Per range graph: points over the allowable, the peak and its governing file."""
    if envelope is None or envelope.empty:
        return []
    out: list[dict[str, Any]] = []
    for label, part in envelope.groupby("label", sort=False):
        top = part["max"].to_numpy(dtype=float)
        allowable = part["allowable"].iloc[0] if "allowable" in part else None
        allowable = _plain(allowable)
        if not np.isfinite(top).any():
            continue
        at = int(np.nanargmax(top))
        over = int(np.sum(top > allowable)) if allowable is not None else 0
        out.append(
            {
                "label": str(label),
                "peak": float(top[at]),
                "x": float(part["x"].iloc[at]),
                "stem": _text(part["max_stem"].iloc[at]),
                "allowable": allowable,
                "utilisation": float(top[at]) / allowable if allowable else None,
                "points": len(part),
                "over": over,
            }
        )
    return out


def definitions_rows(
    tables: Mapping[str, pd.DataFrame], definitions: pd.DataFrame | None, names: Sequence[str]
) -> pd.DataFrame:
    """The value columns of the tables ``names``: what each is, its unit and allowables.

    A column of a built-in table is listed when ``definitions`` describes it or it
    has a unit or an allowable (the shared ``file``, ``stem``, ``status`` ... are
    explained once, in the report's text); every column of a plugin's table is.
    """
    described: dict[tuple[str, str], list[str]] = {}
    if definitions is not None:
        for row in definitions.itertuples(index=False):
            described[(str(row.table), str(row.column))] = [
                str(row.object),
                str(row.variable),
                str(row.point),
                str(row.period),
                str(row.statistic),
            ]
    rows: list[list[Any]] = []
    builtin = (
        "summary_",
        "linked_",
        "range_graph",
        "load_matrix",
        "files",
        "failures",
        "run_log",
        "weighted_",
    )
    for name in names:
        frame = tables[name]
        plugin = not name.startswith(builtin)
        units = column_units(frame)
        limits = column_allowables(frame)
        for column in [str(c) for c in frame.columns]:
            what = described.get((name, column))
            limit = limits.get(column, {})
            if what is None and not limit and column not in units and not plugin:
                continue  # a shared column (file, stem, status ...): the text names them
            what = what or ["", "", "", "", ""]
            rows.append(
                [
                    name,
                    column,
                    *what,
                    units.get(column, ""),
                    limit.get("max"),
                    limit.get("min"),
                ]
            )
        if name == "range_graph_envelope":  # the graphs' own rows
            rows += [
                [name, key[1], *value, "", None, None]
                for key, value in described.items()
                if key[0] == name
            ]
    return pd.DataFrame(
        rows,
        columns=[
            "table",
            "column",
            "object",
            "variable",
            "point",
            "period",
            "statistic",
            "unit",
            "allowable max",
            "allowable min",
        ],
    )
