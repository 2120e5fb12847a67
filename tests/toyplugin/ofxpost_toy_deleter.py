"""Test plugin: deletes inputs whose name contains ``vanish`` once the batch starts."""

from __future__ import annotations

from typing import Any

import ofxpost


@ofxpost.hookimpl
def ofxpost_batch_started(plan: Any) -> None:
    for job in plan.jobs:
        if "vanish" in job.path.name:
            job.path.unlink()
