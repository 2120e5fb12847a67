"""Histograms of time-series samples (``time_series`` group keys ``histogram`` and
``summation``).

A group with ``histogram: {bins, range}`` bins every column's samples, file by file
(numpy's rule: equal bins over ``range``, or the explicit edges ``bins``; the last
bin includes its right edge). Without ``range`` each file's bins span that file's
own samples (``numpy.histogram``'s default), so files are not comparable; with a
``range`` or explicit edges every file shares the bins, samples outside them are
counted in a ``bin_start = -inf`` / ``bin_end = inf`` row (written only when not
empty), and ``summation: true`` adds the files up.

Tables (CSV/Parquet, rows in input order, the same whatever the worker count):

* ``time_series_histogram_<group>`` -- ``file, stem, column, bin_start, bin_end,
  count, fraction, time``: the samples in each bin, their fraction of the file's
  samples in the period, and ``time = fraction x duration`` (the period's last minus
  first sample time, s);
* ``time_series_summation_<group>`` -- ``column, bin_start, bin_end, files, count,
  fraction, time`` summed over the files (``fraction`` = total count / total
  samples, ``time`` = the sum of the files' times); when every file's load case has
  a probability, also ``long_term_fraction = sum p_i fraction_i`` and
  ``time_per_year = long_term_fraction x seconds_per_year`` (the probability-weighted
  long-term distribution, probabilities as fractions, as rainflow's
  ``cycles_per_year``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pydantic import Field, model_validator

from ofxpost._builtin.support import feature
from ofxpost._builtin.support.binning import check_bins
from ofxpost._builtin.support.numpy import np
from ofxpost._builtin.support.pandas import pd
from ofxpost._builtin.support.selectors import Frozen

if TYPE_CHECKING:
    from ofxpost._config.model import Config

SECONDS_PER_YEAR = 365.25 * 24 * 3600
"""A Julian year (s), as rainflow's ``cycles_per_year``."""

HISTOGRAM_COLUMNS = [
    "file", "stem", "column", "unit", "bin_start", "bin_end", "count", "fraction", "time"
]  # fmt: skip
SUMMATION_COLUMNS = ["column", "unit", "bin_start", "bin_end", "files", "count", "fraction", "time"]


class HistogramSpec(Frozen):
    """``histogram: {bins, range}`` of a time-series group."""

    bins: int | list[float] = 10
    """Number of equal bins, or the bin edges (increasing)."""
    range: tuple[float, float] | None = None
    """``[low, high]`` of the equal bins (default: each file's own samples)."""
    seconds_per_year: float = Field(default=SECONDS_PER_YEAR, gt=0)
    """Seconds in a year for the summation's ``time_per_year``."""

    @model_validator(mode="after")
    def _check(self) -> HistogramSpec:
        check_bins(self.bins, self.range)
        return self

    @property
    def fixed(self) -> bool:
        """Whether every file shares the bins (a ``range`` or explicit edges)."""
        return self.range is not None or isinstance(self.bins, list)


def file_histogram(times: Any, values: Any, spec: HistogramSpec) -> dict[str, Any]:
    """One file's histogram of ``values``: edges, counts (then below, above), samples
    and the period's duration; plain lists, sent to the controller."""
    samples = np.asarray(values, dtype=np.float64)
    samples = samples[np.isfinite(samples)]
    if isinstance(spec.bins, list):
        edges = np.asarray(spec.bins, dtype=np.float64)
    elif spec.range is not None:
        edges = np.linspace(spec.range[0], spec.range[1], spec.bins + 1)
    elif samples.size:
        edges = np.histogram_bin_edges(samples, bins=spec.bins)
    else:
        edges = np.linspace(0.0, 1.0, spec.bins + 1)
    inside, _ = np.histogram(samples, bins=edges)
    below = int(np.count_nonzero(samples < edges[0]))
    above = int(np.count_nonzero(samples > edges[-1]))
    stamps = np.asarray(times, dtype=np.float64)
    duration = float(stamps[-1] - stamps[0]) if stamps.size > 1 else 0.0
    return {
        "edges": edges.tolist(),
        "counts": [*(int(c) for c in inside), below, above],
        "samples": int(samples.size),
        "duration": duration,
    }


def _rows(edges: Sequence[float], counts: Sequence[float]) -> list[tuple[float, float, int]]:
    """``(bin_start, bin_end, position in counts)``: the bins, then the non-empty
    below/above rows."""
    size = len(edges)
    rows = [(float(edges[n]), float(edges[n + 1]), n) for n in range(size - 1)]
    if counts[size - 1] > 0:
        rows.append((-math.inf, float(edges[0]), size - 1))
    if counts[size] > 0:
        rows.append((float(edges[-1]), math.inf, size))
    return rows


