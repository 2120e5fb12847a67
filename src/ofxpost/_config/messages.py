"""One wording for config errors: a pydantic ``ValidationError`` as one line, and the
nearest-key suggestion.

Every config error names the file, the key path and the value:
``<file>: key 'a.b[0].c': <what is wrong> (got <value>)``. The native config
(:mod:`ofxpost._config.model`) and the translation of other tools' layouts
(:mod:`ofxpost._builtin.opp`) both format their errors here, so an unknown key reads
the same, with the same suggestion, in either layout.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

FRIENDLY: dict[str, str] = {
    "model_type": "expected a mapping",
    "dict_type": "expected a mapping",
    "list_type": "expected a list",
    "bool_type": "expected true or false",
}
"""Plain words for pydantic's type errors (which would name a model class)."""


def label_prefix(label: Path | None) -> str:
    """``<file>: `` to start an error message about ``label`` (``""`` for none)."""
    return f"{label}: " if label is not None else ""


def suggest(key: str, candidates: Iterable[object]) -> str:
    """`` (did you mean 'x'?)`` for the candidate nearest to ``key``, or ``""``."""
    names = sorted(str(candidate) for candidate in candidates)
    matches = difflib.get_close_matches(str(key), names, n=1, cutoff=0.6)
    return f" (did you mean {matches[0]!r}?)" if matches else ""


def key_message(path: str, message: str) -> str:
    """``key '<path>': <message>``: one problem, without the file."""
    return f"key {path!r}: {message}"


def unknown_key_message(path: str, known: Iterable[object]) -> str:
    """``key '<path>': unknown key (did you mean ...)``, suggesting among ``known``."""
    return key_message(path, f"unknown key{suggest(path.rsplit('.', 1)[-1], known)}")


def format_validation(
    exc: ValidationError,
    label: Path | None,
    prefix: tuple[str, ...] = (),
    model: type[object] | None = None,
) -> str:
    """``exc`` as one line: the file, then every problem's key path and value.

    :param label: the config file (``None``: no file to name).
    :param prefix: the key path of the validated value inside the config.
    :param model: the validated model, to name fields and suggest the nearest one.
    """
    lines: list[str] = []
    seen: set[str] = set()
    for error in exc.errors():
        loc = prefix + _field_path(model, error["loc"], error["type"] == "extra_forbidden")
        key = ".".join(loc) if loc else "(top level)"
        if key in seen:  # e.g. one error per member of ``int | Literal['auto']``
            continue
        seen.add(key)
        kind = error["type"]
        if kind == "extra_forbidden":
            lines.append(unknown_key_message(key, _field_names_at(model, error["loc"][:-1])))
        elif kind == "missing":
            lines.append(key_message(key, "required key is missing"))
        else:
            value = error.get("input")
            message = FRIENDLY.get(kind) or error["msg"].removeprefix("Value error, ")
            lines.append(key_message(key, f"{message} (got {value!r})"))
    head = f"{label_prefix(label)}{lines[0]}"
    if len(lines) > 1:
        head += "; " + "; ".join(lines[1:])
    return head


def _field_path(model: Any, loc: tuple[Any, ...], unknown_last: bool) -> tuple[str, ...]:
    """The user-visible key path of ``loc``: field names, mapping keys and list indexes,
    without the union-member tags pydantic appends (``int``, ``literal['auto']`` ...)."""
    parts: list[str] = []
    cls: Any = model
    keyed = False  # the value at ``parts`` is a ``dict[str, ...]``: the next part is a key
    for i, part in enumerate(loc):
        if isinstance(part, int):
            parts[-1:] = [f"{parts[-1]}[{part}]"] if parts else [f"[{part}]"]
            continue
        if unknown_last and i == len(loc) - 1:
            parts.append(str(part))
            break
        if keyed:
            parts.append(str(part))
            keyed = False
            continue
        fields = cls.model_fields if isinstance(cls, type) and issubclass(cls, BaseModel) else None
        if fields is None:
            if cls is None and model is not None:
                break  # past the last model: only union tags follow
            parts.append(str(part))
            continue
        info = fields.get(str(part))
        if info is None:
            break
        parts.append(str(part))
        keyed = _is_mapping(info.annotation)
        cls = _model_in(info.annotation)
    return tuple(parts)


def _is_mapping(annotation: Any) -> bool:
    """Whether ``annotation`` is ``dict[...]`` (or ``dict[...] | None``)."""
    if getattr(annotation, "__origin__", None) is dict:
        return True
    args = [a for a in getattr(annotation, "__args__", ()) if a is not type(None)]
    return len(args) == 1 and getattr(args[0], "__origin__", None) is dict


def _field_names_at(model: Any, loc: tuple[Any, ...]) -> list[str]:
    """Valid field names of the model nested at ``loc``, for typo suggestions."""
    cls: Any = model
    for part in loc:
        if not (isinstance(cls, type) and issubclass(cls, BaseModel)):
            return []
        if not isinstance(part, str):
            continue
        info = cls.model_fields.get(part)
        cls = _model_in(info.annotation) if info is not None else None
    if isinstance(cls, type) and issubclass(cls, BaseModel):
        return list(cls.model_fields)
    return []


def _model_in(annotation: Any) -> Any:
    """The BaseModel class inside an annotation such as ``Model``, ``list[Model]``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_in(arg)
        if found is not None:
            return found
    return None
