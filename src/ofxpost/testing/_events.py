"""Event capture with schema checks."""

from __future__ import annotations

import json
from typing import Any


class EventLog(list[dict[str, Any]]):
    """Events captured from a batch; each one is checked against the event schema.

    Use it as an event sink (``ofxpost.run(config, on_event=log)``); every event
    is round-tripped through JSON and validated with :func:`ofxpost.validate_event`
    as it arrives, so a malformed event fails the test that produced it::

        log = EventLog()
        ofxpost.run("batch.yml", on_event=log)
        assert log.named("batch_finished")[0]["exit_code"] == 0
    """

    def __call__(self, event: dict[str, Any]) -> None:
        """Check ``event`` against the schema and keep it."""
        from ofxpost._events.emitter import validate_event

        validate_event(json.loads(json.dumps(event)))
        self.append(event)

    def named(self, name: str) -> list[dict[str, Any]]:
        """The events called ``name``, in order."""
        return [e for e in self if e["event"] == name]
