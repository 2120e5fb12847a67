"""Shared fixtures: the toy plugin, toy batches, and event capture with schema checks."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
import yaml

from ofxpost.testing import EventLog, table_bytes
from ofxpost.testing._pytest_plugin import ofxpost_archives, ofxpost_batch, ofxpost_events

__all__ = ["TOY_DIR", "EventLog", "ToyBatch", "table_bytes", "write_toy"]
# The kit's fixtures are imported here too, so that the suite also runs where the
# kit's pytest11 entry point is not installed (an older editable install).
_KIT_FIXTURES = (ofxpost_archives, ofxpost_batch, ofxpost_events)

TOY_DIR = Path(__file__).parent / "toyplugin"


@pytest.fixture
def toy_on_path(monkeypatch: pytest.MonkeyPatch) -> Path:
    """Put the toy plugin modules on ``sys.path`` (spawned workers inherit it)."""
    monkeypatch.syspath_prepend(str(TOY_DIR))
    return TOY_DIR


def write_toy(path: Path, index: int, fault: str | None = None, n: int = 50) -> Path:
    """Write a ``.toy`` file whose values depend on ``index``."""
    values = [((index + 1) * 0.37 + i * 0.013) ** 1.5 % 7.1 for i in range(n)]
    path.write_text(json.dumps({"values": values, "fault": fault}), encoding="utf-8")
    return path


ToyBatch = Callable[..., Path]


@pytest.fixture
def toy_batch(tmp_path: Path, toy_on_path: Path) -> ToyBatch:
    """Factory: write ``n`` toy files and a config; return the config path."""

    def make(
        n: int = 12,
        faults: dict[int, str] | None = None,
        *,
        folder: str = "batch",
        plugins: list[str] | None = None,
        parallel: dict[str, Any] | None = None,
        extra: dict[str, Any] | None = None,
        suffix: dict[int, str] | None = None,
    ) -> Path:
        root = tmp_path / folder
        data = root / "data"
        data.mkdir(parents=True, exist_ok=True)
        for i in range(n):
            ext = (suffix or {}).get(i, ".toy")
            write_toy(data / f"case{i:03d}{ext}", i, (faults or {}).get(i))
        config = {
            "inputs": ["data/*.toy", "data/*.sim"] if suffix else ["data/*.toy"],
            "output_dir": "out",
            "plugins": ["ofxpost_toy"] if plugins is None else plugins,
            "parallel_processing": {"max_workers": 2, **(parallel or {})},
            "outputs": {"formats": ["csv", "parquet"]},
            **(extra or {}),
        }
        path = root / "batch.yml"
        path.write_text(yaml.safe_dump(config), encoding="utf-8")
        return path

    return make


@pytest.fixture
def events() -> Iterator[EventLog]:
    yield EventLog()


@pytest.fixture(autouse=True)
def _no_leftover_fake_orcfxapi() -> Iterator[None]:
    yield
    sys.modules.pop("OrcFxAPI", None)


def live_children() -> list[psutil.Process]:
    """Live descendants of this process, except multiprocessing's resource tracker (it
    lives as long as this process, whatever ofxpost does) and a pool's process-group
    reaper (it ends with its pool, and by itself when this process dies)."""
    procs = []
    for child in psutil.Process().children(recursive=True):
        try:
            command = " ".join(child.cmdline())
            if "multiprocessing.resource_tracker" in command or "ofxpost-reaper" in command:
                continue
            if child.status() != psutil.STATUS_ZOMBIE:
                procs.append(child)
        except psutil.NoSuchProcess:
            pass
    return procs
