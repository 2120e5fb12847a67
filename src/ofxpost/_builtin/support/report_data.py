"""What the HTML report says, worked out from the config and the tables (no HTML here).

* :func:`column_definitions`: the ``report_columns`` table -- what each value
  column of the built-in features is (table, column, object, variable, point,
  period, statistic), from the config, so that ``ofxpost report`` can describe
  the columns without the config; :func:`graph_settings` and :func:`batch_facts`:
  the ``report_graphs`` and ``report_batch`` tables;
* :func:`definitions_rows`: the report's table of column definitions.

A column's governing value and utilisation is :mod:`ofxpost._builtin.support.governing`'s
job; reading an output folder back, :mod:`ofxpost._builtin.support.report_folder`'s. Their
names are importable from here too.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ofxpost._builtin.support.governing import LOWER_TAIL as LOWER_TAIL
from ofxpost._builtin.support.governing import MIN_STATISTICS as MIN_STATISTICS
from ofxpost._builtin.support.governing import Governing as Governing
from ofxpost._builtin.support.governing import column_says_min as column_says_min
from ofxpost._builtin.support.governing import envelope_exceedances as envelope_exceedances
from ofxpost._builtin.support.governing import governing as governing
from ofxpost._builtin.support.governing import load_case_columns as load_case_columns
from ofxpost._builtin.support.governing import summary_governing as summary_governing
from ofxpost._builtin.support.governing import utilisation as utilisation
from ofxpost._builtin.support.pandas import pd
from ofxpost._builtin.support.report_folder import exit_status as exit_status
from ofxpost._builtin.support.report_folder import files_with_problems as files_with_problems
from ofxpost._builtin.support.report_folder import read_manifest as read_manifest
from ofxpost._builtin.support.report_folder import read_tables as read_tables
from ofxpost._builtin.support.report_folder import restore_metadata as restore_metadata
from ofxpost._builtin.support.report_folder import status_counts as status_counts
from ofxpost._builtin.support.tableunits import column_allowables, column_units

if TYPE_CHECKING:
    from ofxpost._config.model import Config
    from ofxpost._config.plan import Plan

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


def _describe(value: object, default: str = "") -> str:
    if value is None:
        return default
    describe = getattr(value, "describe", None)
    return str(describe()) if callable(describe) else str(value)


def _sections(config: Config, name: str) -> object | None:
    try:
        section: object = config.section(name)
    except (KeyError, AttributeError):
        return None
    return section


def column_definitions(config: Config) -> pd.DataFrame:
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
            if getattr(column, "tail", None) == "lower":
                statistic = f"{statistic} {LOWER_TAIL}"
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


def graph_settings(config: Config) -> pd.DataFrame:
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


def batch_facts(config: Config, plan: Plan) -> pd.DataFrame:
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
