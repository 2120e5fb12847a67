"""Built-in plugin: the HTML report ``report.html`` (section ``report``).

Written when ``html`` is in ``outputs.formats`` (to ``output_dir/<report.name>``),
and by ``ofxpost report OUTPUT_DIR`` from a finished output folder (its Parquet
tables and ``ofxpost-run.json``; nothing is recomputed). One self-contained file:
styles, script and SVG plots are inlined and a Content-Security-Policy forbids
any network request. See ``docs/report.md``.

It holds the batch header, the failed and partial files with their reasons, per
summary group each column's governing value, load case and file with its
allowable and utilisation (:mod:`ofxpost._builtin.support.report_data` says how
the governing extreme is chosen), the range-graph envelopes as plots, the
sections other plugins add through ``ofxpost_report_sections`` (the fatigue
plugin's lives) and the definitions of every column.

With ``html`` among the formats the plugin also aggregates two small tables that
let ``ofxpost report`` describe a folder without the config, as the run did: ``report_columns``
(object, variable, point, period and statistic of each value column) and
``report_graphs`` (each range graph's titles, curves and units) and
``report_batch`` (config digest, inputs, ofxpost version).
"""

from __future__ import annotations

import datetime
import json
import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import field_validator

from ofxpost._builtin.support import report_data, report_html, report_plots
from ofxpost._builtin.support.naming import plain_output_name
from ofxpost._builtin.support.pandas import pd
from ofxpost._builtin.support.selectors import Frozen
from ofxpost._core import atomic
from ofxpost._core.markers import hookimpl
from ofxpost._core.report import ReportSection
from ofxpost.errors import ConfigError

if TYPE_CHECKING:
    from ofxpost._config.model import Config
    from ofxpost._config.plan import Plan

SECTION = "report"
"""The config section."""
DEFAULT_NAME = "report.html"
"""Default file name of the report."""
FORMAT = "html"
"""The ``outputs.formats`` entry that asks for the report."""

_STARTED: dict[int, tuple[str, float]] = {}
"""Batch start (UTC text, perf counter) by ``id(config)``, for the header's times."""


class ReportSectionConfig(Frozen):
    """The ``report`` section."""

    name: str = DEFAULT_NAME
    """The report's file name, in ``output_dir`` (must end in ``.html``)."""
    title: str = "ofxpost post-processing report"
    """The report's title."""
    plots: bool = True
    """Draw the range-graph envelopes (SVG)."""

    @field_validator("name")
    @classmethod
    def _plain_name(cls, value: str) -> str:
        return plain_output_name(value, ".html")


@hookimpl
def ofxpost_add_config_sections() -> dict[str, Any]:
    """Declare the ``report`` section."""
    return {SECTION: ReportSectionConfig}


def _wanted(config: Config) -> bool:
    try:
        return FORMAT in config.section("outputs").formats
    except (KeyError, AttributeError):
        return False


@hookimpl
def ofxpost_batch_started(plan: Plan) -> None:
    """Note when the batch started (the report's header gives it)."""
    if _wanted(plan.config):
        now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        _STARTED[id(plan.config)] = (now, time.perf_counter())


@hookimpl
def ofxpost_batch_finished(result: Any) -> None:
    """Forget the batch's start time (one entry per running batch at most)."""
    if len(_STARTED) > 16:
        _STARTED.clear()


@hookimpl
def ofxpost_aggregate(
    records: Sequence[Any], config: Config, plan: Plan
) -> dict[str, pd.DataFrame]:
    """``report_columns`` and ``report_batch`` (only when the report is asked for)."""
    if not _wanted(config):
        return {}
    return {
        report_data.COLUMNS_TABLE: report_data.column_definitions(config),
        report_data.GRAPHS_TABLE: report_data.graph_settings(config),
        report_data.BATCH_TABLE: report_data.batch_facts(config, plan),
    }


def plugin_sections(
    pm: Any, tables: Mapping[str, pd.DataFrame], config: Config | None
) -> tuple[list[ReportSection], list[str]]:
    """Every plugin's ``ofxpost_report_sections``, and a line per plugin that failed."""
    from ofxpost._plugins.manager import call_each

    sections: list[ReportSection] = []
    errors: list[str] = []
    for outcome in call_each(pm.hook.ofxpost_report_sections, tables=tables, config=config):
        if outcome.error is not None:
            errors.append(f"plugin {outcome.plugin}: its report sections failed: {outcome.error}")
            continue
        for item in outcome.value or ():
            if isinstance(item, ReportSection):
                sections.append(item)
            else:
                errors.append(
                    f"plugin {outcome.plugin}: returned {type(item).__name__}, not a ReportSection"
                )
    return sections, errors


def plots(tables: Mapping[str, pd.DataFrame]) -> list[Any]:
    """``(label, svg, facts)`` per range graph of the envelope table."""
    envelope = tables.get("range_graph_envelope")
    if envelope is None or envelope.empty:
        return []
    long = tables.get("range_graph")
    facts = {item["label"]: item for item in report_data.envelope_exceedances(envelope)}
    out = []
    for plot in report_plots.graph_plots(envelope, long, tables.get(report_data.GRAPHS_TABLE)):
        found = dict(facts.get(plot.label) or {})
        found["unit"] = plot.unit
        out.append((plot.label, report_plots.svg_of(plot, envelope, long), found))
    return out


