"""A tiny ofxpost plugin for the orchestration benchmarks: ``.noop`` files.

A ``.noop`` file starts with one JSON line, ``{"i": 7, "alloc_mb": 0, "work_ms": 0}``;
anything after it is ignored (the memory benchmark pads files sparsely so that their
*size* tells ``memory_per_file: auto`` how much memory they need).

* The loader reads the header; when ``alloc_mb`` > 0 it allocates (and touches) that
  many MiB, which the model holds until it is closed -- like a model whose time
  histories have been read.
* When ``work_ms`` > 0 the extractor burns that much CPU time on the model.
* The extractor returns a small, deterministic result (``noop``), so every runner's
  per-file output can be compared byte for byte.

Register it with ``plugins: [noop_plugin]`` and ``benchmarks/`` on ``sys.path``
(:func:`_common.setup_paths`); spawned workers inherit the path.
"""

from __future__ import annotations

import json
import time
import zlib
from pathlib import Path
from typing import Any

import numpy as np

import ofxpost

SUFFIX = ".noop"


def write_noop_file(
    path: Path,
    index: int,
    *,
    alloc_mb: float = 0.0,
    work_ms: float = 0.0,
    size: int | None = None,
) -> Path:
    """Write one ``.noop`` file; with ``size``, extend it (sparsely) to that many bytes."""
    header = json.dumps({"i": index, "alloc_mb": alloc_mb, "work_ms": work_ms}) + "\n"
    with open(path, "wb") as handle:
        handle.write(header.encode())
        if size is not None and size > len(header):
            handle.truncate(size)
    return path


class NoopModel:
    """What the loader returns: the header and, optionally, a block of memory."""

    def __init__(self, path: Path, header: dict[str, Any]) -> None:
        self.path = path
        self.index = int(header["i"])
        self.work_ms = float(header.get("work_ms", 0.0))
        alloc = int(float(header.get("alloc_mb", 0.0)) * 1024**2) // 8
        # np.full touches every page, so the memory is resident, not just reserved.
        self.block: np.ndarray | None = np.full(alloc, float(self.index)) if alloc else None
        self.raw = json.dumps(header, sort_keys=True).encode()

    def close(self) -> None:
        """Release the memory block."""
        self.block = None


@ofxpost.hookimpl
def ofxpost_open_simulation(path: Path) -> NoopModel | None:
    """Open ``.noop`` files; leave every other file to other loaders."""
    if not path.name.endswith(SUFFIX):
        return None
    with open(path, "rb") as handle:
        header = json.loads(handle.readline())
    return NoopModel(path, header)


@ofxpost.hookimpl
def ofxpost_extract(model: Any) -> dict[str, Any] | None:
    """A deterministic, tiny result; optional CPU work and a pass over the memory."""
    if not isinstance(model, NoopModel):
        return None
    if model.work_ms > 0:
        deadline = time.perf_counter() + model.work_ms / 1000
        x = np.linspace(0.0, 1.0, 4096)
        while time.perf_counter() < deadline:
            x = np.sin(x) + 0.5
    total = float(model.block.sum()) if model.block is not None else 0.0
    return {
        "noop": {
            "index": model.index,
            "crc": zlib.crc32(model.raw),
            "block_sum": total,
        }
    }