class HistogramFold:
    """One group's histograms, folded file by file."""

    def __init__(self, group: str, spec: HistogramSpec, summation: bool) -> None:
        self.group = group
        self.spec = spec
        self.summation = summation
        self._files: list[tuple[int, dict[str, Any], Any, dict[str, Any]]] = []
        self._units: dict[int, dict[str, str]] = {}
        self.problems: list[tuple[int, dict[str, Any]]] = []
        """``(file index, error cells)`` of files left out of a summation (set by
        :meth:`tables`): a column whose unit differs from the first file's."""

    def add(
        self, index: int, ident: dict[str, Any], probability: Any, found: Any, units: Any = None
    ) -> None:
        """One file's ``{label: histogram}`` (with its load case's probability and the
        ``{label: unit}`` its samples are in)."""
        if isinstance(found, dict) and found:
            self._files.append((index, dict(ident), probability, found))
            if isinstance(units, dict):
                self._units[index] = {str(k): str(v) for k, v in units.items() if v}

    def _unit(self, index: int, label: str) -> str | None:
        return self._units.get(index, {}).get(label)

    def tables(self, labels: Sequence[str]) -> dict[str, pd.DataFrame]:
        """``time_series_histogram_<group>`` (and ``..._summation_<group>``)."""
        files = sorted(self._files, key=lambda item: item[0])
        rows: list[dict[str, Any]] = []
        for index, ident, _, found in files:
            for label in labels:
                histogram = found.get(label)
                if not isinstance(histogram, dict):
                    continue
                counts = histogram["counts"]
                total = max(int(histogram["samples"]), 1)
                for start, end, n in _rows(histogram["edges"], counts):
                    fraction = counts[n] / total
                    rows.append(
                        {
                            "file": ident.get("file"),
                            "stem": ident.get("stem"),
                            "column": label,
                            "unit": self._unit(index, label),
                            "bin_start": start,
                            "bin_end": end,
                            "count": int(counts[n]),
                            "fraction": fraction,
                            "time": fraction * float(histogram["duration"]),
                        }
                    )
        prefix = "time_series"
        out = {f"{prefix}_histogram_{self.group}": self._frame(rows, HISTOGRAM_COLUMNS)}
        if self.summation:
            out[f"{prefix}_summation_{self.group}"] = self._summation(files, labels)
        return out

    def _frame(self, rows: list[dict[str, Any]], columns: list[str]) -> pd.DataFrame:
        frame = pd.DataFrame(rows, columns=columns)
        frame["count"] = frame["count"].astype("int64")
        for name in columns:
            if name not in ("file", "stem", "column", "unit", "count", "files"):
                frame[name] = frame[name].astype("float64")
        units = {"time": "s", "time_per_year": "s"}
        stated = set(frame["unit"].dropna()) if "unit" in frame.columns else set()
        if len(stated) == 1:  # one unit for every row's bins
            unit = str(next(iter(stated)))
            units.update(bin_start=unit, bin_end=unit)
        return feature.set_units(frame, units)

    def _summation(self, files: Sequence[Any], labels: Sequence[str]) -> pd.DataFrame:
        weighted = bool(files) and all(_is_number(p) for _, _, p, _ in files)
        rows: list[dict[str, Any]] = []
        self.problems = []
        for label in labels:
            having = [
                (i, ident, p, f[label])
                for i, ident, p, f in files
                if isinstance(f.get(label), dict)
            ]
            if not having:
                continue
            unit = self._unit(having[0][0], label)  # the first file's, in input order
            found = []
            for index, ident, probability, histogram in having:
                other = self._unit(index, label)
                if other != unit:
                    message = (
                        f"histogram summation: samples in {other or 'no unit'}, the first "
                        f"file's in {unit or 'no unit'}; this file is left out of the summation"
                    )
                    cells = {**ident, "group": self.group, "label": label, "message": message}
                    self.problems.append((index, cells))
                    continue
                found.append((probability, histogram))
            edges = found[0][1]["edges"]
            counts = np.zeros(len(edges) + 1, dtype=np.int64)
            times = np.zeros(len(edges) + 1)
            long_term = np.zeros(len(edges) + 1)
            samples = 0
            for probability, histogram in found:
                these = np.asarray(histogram["counts"], dtype=np.int64)
                share = these / max(int(histogram["samples"]), 1)
                counts += these
                times += share * float(histogram["duration"])
                samples += int(histogram["samples"])
                if weighted:
                    long_term += share * float(probability)
            for start, end, n in _rows(edges, counts.tolist()):
                row: dict[str, Any] = {
                    "column": label,
                    "unit": unit,
                    "bin_start": start,
                    "bin_end": end,
                    "files": len(found),
                    "count": int(counts[n]),
                    "fraction": float(counts[n]) / max(samples, 1),
                    "time": float(times[n]),
                }
                if weighted:
                    row["long_term_fraction"] = float(long_term[n])
                    row["time_per_year"] = float(long_term[n]) * self.spec.seconds_per_year
                rows.append(row)
        columns = [*SUMMATION_COLUMNS]
        if weighted:
            columns += ["long_term_fraction", "time_per_year"]
        frame = self._frame(rows, columns)
        frame["files"] = frame["files"].astype("int64")
        return frame


def probability_of(cases: dict[str, Any], config: Config | None) -> Any:
    """The load case's probability as a fraction (``None`` when it has none)."""
    from ofxpost._builtin.support.weighted import probability_column, probability_scale

    key = probability_column(list(cases))
    probability: Any = cases.get(key) if key else None
    if not _is_number(probability):
        return None
    return float(probability) * probability_scale(config)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
