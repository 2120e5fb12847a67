"""Test plugin with a hook implementation whose argument the hook does not offer."""

from __future__ import annotations

from typing import Any

import ofxpost


@ofxpost.hookimpl
def ofxpost_extract(model: Any, not_an_argument: Any) -> None:
    return None