def header(tables: Mapping[str, pd.DataFrame]) -> list[tuple[str, str]]:
    """The header's deterministic facts (``report_batch``, else what the tables tell)."""
    batch = tables.get(report_data.BATCH_TABLE)
    if batch is not None and {"item", "value"} <= set(batch.columns):
        return [(str(i), str(v)) for i, v in zip(batch["item"], batch["value"], strict=True)]
    from ofxpost._version import __version__

    files = tables.get("files")
    return [
        ("input files", str(len(files)) if files is not None else "?"),
        ("report made by", f"ofxpost {__version__}"),
    ]


def render_tables(
    tables: Mapping[str, pd.DataFrame],
    *,
    title: str,
    config: Config | None,
    pm: Any,
    run_times: list[tuple[str, str]],
    partial: bool,
    with_plots: bool = True,
) -> str:
    """The report's HTML for ``tables``."""
    sections, errors = plugin_sections(pm, tables, config)
    inputs = report_html.ReportInputs(
        title=title,
        tables=tables,
        header=header(tables),
        run_times=run_times,
        partial=partial,
        plots=plots(tables) if with_plots else [],
        sections=sections,
        section_errors=errors,
    )
    return report_html.render(inputs)


@hookimpl
def ofxpost_write_outputs(
    tables: Mapping[str, pd.DataFrame], output_dir: Path, config: Config, partial: bool
) -> list[Path] | None:
    """Write ``report.html`` when ``html`` is among ``outputs.formats``."""
    if not _wanted(config):
        return None
    from ofxpost._plugins.manager import get_plugin_manager

    section: ReportSectionConfig = config.section(SECTION)
    counts = report_data.status_counts(tables.get("files"))
    code = 130 if partial else (1 if counts.get("partial") or counts.get("failed") else 0)
    run_times = [("exit status", f"{code} (as the files' outcomes give it)")]
    started = _STARTED.get(id(config))
    if started is not None:
        run_times += [
            ("started", started[0]),
            ("report written after", f"{time.perf_counter() - started[1]:.1f} s"),
        ]
    text = render_tables(
        tables,
        title=section.title,
        config=config,
        pm=get_plugin_manager(config.plugin_spec),
        run_times=run_times,
        partial=partial,
        with_plots=section.plots,
    )
    return [atomic.write_text(output_dir / section.name, text)]


# ------------------------------------------------------------------ ofxpost report


def report_folder(folder: Path, name: str = DEFAULT_NAME) -> Path:
    """Write ``folder/<name>`` from an ofxpost output folder (nothing recomputed).

    Reads ``ofxpost-run.json`` and ``parquet/*.parquet``; the header's times and
    exit status come from the manifest. The report is added to the manifest's
    ``written`` list, so that a later run may replace it.

    :raises ConfigError: when ``folder`` is not a finished ofxpost output folder.
    """
    from ofxpost._config.plugin_spec import PluginSpec
    from ofxpost._plugins.manager import get_plugin_manager

    manifest = report_data.read_manifest(folder)
    if not folder.is_dir() or manifest is None:
        raise ConfigError(f"{folder} is not an ofxpost output folder (no ofxpost-run.json)")
    if not (folder / "parquet").is_dir():
        raise ConfigError(
            f"{folder} has no parquet/ tables (run with 'parquet' in outputs.formats)"
        )
    tables = report_data.read_tables(folder)
    finished = datetime.datetime.fromtimestamp(
        (folder / "ofxpost-run.json").stat().st_mtime, datetime.UTC
    ).strftime("%Y-%m-%d %H:%M:%S UTC")
    wall = manifest.get("wall_s")
    run_times = [
        ("exit status", f"{report_data.exit_status(manifest)} (run status {manifest['status']})"),
        ("finished", finished),
        ("wall time", f"{float(wall):.1f} s" if isinstance(wall, int | float) else "unknown"),
    ]
    text = render_tables(
        tables,
        title=DEFAULT_TITLE,
        config=None,
        pm=get_plugin_manager(PluginSpec()),
        run_times=run_times,
        partial=manifest.get("status") == "partial",
    )
    path = atomic.write_text(folder / name, text)
    listed = [p for p in manifest["written"] if isinstance(p, str)]
    if name not in listed:  # keep the manifest's time: it is the run's "finished"
        stat = (folder / "ofxpost-run.json").stat()
        manifest["written"] = sorted([*listed, name])
        atomic.write_text(folder / "ofxpost-run.json", json.dumps(manifest, indent=2) + "\n")
        os.utime(folder / "ofxpost-run.json", ns=(stat.st_atime_ns, stat.st_mtime_ns))
    return path


DEFAULT_TITLE = ReportSectionConfig().title
