"""The ``definitions`` sheet of the workbook: what the numbers in the tables mean.

One table (``section``, ``item``, ``definition``), deterministic (no dates): the
ofxpost version, the source files and their status, the period rules and the
periods the configuration uses, the statistics, OrcaFlex's sign conventions, what
each configured column is (object, variable, point, period, statistic), and the
units and allowables of every table column.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from ofxpost._builtin.support.pandas import pd
from ofxpost._builtin.support.tableunits import column_allowables, column_units

if TYPE_CHECKING:
    from ofxpost._config.model import Config

COLUMNS: list[str] = ["section", "item", "definition"]

PERIODS: tuple[tuple[str, str], ...] = (
    ("whole simulation", "simulation start time (negative: build-up first) to stop time"),
    (
        "stage n",
        "start + sum of the durations of stages 0..n-1 to that + duration of stage n "
        "(stage 0 = build-up)",
    ),
    ("specified period", "from - to (s), as given"),
    ("latest wave", "the last complete wave cycle OrcaFlex reports"),
    ("static state", "the one static value"),
    (
        "sample inclusion",
        "a sample at time t is in a period [from, to] when from <= t <= to "
        "(no nearest-sample snapping); a stage boundary on a sample puts it in both stages",
    ),
)

STATISTICS: tuple[tuple[str, str], ...] = (
    ("max, min", "largest / smallest sample in the period"),
    ("mean", "arithmetic mean of the samples"),
    ("std", "population standard deviation of the samples (divide by n), as OrcaFlex"),
    ("abs_max", "largest absolute value"),
    ("rms", "root mean square"),
    ("time_of_max, time_of_min", "time of the first largest / smallest sample (s)"),
    (
        "arc_length_of_max, arc_length_of_min",
        "arc length of the largest / smallest value of a range-graph curve (m from End A)",
    ),
    ("pNN", "percentile NN of the samples (linear interpolation)"),
    ("Tz", "mean up-crossing period: mean time between successive up-crossings of the mean"),
    ("Tc", "mean crest period: mean time between successive local maxima"),
    ("across-file min/max/mean", "over the files' values, failed files skipped"),
    ("across-file std", "sample standard deviation (divide by n-1) of the files' values"),
    (
        "weighted mean / std",
        "sum(p x) / sum(p) and the population std weighted by p, over the "
        "files with a value; p = load-matrix probability",
    ),
    (
        "exceedance probability",
        "sum of the probabilities of the files whose value is beyond "
        "the allowable (above max or below min)",
    ),
)

SIGN_CONVENTIONS: tuple[tuple[str, str], ...] = (
    (
        "axes",
        "OrcaFlex global axes: X, Y horizontal, Z positive upwards; time 0 = end of the build-up",
    ),
    (
        "directions",
        "wave, current and heading directions in degrees, positive anticlockwise "
        "from global X (the direction waves travel towards)",
    ),
    ("effective tension", "positive in tension, negative in compression (kN)"),
    ("bend moment, curvature", "magnitudes, >= 0"),
    ("declination", "angle from the vertical, 0-180 deg"),
    ("arc length", "measured from End A along the unstretched line (m)"),
)


def _version() -> str:
    from ofxpost._version import __version__

    return f"ofxpost {__version__}"


def _periods_used(config: Config) -> list[str]:
    """Distinct ``period`` values set anywhere in the configuration, as JSON."""
    found: list[str] = []

    def walk(value: Any) -> Iterator[Any]:
        if isinstance(value, Mapping):
            for key, item in value.items():
                if key == "period" and item is not None:
                    yield item
                else:
                    yield from walk(item)
        elif isinstance(value, list | tuple):
            for item in value:
                yield from walk(item)

    raw = getattr(config, "raw", None)
    for period in walk(raw if isinstance(raw, Mapping) else {}):
        text = json.dumps(period, sort_keys=True, default=str)
        if text not in found:
            found.append(text)
    return found


def _source_files(tables: Mapping[str, pd.DataFrame]) -> list[tuple[str, str]]:
    files = tables.get("files")
    if files is not None and "file" in files.columns:
        status = files["status"] if "status" in files.columns else [""] * len(files)
        return [(str(f), str(s)) for f, s in zip(files["file"], status, strict=True)]
    for table in tables.values():
        if "file" in table.columns:
            return [(str(f), "") for f in dict.fromkeys(table["file"].tolist())]
    return []


def _columns(config: Config) -> list[tuple[str, str, str]]:
    """What each configured value column is: object, variable, point, period, statistic."""
    from ofxpost._builtin.support.report_data import column_definitions

    out: list[tuple[str, str, str]] = []
    for row in column_definitions(config).itertuples(index=False):
        parts = [
            ("object", row.object), ("variable", row.variable), ("point", row.point),
            ("period", row.period), ("statistic", row.statistic),
        ]  # fmt: skip
        text = "; ".join(f"{key} {value!s}" for key, value in parts if value)
        out.append((str(row.table), str(row.column), text))
    return out


def definitions_table(tables: Mapping[str, pd.DataFrame], config: Config) -> pd.DataFrame:
    """The ``definitions`` table for ``tables`` (those written to the workbook)."""
    rows: list[tuple[str, str, str]] = [("ofxpost", "version", _version())]
    rows += [("source file", name, status) for name, status in _source_files(tables)]
    rows += [("period", name, text) for name, text in PERIODS]
    rows += [("period used", f"#{i}", text) for i, text in enumerate(_periods_used(config), 1)]
    rows += [("statistic", name, text) for name, text in STATISTICS]
    rows += [("sign convention", name, text) for name, text in SIGN_CONVENTIONS]
    rows += [("column", f"{table}: {column}", text) for table, column, text in _columns(config)]
    for name in sorted(tables):
        frame = tables[name]
        rows += [
            ("unit", f"{name}: {column}", unit) for column, unit in column_units(frame).items()
        ]
        for column, limits in column_allowables(frame).items():
            text = ", ".join(f"{key} {value:g}" for key, value in sorted(limits.items()))
            rows.append(("allowable", f"{name}: {column}", text))
    return pd.DataFrame(rows, columns=COLUMNS)
