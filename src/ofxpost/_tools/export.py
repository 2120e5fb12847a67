"""``ofxpost export``: write one result archive per simulation file.

Each input is opened through the loader hooks (``OrcFxAPI.Model`` for ``.sim``
files on a machine with OrcaFlex, the archive reader for archives) and written by
:func:`ofxpost._archive.export_model`, which reads the model only through the
OrcFxAPI call surface.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ofxpost._config.model import read_yaml
from ofxpost._config.plan import make_plan
from ofxpost._plugins.loading import load_config
from ofxpost._plugins.manager import get_plugin_manager
from ofxpost.errors import ConfigError


def export_files(
    inputs: Sequence[Path], out_dir: Path, *, select: Path | None = None
) -> list[tuple[Path, str]]:
    """Export every input to ``out_dir/<stem>.ofx.parquet``.

    :param select: optional YAML file limiting the objects and variables exported
        (see ``docs/archive-format.md``).
    :returns: ``(input, message)`` for each input that failed; the others are written.
    :raises ConfigError: if an input does not exist or ``select`` is unusable.
    """
    from ofxpost._archive import ARCHIVE_SUFFIX, export_model
    from ofxpost._archive.format import simulation_stem

    selection: dict[str, Any] | None = read_yaml(select.absolute()) if select else None
    config = load_config({"inputs": [str(p.absolute()) for p in inputs]})
    plan = make_plan(config, sequential=True)
    pm = get_plugin_manager(plan.plugin_spec)
    out_dir.mkdir(parents=True, exist_ok=True)
    failures: list[tuple[Path, str]] = []
    for job in plan.jobs:
        target = out_dir / f"{simulation_stem(job.path)}{ARCHIVE_SUFFIX}"
        try:
            model = pm.hook.ofxpost_open_simulation(path=job.path, job=job, config=config)
            if model is None:
                raise ConfigError(f"{job.path}: no loader handles '{job.path.suffix}' files")
            export_model(model, target, select=selection)
        except Exception as exc:
            failures.append((job.path, str(exc)))
            print(f"ofxpost export: {job.path.name}: {exc}", file=sys.stderr)
            continue
        print(f"{job.path} -> {target}")
    return failures
