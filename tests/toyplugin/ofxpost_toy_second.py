"""A second toy extractor, to show one plugin failing leaves the others running."""

from __future__ import annotations

from typing import Any

import ofxpost


@ofxpost.hookimpl
def ofxpost_extract(model: Any) -> dict[str, Any]:
    return {"toy_second": float(model.values.sum())}
