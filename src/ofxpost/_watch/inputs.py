"""What a watch looks at: the inputs present now, and the folders to watch."""

from __future__ import annotations

import contextlib
from dataclasses import replace
from pathlib import Path

from ofxpost._config.model import Config
from ofxpost._config.plan import _glob_root, resolve_inputs
from ofxpost.errors import ConfigError


def scan_inputs(config: Config) -> list[Path]:
    """The inputs present now, in input order (an entry that matches nothing yet is empty)."""
    try:
        return resolve_inputs(config)
    except ConfigError:
        pass
    found: list[Path] = []
    for entry in config.inputs:
        one = replace(config, core=config.core.model_copy(update={"inputs": [entry]}))
        with contextlib.suppress(ConfigError):
            found.extend(p for p in resolve_inputs(one) if p not in found)
    return found


def watched_folders(config: Config) -> list[Path]:
    """The folders to watch: each input pattern's fixed folder (or nearest existing parent)."""
    folders: list[Path] = []
    for entry in config.inputs:
        resolved = config.resolve(entry)
        root = _glob_root(resolved) if any(c in str(entry) for c in "*?[") else resolved.parent
        while not root.is_dir() and root.parent != root:
            root = root.parent
        if root not in folders:
            folders.append(root)
    return folders
