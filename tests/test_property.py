"""Property test: random batches with random faults give exactly the expected tables.

Run with the rest of the suite; select it alone with ``pytest -m slow``. How many
examples run is the Hypothesis profile's (``OFXPOST_HYPOTHESIS_PROFILE``, see
tests/conftest.py): 50 fixed ones by default, 800 fresh ones under ``thorough``.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ofxpost
from ofxpost._executors.local import LocalPoolExecutor
from tests.conftest import write_toy

pytestmark = pytest.mark.integration  # starts processes or runs whole batches

FAULT_KIND = {
    None: None,
    "raise_open": "file",
    "corrupt": "file",
    "raise_extract": "extractor",
    "licence_always": "licence",
    "exit": "crash",
}


class _SharedPool:
    """One long-lived local pool for every example (its shutdown is deferred to the fixture)."""

    name = "parallel"
    address: str | None = None
    enforces_timeout = False

    def __init__(self) -> None:
        self.pool: LocalPoolExecutor | None = None

    def factory(self, plan: Any, on_started: Any) -> _SharedPool:
        if self.pool is None:
            self.pool = LocalPoolExecutor(plan, on_started)
            self.pool.start()
        self.pool.on_started = on_started
        return self

    def start(self) -> None:
        """Started once, by the first example."""

    def submit(self, job: Any) -> Future[Any]:
        assert self.pool is not None
        return self.pool.submit(job)

    def kill(self, future: Future[Any]) -> None:
        future.cancel()

    def shutdown(self, *, cancel: bool) -> None:
        """Kept alive between examples."""


@pytest.fixture(scope="module")
def shared_pool() -> Iterator[_SharedPool]:
    shared = _SharedPool()
    yield shared
    if shared.pool is not None:
        shared.pool.shutdown(cancel=True)


def _expected_row(index: int, name: str, path: Path) -> dict[str, Any]:
    values = np.asarray(json.loads(path.read_text())["values"], dtype=float)
    return {
        "index": index,
        "file": name,
        "max": float(values.max()),
        "min": float(values.min()),
        "mean": float(values.mean()),
        "n": int(values.size),
        "cumsum_last": float(np.cumsum(values)[-1]),
    }


faults_strategy = st.lists(
    st.sampled_from(
        [None, None, None, "raise_open", "corrupt", "raise_extract", "licence_always", "exit"]
    ),
    min_size=2,
    max_size=8,
)


@pytest.mark.slow
@settings(  # max_examples: the profile's (tests/conftest.py)
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(faults=faults_strategy, workers=st.integers(min_value=1, max_value=3))
def test_random_faults_give_exact_tables(
    faults: list[str | None], workers: int, shared_pool: _SharedPool, toy_on_path: Path
) -> None:
    root = Path(tempfile.mkdtemp(prefix="ofxpost-prop-"))
    try:
        data = root / "data"
        data.mkdir()
        expected_rows = []
        for i, fault in enumerate(faults):
            path = data / f"f{i:02d}.toy"
            write_toy(path, i, None if fault == "corrupt" else fault)
            if fault == "corrupt":
                path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])
            if fault is None:
                expected_rows.append(_expected_row(i, path.name, path))
        config = {
            "inputs": ["data/*.toy"],
            "output_dir": "out",
            "plugins": ["ofxpost_toy"],
            "parallel_processing": {
                "max_workers": 3,
                "licence_wait": 0,
                "crash_retries": 0,
                "save_error_reports": False,
            },
            "outputs": {"formats": ["parquet"]},
        }
        (root / "batch.yml").write_text(yaml.safe_dump(config))
        result = ofxpost.run(root / "batch.yml", workers=workers, pool_factory=shared_pool.factory)

        assert result.mode == "parallel"
        got = {f.index: f.kind for f in result.failures}
        want = {i: FAULT_KIND[f] for i, f in enumerate(faults) if f is not None}
        assert got == want
        table = pd.read_parquet(root / "out" / "parquet" / "toy.parquet")
        expected = pd.DataFrame(expected_rows, columns=list(table.columns))
        pd.testing.assert_frame_equal(
            table.reset_index(drop=True), expected.astype(table.dtypes), check_exact=True
        )
        assert result.exit_code == (1 if want else 0)
    finally:
        shutil.rmtree(root, ignore_errors=True)
