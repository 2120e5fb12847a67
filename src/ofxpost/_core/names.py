"""Output names that stay inside ``output_dir`` and that every platform can hold.

ofxpost **refuses** (never rewrites) a name that breaks these rules; the error
names the plugin or config key that produced it. The rules, for one name (a table
name, or one component of an output's path relative to ``output_dir``):

* not empty, not ``.`` or ``..``, at most :data:`MAX_NAME` characters;
* none of ``< > : " / \\ | ? *`` nor a control character (so no folder separator,
  no drive letter such as ``C:``, no NTFS stream such as ``a:b``);
* no trailing dot or space (Windows drops them silently);
* not a Windows device name (``CON``, ``PRN``, ``AUX``, ``NUL``, ``COM1``-``COM9``,
  ``LPT1``-``LPT9``), with or without an extension (``nul.csv``), in any case.

A relative output path must not be absolute and each of its components must pass.
Two names that differ only in case are the same name (Windows and macOS file
systems fold case).
"""

from __future__ import annotations

import re
from pathlib import PureWindowsPath

MAX_NAME = 200
"""Longest name accepted (file systems allow 255; ofxpost adds suffixes)."""

RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL"}
    | {f"COM{i}" for i in range(1, 10)}
    | {f"LPT{i}" for i in range(1, 10)}
)
"""Windows device names, unusable as a file name with any extension."""

_FORBIDDEN = re.compile(r'[<>:"/\\|?*\x00-\x1f]')


def name_problem(name: object) -> str | None:
    """Why ``name`` cannot be a file or table name, or ``None`` when it can."""
    if not isinstance(name, str):
        return f"is a {type(name).__name__}, not a string"
    if not name:
        return "is empty"
    if name in (".", ".."):
        return f"is {name!r}, which names a folder"
    if len(name) > MAX_NAME:
        return f"is longer than {MAX_NAME} characters"
    bad = _FORBIDDEN.search(name)
    if bad is not None:
        char = bad.group()
        what = "a path separator" if char in "/\\" else f"the character {char!r}"
        return f"contains {what}, which cannot be part of a file name"
    if name[-1] in ". ":
        return "ends with a dot or a space, which Windows drops"
    if name.split(".")[0].rstrip(" ").upper() in RESERVED:
        return "is a Windows device name"
    return None


def relative_path_problem(path: str) -> str | None:
    """Why ``path`` (relative to ``output_dir``) is not a confined, portable path."""
    if not path:
        return "is empty"
    windows = PureWindowsPath(path)  # made once: this runs once per error report
    if path.startswith("/") or windows.is_absolute():  # "/": what POSIX calls absolute
        return "is an absolute path"
    if windows.drive:
        return "starts with a drive"
    for part in re.split(r"[/\\]", path):
        problem = name_problem(part)
        if problem is not None:
            return f"has the component {part!r}, which {problem}"
    return None


def name_key(name: str) -> str:
    """The key under which two names collide on a case-folding file system."""
    return name.casefold()
