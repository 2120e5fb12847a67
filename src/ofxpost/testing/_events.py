"""Event capture with schema checks."""

from __future__ import annotations

import json
from typing import Any

_validators: dict[int, tuple[dict[str, Any], Any]] = {}
"""id(schema) -> (schema, its validator): the schema itself is checked once."""


def _schema_validator() -> Any:
    """A validator of the current event schema, built once per schema object.

    :func:`jsonschema.validate` checks the schema against its meta-schema on every
    call (about a tenth of a second); a batch emits hundreds of events. The schema is
    looked up on every call, so a test that replaces it is still obeyed.
    """
    import jsonschema

    from ofxpost._events.emitter import event_schema

    schema = event_schema()
    cached = _validators.get(id(schema))
    if cached is not None and cached[0] is schema:
        return cached[1]
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    validator = cls(schema)
    _validators[id(schema)] = (schema, validator)
    return validator


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

        plain = json.loads(json.dumps(event))
        if not _schema_validator().is_valid(plain):
            # the one place that words the error (and raises InvalidEventError)
            validate_event(plain)
        self.append(event)

    def named(self, name: str) -> list[dict[str, Any]]:
        """The events called ``name``, in order."""
        return [e for e in self if e["event"] == name]
