"""``file_management`` → the native ``inputs``, ``output_dir`` and ``input_filters``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ofxpost._builtin.opp.context import Translation
from ofxpost._builtin.opp.models import (
    CurrentDirectory,
    FileManagement,
    FileName,
    Files,
)

SIM_EXTENSIONS = frozenset({"sim", "yml", "yaml", "dat", "txt"})
"""opp globbed these and loaded the ``.sim`` of the same name."""


def unique(items: Sequence[Any]) -> list[Any]:
    """``items`` without repeats, in order."""
    out: list[Any] = []
    for item in items:
        if item not in out:
            out.append(item)
    return out


def files(
    ctx: Translation, block: FileManagement | None, others: bool
) -> tuple[list[str], str, dict[str, Any] | None]:
    """``(inputs, output_dir, input_filters)`` of ``file_management``.

    :param others: whether features other than the summary are on (they read the
        files of ``file_management``, never those of a summary group).
    """
    block = block or FileManagement()
    ctx.ignore_written(block, "file_management", "flag", "update_unfinished")
    filename = block.filename or FileName()
    listing = block.files or Files()
    ctx.ignore_written(listing, "file_management.files", "data_source", "csv_filename")
    current = listing.files_in_current_directory or CurrentDirectory()
    cwhere = "file_management.files.files_in_current_directory"
    contains: list[str] = []
    not_contains: list[str] = []
    for filters in (filename.filters, listing.filters):
        if filters is not None:
            contains += filters.contains + filters.filename_contains
            not_contains += filters.not_contains + filters.filename_not_contains
    directory = block.input_directory
    if directory is None and not current.flag:
        directory = current.directory
    patterns = [p for p in (filename.pattern, current.filename_pattern) if p]
    if len(set(map(str, patterns))) > 1:
        raise ctx.fail(
            f"{cwhere}.filename_pattern",
            f"differs from file_management.filename.pattern ({patterns[0]!r})",
        )
    pattern = str(patterns[0]) if patterns else ""
    directory, pattern = _group_files(ctx, directory, pattern, others)
    extensions = unique([e.lstrip(".") for e in filename.extension + listing.extension])

    inputs: list[str] = []
    sim_archives = False
    listed = _listed(block.input_files)
    if listed:
        inputs = listed
        sim_archives = any(p.lower().endswith(".sim") for p in listed)
    elif not current.auto_read:
        raise ctx.fail(
            f"{cwhere}.auto_read", "false needs the files in file_management.input_files"
        )
    else:
        for extension in extensions or ["sim"]:
            ext = "sim" if extension.lower() in SIM_EXTENSIONS else extension
            sim_archives = sim_archives or ext == "sim"
            glob = f"*{pattern}*.{ext}" if pattern else f"*.{ext}"
            folder = "" if directory is None else str(directory).rstrip("/\\")
            path = glob if folder in ("", ".") else f"{folder}/{glob}"
            if path not in inputs:
                inputs.append(path)
    found: dict[str, Any] = {}
    if contains:
        found["contains"] = unique(contains)
    if not_contains:
        found["not_contains"] = unique(not_contains)
    if sim_archives:
        found["sim_archives"] = True
    return inputs, str(block.output_directory or "results"), found or None


def _listed(input_files: dict[str, list[str]] | None) -> list[str]:
    """The files of ``input_files``, in order (``.yml``/``.dat`` ... → ``.sim``)."""
    out: list[str] = []
    for paths in (input_files or {}).values():
        for text in paths:
            path = Path(text)
            if path.suffix.lower().lstrip(".") in SIM_EXTENSIONS:
                text = str(path.with_suffix(".sim").as_posix())  # opp loaded the .sim
            if text not in out:
                out.append(text)
    return out


def _group_files(ctx: Translation, directory: Any, pattern: str, others: bool) -> tuple[Any, str]:
    """Apply the summary groups' own ``directory`` / ``filename_pattern`` (if any)."""
    given = [(d, p) for _, d, p in ctx.group_files if d is not None or p is not None]
    if not given:
        return directory, pattern
    first = given[0]
    for group, d, p in ctx.group_files:
        if (d, p) != first:
            raise ctx.fail(
                f"{group}.filename_pattern",
                "summary groups select different files; ofxpost reads one set of files "
                "per config: write one config per group",
            )
    group_dir = first[0] if first[0] is not None else directory
    group_pattern = str(first[1]) if first[1] is not None else pattern
    if others and (group_dir, group_pattern) != (directory, pattern):
        raise ctx.fail(
            f"{ctx.group_files[0][0]}.filename_pattern",
            "the summary groups select other files than file_management, and other "
            "features are on; ofxpost reads one set of files per config: split it",
        )
    return group_dir, group_pattern
