"""Built-in extractor: facts about each model (state, completion, start/stop time).

Result name ``model_info``: a dict with ``state`` (the ``ModelState`` name),
``simulation_complete``, ``start_time``, ``stop_time`` and ``current_time``. Values
a model cannot give are ``None``.
"""

from __future__ import annotations

import contextlib
from typing import Any

from ofxpost._core.markers import hookimpl


def model_facts(model: Any) -> dict[str, Any]:
    """Read the run facts of an OrcFxAPI-like model."""
    facts: dict[str, Any] = {
        "state": None,
        "simulation_complete": None,
        "start_time": None,
        "stop_time": None,
        "current_time": None,
    }
    with contextlib.suppress(Exception):
        state = model.state
        facts["state"] = getattr(state, "name", str(state))
    with contextlib.suppress(Exception):
        facts["simulation_complete"] = bool(model.simulationComplete)
    with contextlib.suppress(Exception):
        facts["start_time"] = float(model.simulationStartTime)
    with contextlib.suppress(Exception):
        facts["stop_time"] = float(model.simulationStopTime)
    with contextlib.suppress(Exception):
        facts["current_time"] = float(model.simulationTimeStatus.CurrentTime)
    return facts


@hookimpl
def ofxpost_extract(model: Any) -> dict[str, Any]:
    """Record the model's run facts under ``model_info``."""
    return {"model_info": model_facts(model)}
