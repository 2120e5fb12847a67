"""Built-in plugin: the load matrix (section ``load_matrix``).

A load matrix is a CSV or XLSX table of load cases (Hs, Tp, heading, probability
...), one row per simulation. Each input file is matched to a row by its stem (the
``file`` column of ``ofxpost synth``'s ``load_matrix.csv``) or by a glob pattern
column (ambiguity, a row for two files or two rows for one file, is a config
error at plan time). The ``load_matrix`` table has one row per input file, in input order: its
load-case attributes, whether a row matched, the model facts, and the processing
status and first error. It holds nothing that varies from run to run (durations
and worker pids are in the core ``run_log`` table), so it is byte-identical
whatever the worker count.

Other plugins add the load-case columns to their own rows with
:func:`load_cases_or_empty` and :meth:`LoadCases.for_path`.

Mismatches are reported, never silent: a matrix row that no input file matches,
or an input file that matches no row, is a row of the ``load_matrix_mismatches``
table and a ``warning`` event (through the table's ``ofxpost.warnings``
attribute). When the matrix has a ``probability`` column,
:func:`weighted_statistics` (``support/weighted.py``) gives the probability-weighted across-file
statistics of the summary tables, written as ``weighted_statistics.csv`` /
``parquet/weighted_statistics.parquet`` and the workbook's ``weighted_statistics``
sheet.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, field_validator, model_validator

from ofxpost._builtin.support import fileinfo
from ofxpost._builtin.support.loadcases import (
    SECTION,
    LoadCases,
    check_unambiguous,
    load_cases,
)
from ofxpost._builtin.support.pandas import pd
from ofxpost._builtin.support.selectors import Frozen
from ofxpost._builtin.support.tableunits import UNITS_ATTR, WARNINGS_ATTR, add_problem
from ofxpost._builtin.support.weighted import (
    WEIGHTED_TABLE,
    check_probabilities,
    probability_column,
)
from ofxpost._builtin.support.weighted import weighted_statistics as weighted_statistics
from ofxpost._builtin.support.weighted import weighted_table as weighted_table
from ofxpost._core.markers import hookimpl
from ofxpost._core.printable import shown
from ofxpost._core.records import FileRecord
from ofxpost.errors import LoadMatrixError

if TYPE_CHECKING:
    from ofxpost._config.model import Config
    from ofxpost._config.plan import Plan


class LoadMatrixSection(Frozen):
    """The ``load_matrix`` section.

    Short form: ``load_matrix: sims/load_matrix.csv``.
    """

    path: str | None = None
    """CSV or XLSX file of load cases, relative to the config file."""
    match: Literal["stem", "pattern"] = "stem"
    """``stem``: the key column holds simulation names (``case_001`` or
    ``case_001.sim``); ``pattern``: it holds glob patterns (``*_Hs2.5_*``) matched
    against each file's name and stem. In either mode a row that two input files
    match, or a file that two rows match, is refused by :meth:`check_inputs`."""
    key: str | None = None
    """The key column (default: the first of ``file``, ``fe_filename``, ``stem``,
    ``file_name``, ``filename`` -- or ``pattern`` first with ``match: pattern``)."""
    sheet: str | int = 0
    """XLSX only: the sheet name or 0-based position."""
    enabled: bool | None = None
    """Write the ``load_matrix`` table (default: when ``path`` is given). ``true``
    without a path gives the table of files, model facts and statuses alone."""
    probability_units: Literal["fraction", "percent"] = "fraction"
    """Unit of the probability column: ``fraction`` (the rows sum to 1) or
    ``percent`` (to 100; every table that uses them divides by 100)."""
    probability_tolerance: float = Field(default=1e-3, gt=0, lt=0.5)
    """How far the probabilities (as fractions) may sum from 1."""

    @model_validator(mode="before")
    @classmethod
    def _short_form(cls, value: Any) -> Any:
        if isinstance(value, str):
            return {"path": value}
        return value

    @field_validator("path")
    @classmethod
    def _suffix(cls, value: str | None) -> str | None:
        if value is not None and Path(value).suffix.lower() not in (".csv", ".xlsx", ".xlsm"):
            raise ValueError("the load matrix must be a .csv or .xlsx file")
        return value

    def check_inputs(self, config: Config, paths: Sequence[Path]) -> None:
        """Plan-time check: no matrix row may match two input files, and no input
        file two rows (every ``match`` mode).

        :raises LoadMatrixError: naming the row and both files (a config error, exit 2).
        """
        if self.path is None:
            return
        try:
            cases = load_cases(config)
        except LoadMatrixError:
            return  # a missing or unreadable matrix is reported by the table itself
        where = str(config.resolve(self.path))
        check_unambiguous(cases, paths, where)
        check_probabilities(cases, self.probability_units, self.probability_tolerance, where)

    @property
    def active(self) -> bool:
        """Whether the ``load_matrix`` table is written."""
        return self.enabled if self.enabled is not None else self.path is not None


def _section(config: Config) -> LoadMatrixSection | None:
    try:
        section = config.section(SECTION)
    except KeyError:
        return None
    return section if isinstance(section, LoadMatrixSection) else None


@hookimpl
def ofxpost_add_config_sections() -> dict[str, Any]:
    """Declare the ``load_matrix`` section."""
    return {SECTION: LoadMatrixSection}


def _file_row(job: Any, cases: LoadCases, base_dir: Path | None) -> dict[str, Any]:
    """The cells of ``job``'s row that do not depend on its record."""
    row: dict[str, Any] = {
        "index": job.index,
        "file": fileinfo.display(job.path, base_dir),
        "stem": shown(fileinfo.simulation_stem(job.path)),
    }
    if cases.present:
        row.update(cases.for_path(job.path))
        row["matched"] = cases.row_for(job.path) is not None
    return row


