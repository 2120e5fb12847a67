"""Generates :mod:`ofxpost._events.emit_types`: the typed signature of ``emit``.

For every event of :data:`ofxpost.event_types.EVENT_TYPES`, the generated module
holds a ``<Type>Fields`` :class:`~typing.TypedDict` (the event's own fields, without
the envelope) and one ``@overload`` of :meth:`TypedEmit.emit` taking
``Literal["<name>"]`` and ``**fields: Unpack[<Type>Fields]``; so a type checker
rejects an unknown field, a missing required one or a value of the wrong type at
every call site. ``python -m ofxpost._events.emit_gen`` rewrites the module; a test
checks it is current.
"""

from __future__ import annotations

import json
import types
import typing
from pathlib import Path
from typing import Any

from ofxpost import event_types as et

TARGET = Path(__file__).with_name("emit_types.py")
"""The generated module."""

_HEADER = '''"""The typed signature of ``EventEmitter.emit`` (generated: do not edit).

Rewritten by ``python -m ofxpost._events.emit_gen`` from
:mod:`ofxpost.event_types`; a test checks it is current. One ``<Type>Fields`` per
event (its fields without the envelope) and one ``emit`` overload per event name.
"""

# no ``from __future__ import annotations``: TypedDict must see NotRequired at run time
from typing import Any, Literal, NotRequired, TypedDict, Unpack, overload

from ofxpost.event_types import HookTime, Level, PairedFile
'''


def render(annotation: Any) -> str:
    """Source text of a (plain, unannotated) type."""
    if annotation is type(None) or annotation is None:
        return "None"
    origin = typing.get_origin(annotation)
    if origin in (types.UnionType, typing.Union):
        return " | ".join(render(arg) for arg in typing.get_args(annotation))
    if origin is typing.Literal:
        return "Literal[" + ", ".join(json.dumps(arg) for arg in typing.get_args(annotation)) + "]"
    if origin is not None:
        args = ", ".join(render(arg) for arg in typing.get_args(annotation))
        return f"{origin.__name__}[{args}]"
    if isinstance(annotation, type):
        return annotation.__name__
    raise TypeError(f"cannot render {annotation!r}")


def _fields_class(name: str, typed: Any) -> str:
    envelope = set(et.Envelope.__annotations__)
    hints = typing.get_type_hints(typed)  # Annotated and NotRequired stripped
    lines = [f"class {typed.__name__.rstrip('_')}Fields(TypedDict):"]
    lines.append(f'    """The fields of ``{name}`` (without the envelope)."""')
    lines.append("")
    for field, annotation in hints.items():
        if field in envelope:
            continue
        text = render(annotation)
        if field not in typed.__required_keys__:
            text = f"NotRequired[{text}]"
        lines.append(f"    {field}: {text}")
    return "\n".join(lines)


def module_text() -> str:
    """The source of :mod:`ofxpost._events.emit_types`."""
    parts = [_HEADER]
    for name, typed in et.EVENT_TYPES.items():
        parts.append("\n\n" + _fields_class(name, typed) + "\n")
    body = [
        "",
        "class TypedEmit:",
        '    """``emit`` with one overload per event (see the module)."""',
    ]
    for name, typed in et.EVENT_TYPES.items():
        fields = typed.__name__.rstrip("_") + "Fields"
        body += [
            "",
            "    @overload",
            "    def emit(",
            "        self,",
            f'        event: Literal["{name}"],',
            "        *,",
            "        level: Level = ...,",
            f"        **fields: Unpack[{fields}],",
            "    ) -> None: ...",
        ]
    body += [
        "",
        '    def emit(self, event: str, *, level: Level = "info", **fields: Any) -> None:',
        '        """Emit ``event`` with ``fields`` at ``level``."""',
        "        self._emit(event, level, fields)",
        "",
        "    def _emit(self, event: str, level: Level, fields: dict[str, Any]) -> None:",
        '        """Build and deliver the event (the emitter implements it)."""',
        "        raise NotImplementedError",
        "",
    ]
    parts.append("\n" + "\n".join(body))
    return "".join(parts)


def main() -> int:
    """Rewrite the generated module."""
    TARGET.write_text(module_text(), encoding="utf-8", newline="\n")
    print(f"wrote {TARGET.name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
