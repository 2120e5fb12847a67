"""Built-in writer: every table as CSV and as Parquet (section ``outputs``).

Output is deterministic: rows come in the order the aggregators built them (input
order), floats are written with a fixed number of significant digits (never fixed
decimals, which round a small value such as a fatigue damage of 7e-08 to zero), line endings are
``\\n``, and Parquet files are written with fixed settings. Each file is written
to a temporary file beside it and renamed (:mod:`ofxpost._core.atomic`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ofxpost._builtin.support.pandas import pd
from ofxpost._builtin.support.tableunits import UnitsMode, arrow_table, write_csv_text
from ofxpost._core.atomic import atomic_path
from ofxpost._core.markers import hookimpl

if TYPE_CHECKING:
    from ofxpost._config.model import Config

Format = Literal["csv", "parquet", "xlsx", "html"]
ALL_FORMATS: tuple[Format, ...] = ("csv", "parquet", "xlsx")
CSV_SIGNIFICANT_DIGITS = 15
"""Default significant digits of CSV floats."""


class OutputsSection(BaseModel):
    """The ``outputs`` section: formats and number formatting of written tables."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    formats: list[Format] = Field(default_factory=lambda: list(ALL_FORMATS))
    """Which files to write: ``csv`` (one per table), ``parquet`` (one per table,
    under ``parquet/``), ``xlsx`` (one workbook) and ``html`` (``report.html``, see
    ``docs/report.md``; not written unless listed)."""
    csv_significant_digits: int = Field(default=CSV_SIGNIFICANT_DIGITS, ge=10, le=17)
    """Significant digits of floats in CSV files (``%.<n>g``; 10 to 17). At least
    10, so every CSV number equals its Parquet twin within a relative 1e-9."""
    tables: list[str] | None = None
    """Only write these tables (default: all)."""
    units: UnitsMode = "header"
    """How CSV files carry column units: ``header`` (``max_tension [kN]``), ``row``
    (a units line under the header) or ``none``. Parquet always has field
    metadata ``unit``; the workbook a units row (see :mod:`.tableunits`)."""

    @model_validator(mode="before")
    @classmethod
    def _no_decimals(cls, data: Any) -> Any:
        if isinstance(data, dict) and "csv_decimals" in data:
            raise ValueError(
                f"csv_decimals ({data['csv_decimals']!r}) was removed: fixed decimals round "
                "small values (a fatigue damage of 7e-08) to zero; CSV floats are written "
                "with csv_significant_digits significant digits (10 to 17, default "
                f"{CSV_SIGNIFICANT_DIGITS})"
            )
        return data


@hookimpl
def ofxpost_add_config_sections() -> dict[str, Any]:
    """Declare the ``outputs`` section."""
    return {"outputs": OutputsSection}


def selected(
    tables: Mapping[str, pd.DataFrame], section: OutputsSection
) -> dict[str, pd.DataFrame]:
    """The tables ``section`` asks for, in name order."""
    wanted = section.tables
    return {name: t for name, t in tables.items() if wanted is None or name in wanted}


def write_csv(
    frame: pd.DataFrame,
    path: Path,
    digits: int = CSV_SIGNIFICANT_DIGITS,
    units: UnitsMode = "header",
) -> Path:
    """Write ``frame`` as CSV, floats with ``digits`` significant digits, and its
    column units (atomically)."""
    with atomic_path(path) as tmp, tmp.open("w", encoding="utf-8", newline="") as out:
        write_csv_text(out, frame, digits, units)  # streamed: no whole-table string
    return path


def write_parquet(frame: pd.DataFrame, path: Path) -> Path:
    """Write ``frame`` as Parquet with fixed settings (field metadata ``unit``; atomically)."""
    import pyarrow.parquet as pq

    table = arrow_table(frame)
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp, compression="zstd", write_statistics=True)
    return path


@hookimpl
def ofxpost_write_outputs(
    tables: Mapping[str, pd.DataFrame], output_dir: Path, config: Config
) -> list[Path]:
    """Write each table as ``<name>.csv`` and ``parquet/<name>.parquet``.

    A table that cannot be written in one format (say, a column of mixed objects
    that Parquet cannot hold) does not stop the others: they are written, and
    :class:`~ofxpost.errors.TablesNotWritten` reports the ones that failed.
    """
    from ofxpost.errors import TablesNotWritten

    section: OutputsSection = config.section("outputs")
    written: list[Path] = []
    failed: dict[str, BaseException] = {}
    chosen = selected(tables, section)
    if "csv" in section.formats:
        for name, frame in chosen.items():
            try:
                written.append(
                    write_csv(
                        frame,
                        output_dir / f"{name}.csv",
                        section.csv_significant_digits,
                        section.units,
                    )
                )
            except Exception as exc:
                failed[f"{name} (csv)"] = exc
    if "parquet" in section.formats:
        folder = output_dir / "parquet"
        folder.mkdir(exist_ok=True)
        for name, frame in chosen.items():
            try:
                written.append(write_parquet(frame, folder / f"{name}.parquet"))
            except Exception as exc:
                failed[f"{name} (parquet)"] = exc
    if failed:
        raise TablesNotWritten(failed)
    return written
