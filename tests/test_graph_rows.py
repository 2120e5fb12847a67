"""``graph_rows``: a graph's rows per file, as ``groupby("file", sort=False)`` gives them."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ofxpost._builtin.support.graph_rows import graph_rows


def test_graph_rows_match_a_groupby_of_the_label_in_order() -> None:
    rng = np.random.default_rng(3)
    rows = []
    for step in range(40):  # files interleaved, two graphs, rows out of x order
        file = f"sims/c{int(rng.integers(0, 5))}.ofx.parquet"
        label = "tension" if step % 3 else "moment"
        rows.append((file, file[5:8], label, float(rng.uniform(0, 100)), float(step)))
    table = pd.DataFrame(rows, columns=["file", "stem", "label", "x", "max"])
    table["file"] = table["file"].astype("string[pyarrow]")  # as the fold makes it
    for label in ("tension", "moment"):
        part = table[table["label"] == label]
        expected = [
            (name, group["stem"].iloc[0], group["x"].to_numpy(), group["max"].to_numpy())
            for name, group in part.groupby("file", sort=False)
        ]
        found = graph_rows(table, label, ["x", "max"])
        assert [(r.file, r.stem) for r in found] == [(e[0], e[1]) for e in expected]
        for row, (_, _, x, top) in zip(found, expected, strict=True):
            assert np.array_equal(row.values["x"], x) and np.array_equal(row.values["max"], top)
    assert graph_rows(table, "absent", ["x"]) == []
