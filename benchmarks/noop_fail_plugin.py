"""An extractor that raises on every ``.noop`` file (for :mod:`failing_files`).

Used with :mod:`noop_plugin`: the loader works, this extractor fails, so every file
is ``partial`` and gets an error report under ``errors/``.
"""

from __future__ import annotations

from typing import Any

import ofxpost


@ofxpost.hookimpl
def ofxpost_extract(model: Any) -> dict[str, Any] | None:
    """Fail every file."""
    raise ValueError(f"{model.path.name}: failing on purpose")
