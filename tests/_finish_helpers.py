"""Helpers for the finish-phase tests: throw-away plugin modules and quick batches."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import TOY_DIR, write_toy


def plugin_module(folder: Path, monkeypatch: pytest.MonkeyPatch, name: str, body: str) -> str:
    """Write ``<name>.py`` (``body`` plus ofxpost and pandas imports) on ``sys.path``."""
    name = re.sub(r"\W", "_", name)
    folder.mkdir(parents=True, exist_ok=True)
    source = "import ofxpost\nimport pandas as pd\n\n" + textwrap.dedent(body)
    (folder / f"{name}.py").write_text(source, encoding="utf-8")
    monkeypatch.syspath_prepend(str(folder))
    return name


def toy_config(
    root: Path,
    monkeypatch: pytest.MonkeyPatch,
    *,
    n: int = 3,
    plugins: tuple[str, ...] = (),
    output_dir: str = "out",
    formats: tuple[str, ...] = ("csv", "parquet"),
    faults: dict[int, str] | None = None,
    extra: dict[str, Any] | None = None,
    name: str = "batch.yml",
) -> Path:
    """Write ``n`` toy files under ``root/data`` and a config; return its path."""
    monkeypatch.syspath_prepend(str(TOY_DIR))
    data = root / "data"
    data.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        write_toy(data / f"case{i:03d}.toy", i, (faults or {}).get(i))
    config = {
        "inputs": ["data/*.toy"],
        "output_dir": output_dir,
        "plugins": ["ofxpost_toy", *plugins],
        "parallel_processing": {"max_workers": 2},
        "outputs": {"formats": list(formats)},
        **(extra or {}),
    }
    path = root / name
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def manifest(output_dir: Path) -> dict[str, Any]:
    """The parsed ``ofxpost-run.json``."""
    data: dict[str, Any] = json.loads((output_dir / "ofxpost-run.json").read_text("utf-8"))
    return data


def files_under(root: Path) -> set[str]:
    """Every file below ``root`` (``/``-separated, relative), ``.ofxpost/`` left out."""
    return {
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and ".ofxpost" not in p.relative_to(root).parts
    }
