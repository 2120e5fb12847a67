"""Column projection of result archives: one variable versus the whole file.

Writes an archive with 1,000 variables (``--variables``) of ``--samples`` samples,
then reads one variable through :func:`ofxpost._archive.open_archive` (opening
included) and the whole file with plain pyarrow, counting the bytes each read
from disk (through a counting file object) and timing them (median of
``--repeat``). Prints the figures and the ratios.

    python benchmarks/archive_read.py [--variables 1000] [--samples 20000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq

from ofxpost._archive import open_archive, write_archive
from ofxpost._archive.format import ArchiveInfo, ObjectInfo, column_name


class CountingFile(io.RawIOBase):
    """A read-only file that counts the bytes read through it."""

    def __init__(self, path: Path) -> None:
        self._file = open(path, "rb")  # noqa: SIM115 - closed in close()
        self.name = str(path)
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        count = self._file.readinto(buffer) or 0
        self.bytes_read += count
        return count

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        return self._file.seek(offset, whence)

    def tell(self) -> int:
        return self._file.tell()

    def close(self) -> None:
        self._file.close()
        super().close()


def write_wide(path: Path, variables: int, samples: int, seed: int = 0) -> Path:
    """An archive of one object with ``variables`` float64 variables."""
    rng = np.random.default_rng(seed)
    names = [f"Var {i:04d}" for i in range(variables)]
    stop = (samples - 1) * 0.1 - 10.0
    info = ArchiveInfo(
        state=4,
        simulation_complete=True,
        start_time=-10.0,
        stop_time=stop,
        current_time=stop,
        stage_durations=[10.0, stop],
        log_sample_interval=0.1,
        objects=[
            ObjectInfo(
                "Buoy",
                "6D Buoy",
                7,
                results={n: [""] for n in names},
                static={n: [0.0] for n in names},
            )
        ],
    )
    time_column = np.arange(samples) * 0.1 - 10.0
    data: dict[str, Any] = {"time": time_column}
    for i, name in enumerate(names):
        phase = rng.uniform(0, 2 * np.pi)
        data[column_name("Buoy", name, "")] = np.sin(0.3 * time_column + phase) * (1 + i % 7)
    return write_archive(path, info, data)


def measure(action: Callable[[CountingFile], object], path: Path, repeat: int) -> tuple[float, int]:
    """Median seconds and bytes read of ``action(counting_file)``."""
    times: list[float] = []
    read = 0
    for _ in range(repeat):
        counting = CountingFile(path)
        start = time.perf_counter()
        action(counting)
        times.append(time.perf_counter() - start)
        read = counting.bytes_read
        counting.close()
    return statistics.median(times), read


def one_variable(counting: CountingFile) -> object:
    """Open the archive and read one variable's time history."""
    model = open_archive(counting)
    values = model["Buoy"].TimeHistory("Var 0500")
    model.close()
    return values


def whole_file(counting: CountingFile) -> object:
    """Read every column with plain pyarrow."""
    return pq.ParquetFile(counting).read(use_threads=False)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variables", type=int, default=1000)
    parser.add_argument("--samples", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ofxpost-archive-read-") as folder:
        path = write_wide(Path(folder) / "wide.ofx.parquet", args.variables, args.samples)
        size = path.stat().st_size
        t_one, b_one = measure(one_variable, path, args.repeat)
        t_all, b_all = measure(whole_file, path, args.repeat)
    print(f"archive: {args.variables} variables x {args.samples} samples, {size / 1e6:.1f} MB")
    print(f"one variable (open + TimeHistory): {t_one * 1e3:8.1f} ms  {b_one / 1e6:8.2f} MB read")
    print(f"whole file (pyarrow read):         {t_all * 1e3:8.1f} ms  {b_all / 1e6:8.2f} MB read")
    print(f"bytes read, one variable / whole file: {b_one / b_all:.4f} ({b_all / b_one:.0f}x less)")
    print(f"time, one variable / whole file:       {t_one / t_all:.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