def _record_cells(record: FileRecord | None) -> dict[str, Any]:
    """The cells of a row that come from the file's record (``not_run`` without one)."""
    if record is None:
        row: dict[str, Any] = dict.fromkeys(fileinfo.FACT_COLUMNS)
        row.update({"status": "not_run", "error_kind": None, "error_message": None})
        return row
    row = dict(fileinfo.facts(record))
    error = record.error
    row["status"] = str(record.status)
    row["error_kind"] = str(error.kind) if error else None
    row["error_message"] = error.message if error else None
    return row


class MatrixFold:
    """The ``load_matrix`` table, folded record by record (see :mod:`ofxpost._finish.folding`).

    A file's row is made when its record arrives; the end adds a ``not_run`` row
    for each file without one.
    """

    def __init__(self, cases: LoadCases, jobs: Sequence[Any], base_dir: Path | None) -> None:
        self.cases = cases
        self.jobs = sorted(jobs, key=lambda j: j.index)
        self.base_dir = base_dir
        self._by_index = {job.index: job for job in self.jobs}
        self._rows: dict[int, dict[str, Any]] = {}

    def add(self, record: FileRecord) -> None:
        """Take one file's record: its row."""
        job = self._by_index.get(record.index)
        if job is not None:
            row = _file_row(job, self.cases, self.base_dir)
            row.update(_record_cells(record))
            self._rows[record.index] = row

    def table(self) -> pd.DataFrame:
        """The ``load_matrix`` table: one row per input file, in input order."""
        cases = self.cases
        rows: list[dict[str, Any]] = []
        for job in self.jobs:
            row = self._rows.get(job.index)
            if row is None:
                row = _file_row(job, cases, self.base_dir)
                row.update(_record_cells(None))
            rows.append(row)
        columns = ["index", "file", "stem"]
        if cases.present:
            columns += [*cases.columns, "matched"]
        columns += [*fileinfo.FACT_COLUMNS, "status", "error_kind", "error_message"]
        frame = fileinfo.fix_dtypes(pd.DataFrame(rows, columns=columns), fileinfo.FLOAT_FACTS)
        frame.attrs[UNITS_ATTR] = {"start_time": "s", "stop_time": "s"}
        return frame

    def tables(self) -> dict[str, pd.DataFrame]:
        """``load_matrix`` and, when a matrix file is given, ``load_matrix_mismatches``."""
        tables = {SECTION: self.table()}
        if self.cases.present:
            tables[MISMATCH_TABLE] = found = mismatches(self.cases, self.jobs, self.base_dir)
            column = probability_column(self.cases.columns)
            orphans = found[found["kind"] == FILE_WITHOUT_ROW]
            if column is not None and not orphans.empty:
                # a probability-weighted number would silently leave these files out
                add_problem(
                    found,
                    f"{len(orphans)} input files match no load-matrix row "
                    f"({_first_few(orphans['file'].tolist())}): "
                    f"they have no {column!r}, so the probability-weighted statistics "
                    f"leave them out (table {MISMATCH_TABLE}; fix the matrix's keys or "
                    "the file names)",
                )
        return tables


