"""Range-graph envelopes: per arc length, the largest Max and the smallest Min over the
files, and the file each came from (the ``range_graph_envelope`` table).

:class:`RunningEnvelope` folds one graph's envelope file by file as records arrive
(:mod:`ofxpost._finish.folding`); :func:`envelope` takes it of a whole long table. Both give
the same rows: arc lengths matched exactly and sorted, ties to the first file in
input order.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from ofxpost._builtin.support import fileinfo
from ofxpost._builtin.support.numpy import np
from ofxpost._builtin.support.pandas import pd

ENVELOPE_COLUMNS: list[str] = [
    "label", "x", "max", "max_stem", "min", "min_stem", "allowable", "unit", "exceeds",
]  # fmt: skip
"""``unit``: the graph's unit (graphs of one table may differ: kN, kN.m); ``exceeds``:
whether ``max`` is over the ``allowable`` (the workbook flags it)."""


class RunningEnvelope:
    """One graph's envelope, folded file by file: per arc length the largest Max and
    the smallest Min, and the file each came from.

    The same as :func:`envelope` of the whole table, in any order of the files: a
    tie goes to the earliest row in table order (input index, then position in
    the file), NaN values are skipped, NaN arc lengths are left out, and arc
    lengths are matched exactly (``-0.0`` and ``0.0`` are one, shown as the
    earliest row has it), as ``groupby("x")`` does.
    """

    def __init__(self) -> None:
        # x -> [x as first seen, its (index, position), max, its (index, position),
        #       its stem, min, its (index, position), its stem]
        self._at: dict[float, list[Any]] = {}

    def add(
        self,
        index: int,
        stem: Any,
        x: np.ndarray[Any, Any],
        top: np.ndarray[Any, Any],
        bottom: np.ndarray[Any, Any],
    ) -> None:
        """Fold one file's curves (``top``: Max, ``bottom``: Min) along ``x``."""
        at = self._at
        for position, (where, high, low) in enumerate(
            zip(x.tolist(), top.tolist(), bottom.tolist(), strict=True)
        ):
            if where != where:  # NaN: not an arc length
                continue
            key = (index, position)
            cell = at.get(where)
            if cell is None:
                cell = at[where] = [where, key, math.nan, None, None, math.nan, None, None]
            elif key < cell[1]:
                cell[0], cell[1] = where, key
            if high == high and (
                cell[3] is None or high > cell[2] or (high == cell[2] and key < cell[3])
            ):
                cell[2], cell[3], cell[4] = high, key, stem
            if low == low and (
                cell[6] is None or low < cell[5] or (low == cell[5] and key < cell[6])
            ):
                cell[5], cell[6], cell[7] = low, key, stem

    def rows(self, label: str, allowable: float | None) -> list[dict[str, Any]]:
        """The envelope's rows, by arc length."""
        return [
            {
                "label": label,
                "x": float(cell[0]),
                "max": float(cell[2]),
                "max_stem": cell[4],
                "min": float(cell[5]),
                "min_stem": cell[7],
                "allowable": allowable,
            }
            for _, cell in sorted(self._at.items())
        ]


def envelope_frame(
    rows: list[dict[str, Any]], units: Mapping[str, str | None] | None = None
) -> pd.DataFrame:
    """The ``range_graph_envelope`` table of ``rows`` (``units``: each label's unit)."""
    frame = pd.DataFrame(rows, columns=ENVELOPE_COLUMNS[:7])
    frame = fileinfo.fix_dtypes(frame, ["x", "max", "min", "allowable"])
    found = units or {}
    frame["unit"] = pd.Series([found.get(str(label)) for label in frame["label"]], dtype=object)
    frame["exceeds"] = (frame["max"] > frame["allowable"]).astype(bool)  # NaN: False
    return frame


def _governing(group: pd.DataFrame, column: str, largest: bool) -> tuple[float, Any]:
    values = group[column].to_numpy(dtype=float)
    if np.all(np.isnan(values)):
        return float("nan"), None
    at = int(np.nanargmax(values)) if largest else int(np.nanargmin(values))
    return float(values[at]), group["stem"].iloc[at]


def envelope(
    table: pd.DataFrame,
    graphs: Sequence[tuple[str, float | None]],
    units: Mapping[str, str | None] | None = None,
) -> pd.DataFrame:
    """Per graph ``(label, allowable)`` and arc length of the long ``range_graph`` table:
    the largest Max and smallest Min and their files.

    Ties go to the first file in input order. (The aggregation folds the same
    envelope file by file, :class:`RunningEnvelope`; this takes it of a whole table.)
    """
    rows: list[dict[str, Any]] = []
    for label, allowable in graphs:
        part = table[table["label"] == label]
        if part.empty:
            continue
        for x, group in part.groupby("x", sort=True):
            top, top_stem = _governing(group, "max", largest=True)
            bottom, bottom_stem = _governing(group, "min", largest=False)
            rows.append(
                {
                    "label": label,
                    "x": float(x),  # type: ignore[arg-type]
                    "max": top,
                    "max_stem": top_stem,
                    "min": bottom,
                    "min_stem": bottom_stem,
                    "allowable": allowable,
                }
            )
    return envelope_frame(rows, units)
