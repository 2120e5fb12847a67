"""Fallback loader for ``*.ofx.parquet`` archives, used only if ofxpost has none.

The throughput benchmark adds it to ``plugins:`` when no registered loader opens a
result archive (while the built-in loader is still missing from an installation);
otherwise it is not registered at all.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import ofxpost


@ofxpost.hookimpl(trylast=True)
def ofxpost_open_simulation(path: Path) -> Any | None:
    """Open a result archive with :func:`ofxpost._archive.open_archive`."""
    if not path.name.lower().endswith(".ofx.parquet"):
        return None
    from ofxpost._archive import open_archive

    return open_archive(path)
