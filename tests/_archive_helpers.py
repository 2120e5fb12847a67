"""Helpers and fixtures shared by the archive, synth, loader and contract tests."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest

from ofxpost._archive.format import METADATA_KEY, column_name

FAKE_ORCFXAPI_DIR = Path(__file__).parent / "fakes" / "orcfxapi"
"""Folder holding the test stand-in ``OrcFxAPI.py``."""

SMALL = {
    "hs": 3.0,
    "tp": 9.0,
    "heading": 30.0,
    "current": 0.6,
    "duration": 40.0,
    "dt": 0.2,
    "nodes": 11,
    "seed": 5,
}
"""A small synthetic case (a few hundred samples, 11 nodes)."""


@pytest.fixture(scope="session")
def small_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One small synthetic archive, shared (read-only) by the tests of a session."""
    from ofxpost._tools.synth import generate_case

    folder = tmp_path_factory.mktemp("small_archive")
    return generate_case(folder / "case_small.ofx.parquet", **SMALL)  # type: ignore[arg-type]


class RawArchive:
    """The archive read with plain pyarrow: what the reader's answers must equal."""

    def __init__(self, path: Path) -> None:
        self.table = pq.read_table(path)
        self.meta: dict[str, Any] = json.loads(pq.ParquetFile(path).metadata.metadata[METADATA_KEY])
        self.time = self.table.column("time").to_numpy()
        self.dt = float(self.meta["model"]["log_sample_interval"])

    def column(self, obj: str, var: str, point: str) -> np.ndarray[Any, Any]:
        """One stored column."""
        return self.table.column(column_name(obj, var, point)).to_numpy()

    def object(self, name: str) -> dict[str, Any]:
        """The metadata of one object."""
        return next(o for o in self.meta["objects"] if o["name"] == name)

    def static(self, obj: str, var: str, point: str) -> float:
        """The stored static value of one result."""
        info = self.object(obj)
        return float(info["static"][var][info["results"][var].index(point)])

    def mask(self, low: float, high: float) -> np.ndarray[Any, Any]:
        """Samples of the period [low, high] by the documented inclusion rule."""
        tolerance = 1e-6 * self.dt
        return (self.time >= low - tolerance) & (self.time <= high + tolerance)


class CountingFile(io.RawIOBase):
    """A read-only binary file that counts the bytes read through it."""

    def __init__(self, path: Path) -> None:
        self._file = open(path, "rb")  # noqa: SIM115 - closed in close()
        self.name = str(path)
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        count = self._file.readinto(buffer)
        self.bytes_read += count or 0
        return count or 0

    def read(self, size: int = -1) -> bytes:
        data = self._file.read(size)
        self.bytes_read += len(data)
        return data

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        return self._file.seek(offset, whence)

    def tell(self) -> int:
        return self._file.tell()

    def close(self) -> None:
        self._file.close()
        super().close()
