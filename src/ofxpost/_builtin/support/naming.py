"""Safe, unique names for tables, files and Excel sheets."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import PurePath

from ofxpost._core.names import name_problem

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")

SHEET_NAME_MAX = 31
"""Excel's limit on the length of a sheet name."""


def safe_name(text: str) -> str:
    """``text`` as a portable file/table name: runs of other characters become ``_``.

    >>> safe_name("Eff. Tension (kN)")
    'Eff._Tension_kN'
    """
    cleaned = _UNSAFE.sub("_", text.strip()).strip("_.")
    return cleaned or "unnamed"


def unique(names: Iterable[str], limit: int | None = None) -> list[str]:
    """Make ``names`` unique (case-insensitively) by suffixing ``~2``, ``~3`` ...

    With ``limit``, every name is also cut to at most ``limit`` characters.
    """
    seen: set[str] = set()
    out: list[str] = []
    for name in names:
        base = name if limit is None else name[:limit]
        candidate = base
        n = 1
        while candidate.lower() in seen:
            n += 1
            suffix = f"~{n}"
            stem = base if limit is None else base[: limit - len(suffix)]
            candidate = f"{stem}{suffix}"
        seen.add(candidate.lower())
        out.append(candidate)
    return out


def sheet_name(text: str) -> str:
    """``text`` as a valid Excel sheet name (no ``[]:*?/\\``, not blank, ≤ 31 chars)."""
    cleaned = _SHEET_FORBIDDEN.sub("_", text).strip("'").strip()
    return (cleaned or "sheet")[:SHEET_NAME_MAX]


def first_duplicate(names: Iterable[str]) -> str | None:
    """The first name that appears twice (case-insensitively), or ``None``."""
    seen: set[str] = set()
    for name in names:
        key = name.lower()
        if key in seen:
            return name
        seen.add(key)
    return None


def plain_output_name(value: str, suffix: str) -> str:
    """``value`` if it is a plain, portable file name ending in ``suffix`` (a config's
    output file name: no folders).

    :raises ValueError: saying what the name must be.
    """
    if PurePath(value).name != value or "\\" in value or not value.lower().endswith(suffix):
        raise ValueError(f"a plain file name ending in {suffix} (no folders)")
    problem = name_problem(value)
    if problem is not None:
        raise ValueError(f"a portable file name: {value!r} {problem}")
    return value
