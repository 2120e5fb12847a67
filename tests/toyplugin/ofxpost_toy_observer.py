"""Test plugin whose observer hooks raise (they must never cost the batch)."""

from __future__ import annotations

from typing import Any

import ofxpost


@ofxpost.hookimpl
def ofxpost_batch_started(plan: Any) -> None:
    raise RuntimeError("observer failed at start")


@ofxpost.hookimpl
def ofxpost_file_finished(record: Any) -> None:
    raise RuntimeError("observer failed on a file")
