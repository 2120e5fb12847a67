"""The range-graph long table cut into each file's curves, with numpy.

The plots (:mod:`.plots`, :mod:`.report_plots`) draw each file's curves of a graph.
``table[table["label"] == name].groupby("file")`` gives them, but at the finish it
runs beside the other writers under the controller's GIL and took 0.65 s for two
graphs of 128 files (0.03 s alone): every group is a DataFrame. Here the rows are
selected and split once, as arrays, in the same order (files in order of first
appearance, each file's rows in table order).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ofxpost._builtin.support.numpy import np
from ofxpost._builtin.support.pandas import pd


@dataclass(frozen=True)
class FileRows:
    """One file's rows of one graph."""

    file: Any
    stem: Any
    """The ``stem`` of the file's first row."""
    values: dict[str, np.ndarray[Any, Any]]
    """Each requested column, as floats."""


def graph_rows(table: pd.DataFrame, label: str, columns: Sequence[str]) -> list[FileRows]:
    """The rows of graph ``label``, per file, in order of first appearance (as
    ``groupby("file", sort=False)`` orders them); ``columns`` as float arrays."""
    chosen = np.flatnonzero(table["label"].to_numpy(dtype=object) == label)
    if chosen.size == 0:
        return []
    files = table["file"].to_numpy(dtype=object)[chosen]
    codes, _ = pd.factorize(files, sort=False)
    order = np.argsort(codes, kind="stable")
    rows = chosen[order]
    starts = np.concatenate(([0], np.flatnonzero(np.diff(codes[order])) + 1))
    ends = np.concatenate((starts[1:], [rows.size]))
    stems = table["stem"].to_numpy(dtype=object)
    arrays = {c: table[c].to_numpy(dtype=float)[rows] for c in columns}
    return [
        FileRows(
            files[order[start]],
            stems[rows[start]],
            {c: array[start:end] for c, array in arrays.items()},
        )
        for start, end in zip(starts.tolist(), ends.tolist(), strict=True)
    ]
