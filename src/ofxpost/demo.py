"""``ofxpost demo``: a synthetic batch and a config that exercises every feature."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import yaml

DEMO_CONFIG = "ofxpost-demo.yml"
"""Name of the config file the demo writes."""


def demo_config(cases: int) -> dict[str, Any]:
    """The native config the demo runs (relative to the demo folder)."""
    return {
        "inputs": ["sims/*.ofx.parquet"],
        "output_dir": "results",
        "parallel_processing": {"max_workers": "auto", "timeout_per_file": 600},
    }


def prepare_demo(out: Path | None, cases: int = 24, seed: int = 0) -> Path:
    """Write ``cases`` synthetic archives and the demo config into ``out``.

    :param out: the demo folder (default: a fresh temporary folder).
    :returns: the config file's path.
    """
    from ofxpost.synth import generate_batch

    folder = Path(out) if out is not None else Path(tempfile.mkdtemp(prefix="ofxpost-demo-"))
    folder.mkdir(parents=True, exist_ok=True)
    generate_batch(cases=cases, out_dir=folder / "sims", seed=seed)
    config_path = folder / DEMO_CONFIG
    config_path.write_text(yaml.safe_dump(demo_config(cases), sort_keys=False), encoding="utf-8")
    return config_path


def describe_outputs(output_dir: Path) -> str:
    """A few lines telling where the demo's tables, workbook and plots are."""
    lines = [f"tables: {output_dir}"]
    workbooks = sorted(output_dir.glob("*.xlsx"))
    if workbooks:
        lines.append(f"workbook: {workbooks[0]}")
    plots = sorted((output_dir / "plots").glob("*.png")) if (output_dir / "plots").exists() else []
    if plots:
        lines.append(f"plots: {len(plots)} PNG files in {output_dir / 'plots'}")
    return "\n".join(lines)
