"""The events' JSON Schema, generated from the typed events in :mod:`ofxpost.event_types`.

The TypedDicts are the one definition of every event; this module turns them into
the JSON Schema that ofxpost ships (``ofxpost/schemas/events.schema.json``) and
validates against. Run ``python -m ofxpost._events.schema`` after changing an event
type to rewrite the shipped file; a test fails while it is out of date.

The shape: the envelope (the five fields every event has) at the top level, then one
``if event == name then {properties, required}`` block per event, in the order of
:data:`~ofxpost.event_types.EVENT_TYPES`. Events may carry extra fields in later
minor releases, so no block forbids additional properties.
"""

from __future__ import annotations

import json
import sys
import types
import typing
from pathlib import Path
from typing import Any, Literal, NotRequired, Required, Union

from ofxpost import event_types as et

SCHEMA_PATH = Path(__file__).resolve().parents[1] / "schemas" / "events.schema.json"
"""The shipped schema file."""

_HEADER: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://ofxpost.readthedocs.io/schemas/events.schema.json",
    "title": "ofxpost event",
    "description": (
        "One progress event emitted by the ofxpost controller (schema_version 1). "
        "Events may carry extra fields in later minor releases; consumers should "
        "ignore fields they do not know."
    ),
}

_SCALARS: dict[Any, str] = {
    str: "string",
    int: "integer",
    float: "number",
    bool: "boolean",
    type(None): "null",
}


def field_schema(annotation: Any) -> dict[str, Any]:
    """The JSON Schema of one field's type (``Annotated`` constraints applied)."""
    origin = typing.get_origin(annotation)
    if origin in (NotRequired, Required):
        return field_schema(typing.get_args(annotation)[0])
    if origin is typing.Annotated:
        base, *extras = typing.get_args(annotation)
        out = field_schema(base)
        for extra in extras:
            out.update(_constraint(extra))
        return out
    if origin is Literal:
        return {"enum": list(typing.get_args(annotation))}
    if origin in (Union, types.UnionType):
        parts = [field_schema(a) for a in typing.get_args(annotation)]
        if all(set(p) == {"type"} and isinstance(p["type"], str) for p in parts):
            return {"type": [p["type"] for p in parts]}
        return {"anyOf": parts}
    if origin is list:
        (item,) = typing.get_args(annotation)
        return {"type": "array", "items": field_schema(item)}
    if typing.is_typeddict(annotation):
        return {"type": "object", **_properties(annotation, exclude=())}
    if annotation in _SCALARS:
        return {"type": _SCALARS[annotation]}
    raise TypeError(f"no JSON Schema for event field type {annotation!r}")


def _constraint(extra: object) -> dict[str, Any]:
    if isinstance(extra, et.Minimum):
        return {"minimum": extra.value}
    if isinstance(extra, et.MinLength):
        return {"minLength": extra.value}
    if isinstance(extra, et.Pattern):
        return {"pattern": extra.regex}
    if isinstance(extra, et.Const):
        return {"const": extra.value}
    if isinstance(extra, et.Description):
        return {"description": extra.text}
    raise TypeError(f"unknown event field constraint {extra!r}")


def _properties(typed: Any, exclude: typing.Iterable[str]) -> dict[str, Any]:
    hints = typing.get_type_hints(typed, include_extras=True)
    skip = set(exclude)
    names = [n for n in hints if n not in skip]
    properties = {name: field_schema(hints[name]) for name in names}
    required = [n for n in names if n in typed.__required_keys__]
    return {"properties": properties, "required": required}


def build_schema() -> dict[str, Any]:
    """The whole event schema, built from :mod:`ofxpost.event_types`."""
    envelope = _properties(et.Envelope, exclude=())
    envelope["properties"]["event"] = {"enum": list(et.EVENT_TYPES)}
    blocks = []
    for name, typed in et.EVENT_TYPES.items():
        then = _properties(typed, exclude=et.Envelope.__annotations__)
        if not then["required"]:
            del then["required"]
        blocks.append({"if": {"properties": {"event": {"const": name}}}, "then": then})
    return {
        **_HEADER,
        "type": "object",
        "required": envelope["required"],
        "properties": envelope["properties"],
        "allOf": blocks,
    }


def schema_text() -> str:
    """:func:`build_schema` as the shipped file's text."""
    return json.dumps(build_schema(), indent=2, ensure_ascii=False) + "\n"


def main() -> int:
    """Rewrite the shipped schema file from the event types."""
    SCHEMA_PATH.write_text(schema_text(), encoding="utf-8")
    print(f"wrote {SCHEMA_PATH}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
