"""OrcaFlex name rules: how object, variable and data names are matched.

The OrcaFlex DLL matches names without regard to case and to runs of spaces:
``model["riser"]``, ``model["  Riser "]`` and ``TimeHistory("effective  TENSION")``
all find ``Riser`` / ``Effective tension``. The archive reader follows the same
rule (:func:`name_key`): names are compared after collapsing every run of
whitespace to one space, stripping leading and trailing whitespace and
case-folding. The spelling the caller used is never changed in ofxpost's tables
(labels come from the configuration); the canonical spelling is the archive's.

An unknown name is an error that lists the nearest valid names
(:func:`nearest`, :func:`unknown_name_text`).

This module imports only the standard library.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping

SUGGESTIONS = 3
"""How many nearest names an error lists at most."""


def name_key(name: str) -> str:
    """The matching key of ``name``: whitespace runs collapsed, stripped, case-folded."""
    return " ".join(str(name).split()).casefold()


def build_index(names: Iterable[str]) -> dict[str, str]:
    """``name_key(name) -> name`` for ``names`` (the first spelling of a key wins)."""
    index: dict[str, str] = {}
    for name in names:
        index.setdefault(name_key(name), name)
    return index


def lookup(name: str, names: Mapping[str, object] | Iterable[str]) -> str | None:
    """The stored spelling of ``name`` among ``names`` under the OrcaFlex rules, or ``None``."""
    if isinstance(name, str) and name in names:
        return name
    return build_index(names).get(name_key(name))


def nearest(name: str, names: Iterable[str], count: int = SUGGESTIONS) -> list[str]:
    """The stored names closest to ``name`` (``difflib``, compared by :func:`name_key`)."""
    index = build_index(names)
    keys = difflib.get_close_matches(name_key(name), list(index), n=count, cutoff=0.5)
    return [index[key] for key in keys]


def unknown_name_text(kind: str, name: str, names: Iterable[str], where: str) -> str:
    """``no object named 'Risr' in case.ofx.parquet; nearest: 'Riser'`` (or the stored names)."""
    stored = list(names)
    close = nearest(name, stored)
    if close:
        hint = "nearest: " + ", ".join(repr(n) for n in close)
    elif stored:
        shown = ", ".join(repr(n) for n in stored[:10])
        more = f" and {len(stored) - 10} more" if len(stored) > 10 else ""
        hint = f"stored: {shown}{more}"
    else:
        hint = "none stored"
    return f"no {kind} named {name!r} in {where}; {hint}"
