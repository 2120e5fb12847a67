"""Planning resolves each input's folder once (``_config.discovery._FileResolver``):
the result must be what :meth:`pathlib.Path.resolve` says, links included."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ofxpost._config.discovery import _FileResolver


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")
def test_each_path_resolves_as_path_resolve_does(tmp_path: Path) -> None:
    real = tmp_path / "data" / "sims"
    real.mkdir(parents=True)
    for name in ("a.sim", "b.sim"):
        (real / name).write_text("x", encoding="utf-8")
    try:
        (tmp_path / "linked").symlink_to(real, target_is_directory=True)
        (real / "c.sim").symlink_to(real / "a.sim")
    except OSError:
        pytest.skip("symbolic links not permitted here")
    resolve = _FileResolver()
    paths = [
        real / "a.sim",
        real / "b.sim",
        tmp_path / "linked" / "a.sim",  # a linked folder
        real / "c.sim",  # a linked file
        tmp_path / "data" / "sims" / ".." / "sims" / "b.sim",
        tmp_path / "linked" / "missing.sim",
    ]
    for path in paths:
        assert resolve(path) == path.resolve(), path
    assert resolve(real / "c.sim") == real / "a.sim"