def load_matrix_table(
    records: Sequence[FileRecord],
    cases: LoadCases,
    jobs: Sequence[Any],
    base_dir: Path | None = None,
) -> pd.DataFrame:
    """The ``load_matrix`` table: one row per input file, in input order.

    Files without a record (a cancelled batch) get status ``not_run``.
    """
    fold = MatrixFold(cases, jobs, base_dir)
    for record in records:
        fold.add(record)
    return fold.table()


MISMATCH_TABLE = "load_matrix_mismatches"
"""Table of matrix rows without a file and files without a row."""
MISMATCH_COLUMNS: list[str] = ["kind", "key", "matrix_row", "file"]
ROW_WITHOUT_FILE = "row without file"
FILE_WITHOUT_ROW = "file without row"


def _first_few(names: Sequence[Any], shown_at_most: int = 5) -> str:
    """The first ``shown_at_most`` of ``names``, and how many more there are."""
    listed = ", ".join(str(name) for name in names[:shown_at_most])
    more = len(names) - shown_at_most
    return f"{listed} and {more} more" if more > 0 else listed


def mismatches(cases: LoadCases, jobs: Sequence[Any], base_dir: Path | None = None) -> pd.DataFrame:
    """Matrix rows no input file matches, then input files no row matches.

    ``matrix_row`` is the row's line in the matrix file (the header is line 1).
    The table's ``ofxpost.warnings`` attribute holds one warning per mismatch
    kind, naming the first few.
    """
    ordered = sorted(jobs, key=lambda j: j.index)
    used: set[int] = set()
    orphans: list[dict[str, Any]] = []
    for job in ordered:
        position = cases.row_for(job.path)
        if position is None:
            orphans.append(
                {
                    "kind": FILE_WITHOUT_ROW,
                    "key": shown(fileinfo.simulation_stem(job.path)),
                    "matrix_row": None,
                    "file": fileinfo.display(job.path, base_dir),
                }
            )
        else:
            used.add(position)
    rows = [
        {"kind": ROW_WITHOUT_FILE, "key": key, "matrix_row": position + 2, "file": None}
        for position, key in enumerate(cases.keys)
        if position not in used
    ]
    frame = pd.DataFrame([*rows, *orphans], columns=MISMATCH_COLUMNS)
    frame["matrix_row"] = frame["matrix_row"].astype("Int64")
    warnings: list[str] = []
    for kind, found in ((ROW_WITHOUT_FILE, rows), (FILE_WITHOUT_ROW, orphans)):
        if found:
            what = (
                "load-matrix rows match no input file"
                if kind == ROW_WITHOUT_FILE
                else "input files match no load-matrix row"
            )
            named = _first_few([r["key"] for r in found])
            warnings.append(f"{len(found)} {what}: {named} (table {MISMATCH_TABLE})")
    frame.attrs[WARNINGS_ATTR] = warnings
    return frame




@hookimpl
def ofxpost_write_outputs(
    tables: Mapping[str, pd.DataFrame], output_dir: Path, config: Config
) -> list[Path] | None:
    """Write ``weighted_statistics`` as CSV and Parquet (per ``outputs.formats``).

    The table is derived from the summary tables at write time, because it needs
    them all; the workbook shows it as a sheet.
    """
    from ofxpost._builtin.outputs import write_csv, write_parquet

    section = config.section("outputs")
    if section.tables is not None and WEIGHTED_TABLE not in section.tables:
        return None
    frame = weighted_table(tables, config)
    if frame is None:
        return None
    written: list[Path] = []
    if "csv" in section.formats:
        path = output_dir / f"{WEIGHTED_TABLE}.csv"
        written.append(write_csv(frame, path, section.csv_significant_digits, section.units))
    if "parquet" in section.formats:
        folder = output_dir / "parquet"
        folder.mkdir(exist_ok=True)
        written.append(write_parquet(frame, folder / f"{WEIGHTED_TABLE}.parquet"))
    return written


@hookimpl(specname="ofxpost_start_fold")
def start_fold(config: Config, plan: Plan) -> MatrixFold | None:
    """The fold of :func:`ofxpost_aggregate` (``None`` when the section is not active)."""
    section = _section(config)
    if section is None or not section.active:
        return None
    return MatrixFold(load_cases(config), plan.jobs, config.base_dir)


@hookimpl
def ofxpost_aggregate(
    records: Sequence[FileRecord], config: Config, plan: Plan
) -> Mapping[str, pd.DataFrame] | None:
    """Build the ``load_matrix`` table (when the section is active) and, when a
    matrix file is given, ``load_matrix_mismatches``."""
    fold = start_fold(config, plan)
    if fold is None:
        return None
    for record in records:
        fold.add(record)
    return fold.tables()
