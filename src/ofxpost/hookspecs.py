"""Hook specifications: every hook an ofxpost plugin can implement.

Plugins implement hooks with the :data:`ofxpost.hookimpl` marker, by name::

    import ofxpost

    @ofxpost.hookimpl
    def ofxpost_extract(model, job, config):
        return {"max_tension": float(model["Riser"].TimeHistory("Effective tension").max())}

Hooks are called with keyword arguments only, and an implementation may accept any
subset of the arguments a hook offers. Each hook below says **when** it is called,
**where** (the *controller* is the process that runs the batch; a *worker* is a
process of the pool, or the controller itself with ``--in-process``), what it receives
and what it returns.

Worker hooks run in processes that rebuild the plugin set from the plan (this works
under the ``spawn`` start method, as on Windows), so a plugin must be importable: an
installed distribution with an ``ofxpost`` entry point, a module named under
``plugins:`` in the config, or the file ``ofxpost_plugins.py`` beside the config.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ofxpost._core.markers import hookspec

if TYPE_CHECKING:
    import pandas as pd
    from pydantic import BaseModel

    from ofxpost._config.model import Config
    from ofxpost._config.plan import Plan
    from ofxpost._core.fold import Fold
    from ofxpost._core.partial import Partial
    from ofxpost._core.records import ErrorKind, FileRecord, Job
    from ofxpost._core.report import ReportSection
    from ofxpost._core.result import BatchResult


# --------------------------------------------------------------------------- config


@hookspec
def ofxpost_add_config_sections() -> Mapping[str, type[BaseModel]] | None:
    """Declare the top-level config sections this plugin owns.

    **When:** once, while the config file is validated (``ofxpost run``,
    ``ofxpost validate``, :func:`ofxpost.load_config`). **Where:** controller.

    **Returns:** a mapping of section name to a pydantic model class. The section's
    YAML value is validated with that model (so a typo or wrong type in it is
    reported with the file, key path and value), and the validated instance is
    available to every other hook as ``config.section(name)``. A section that is
    absent from the YAML is built from the model's defaults. Two plugins may not
    claim the same section, nor a core key.
    """


@hookspec(firstresult=True)
def ofxpost_translate_config(
    raw: Mapping[str, Any], source: Path | None
) -> tuple[Mapping[str, Any], Sequence[str]] | None:
    """Translate a config written for another tool into ofxpost's own layout.

    **When:** once, when a config is loaded, before it is validated (``ofxpost run``,
    ``ofxpost validate``, :func:`ofxpost.load_config`). The plugins asked are those
    the config's own plugin keys name (``plugins:``, ``disable_plugins:``,
    ``ofxpost_plugins.py`` beside it). **Where:** controller.

    :param raw: the config mapping as read (do not change it).
    :param source: the config file, or ``None`` for a mapping.

    **Returns:** ``(native mapping, notices)`` -- the notices (sentences for the
    user, first one saying what was translated) go to ``Config.notices`` -- or
    ``None`` when the config is not in this translator's layout, so that the next
    one is asked (``firstresult``). Raise :class:`ofxpost.ConfigError` for a config
    in your layout that cannot be translated. The built-in
    :mod:`ofxpost._builtin.opp.plugin` translates digitalmodel's ``opp`` layout.
    """


# --------------------------------------------------------------------------- worker


@hookspec(firstresult=True)
def ofxpost_open_simulation(path: Path, job: Job, config: Config) -> Any | None:
    """Open one input file and return a model object answering the OrcFxAPI calls.

    **When:** once per file (per attempt), before any extractor. **Where:** worker.

    :param path: absolute path of the input file.
    :param job: the file's :class:`~ofxpost.Job` (index, size, attempt ...).
    :param config: the validated batch config.

    **Returns:** a model (``OrcFxAPI.Model``, an :func:`ofxpost._archive.open_archive`
    model, or anything your extractors understand), or ``None`` when this loader does
    not handle the file, so that the next loader is asked (``firstresult``). If no
    loader claims the file, it fails with kind ``file``. An exception raised here
    fails the file (kind ``file``, or ``licence`` for a licensing error), and the
    error names the loader's plugin.
    """


@hookspec
def ofxpost_extract(model: Any, job: Job, config: Config) -> Mapping[str, Any] | Partial | None:
    """Extract this plugin's partial results from one opened model.

    **When:** once per successfully opened file. **Where:** worker.

    :param model: what :func:`ofxpost_open_simulation` returned.
    :param job: the file's :class:`~ofxpost.Job`.
    :param config: the validated batch config.

    **Returns:** a mapping of result name to value, or ``None`` for nothing. Names
    must be unique across plugins (prefix them with your plugin's name): the first
    extractor to return a name keeps it (built-ins are called first, so they are never
    displaced) and a later one returning it is blamed (an ``extractor`` error against
    it, its output for the file dropped). Values must
    be storable: ``None``, ``bool``, ``int``, ``float``, ``str``, lists, dicts with
    string keys, numpy arrays and pandas DataFrames. Keep them small (statistics, not
    whole time histories) -- they are kept in the result store under ``output_dir``.
    A big per-file output is written by the extractor as an artifact
    (:func:`ofxpost._store.artifacts.artifact_path`) and only its name is returned.

    **Soft errors:** an extractor that loses only some of its items for a file
    returns :class:`ofxpost.Partial` ``(results, errors)``: ``results`` is stored as
    usual and each ``errors`` entry (item -> reason) becomes an error of kind
    ``extractor`` against this plugin, message ``<file>: <item>: <reason>``; the file
    is ``partial`` (exit code 1). Leave out items the user marked optional.

    If an implementation raises, the error is recorded against that plugin and that
    file (kind ``extractor``) and the file is marked ``partial``; every other
    extractor still runs and other files are untouched.
    """


@hookspec(firstresult=True)
def ofxpost_classify_error(exc: BaseException, stage: str) -> ErrorKind | None:
    """Classify an exception raised while a file was processed.

    **When:** whenever a loader (``stage="open"``) or an extractor
    (``stage="extract"``) raises. **Where:** worker.

    **Returns:** an :class:`~ofxpost.ErrorKind`, or ``None`` to let the next
    implementation (and finally the built-in rules: OrcFxAPI licensing status codes
    give ``licence``; a failing loader gives ``file``; a failing extractor gives
    ``extractor``) decide. A ``licence`` error is retried with backoff until
    ``licence_wait`` runs out.
    """


# ------------------------------------------------------------------------ controller


@hookspec
def ofxpost_aggregate(
    records: Sequence[FileRecord], config: Config, plan: Plan
) -> Mapping[str, pd.DataFrame] | None:
    """Turn the per-file records into tables.

    **When:** once, after every file has finished (also after a cancelled batch,
    then over the finished files only). **Where:** controller.

    :param records: one :class:`~ofxpost.FileRecord` per file, **in input order**,
        failed files included (``record.failed``). It is read lazily from the result
        store, so iterating it twice reads twice; memory stays bounded.
    :param config: the validated batch config.
    :param plan: the batch plan (all input files, budgets, worker count).

    **Returns:** a mapping of table name to ``pandas.DataFrame``, or ``None``; this is
    checked, and anything else is this aggregator's error (only its tables are lost).
    Table names must be unique across plugins (an earlier-registered plugin keeps a
    name) and portable file names (:mod:`ofxpost._core.names`). Row order must depend
    only on the input order, never on completion order.
    """


@hookspec
def ofxpost_start_fold(config: Config, plan: Plan) -> Fold | None:
    """Start an incremental aggregation: records folded in as the files finish.

    **When:** once, before the first file is dispatched, for each plugin that also
    implements :func:`ofxpost_aggregate`. **Where:** controller.

    :param config: the validated batch config.
    :param plan: the batch plan.

    **Returns:** a :class:`ofxpost.plugin.Fold` -- an object with ``add(record)``,
    called once per finished file in completion order, and ``tables()``, called
    once at the end and returning exactly what this plugin's ``ofxpost_aggregate``
    would return for the stored records -- or ``None`` for no fold. The fold is used
    instead of ``ofxpost_aggregate`` only when it saw exactly the records the store
    holds for the finished files, each once; otherwise (a resumed batch that reused
    records it never saw, a fold that raised on a record) ``ofxpost_aggregate`` is
    called as usual. Keep each file's part under ``record.index`` and order the rows
    only in ``tables()``: the tables must not depend on the completion order. The
    simplest correct ``ofxpost_aggregate`` starts a fold, adds every record and
    returns ``tables()``, so the two cannot drift apart.
    """


@hookspec
def ofxpost_write_outputs(
    tables: Mapping[str, pd.DataFrame], output_dir: Path, config: Config, partial: bool
) -> Sequence[Path] | None:
    """Write the aggregated tables to files.

    **When:** once, after aggregation. **Where:** controller.

    :param tables: every table from every aggregator, sorted by name.
    :param output_dir: an empty folder of this writer's own (it exists). ofxpost
        moves what you write there into the batch's output folder, at the same
        relative paths, once every writer has finished (one atomic rename per file,
        after checking each path; see ``docs/reliability.md``). If the writer raises,
        its files are discarded.
    :param config: the validated batch config.
    :param partial: ``True`` when the batch was cancelled and the tables cover
        only the files that finished.

    **Returns:** the paths written, or ``None``. Writers must write the same bytes
    for the same tables (fix float formatting) so that outputs are identical
    whatever the worker count or completion order.
    """


@hookspec
def ofxpost_report_sections(
    tables: Mapping[str, pd.DataFrame], config: Config | None
) -> Sequence[ReportSection] | None:
    """Contribute sections to the HTML report (``report.html``).

    **When:** once per report: by the built-in report writer after aggregation,
    when ``outputs.formats`` includes ``html`` (``config`` is the batch config),
    and by ``ofxpost report OUTPUT_DIR``, which rebuilds the report from the
    written Parquet tables (``config`` is then ``None``: read what you need from
    the tables). **Where:** controller.

    :param tables: every table of the batch, by name (in ``ofxpost report``: those
        written under ``parquet/``, with their units and allowables restored).
    :param config: the validated batch config, or ``None`` (see above).

    **Returns:** a sequence of :class:`ofxpost.plugin.ReportSection` -- a title, a
    paragraph and a table (units and allowable flags are shown as in the
    workbook) -- or ``None``. Sections are ordered by ``key`` then title. An
    implementation that raises loses only its own sections (the report says so).
    """


@hookspec
def ofxpost_batch_started(plan: Plan) -> None:
    """Observe the start of a batch.

    **When:** once, after the plan is made and before any file starts.
    **Where:** controller. **Returns:** nothing.
    """


@hookspec
def ofxpost_file_finished(record: FileRecord, plan: Plan) -> None:
    """Observe one file's outcome (success, partial or failure).

    **When:** once per file, as soon as its final record is stored (after any
    retries), in completion order. **Where:** controller. **Returns:** nothing.
    Keep it quick: it runs on the event loop.
    """


@hookspec
def ofxpost_batch_finished(result: BatchResult) -> None:
    """Observe the end of a batch.

    **When:** once, after the outputs are written (also after a cancellation,
    with ``result.cancelled`` set). **Where:** controller. **Returns:** nothing.
    """
