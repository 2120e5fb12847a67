"""opp's master settings, merged without opp's in-place mutation."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """A new dict: ``base`` updated by ``override`` recursively (``override`` wins).

    Nothing is shared with the inputs: every value is deep-copied, lists are
    replaced (not concatenated).
    """
    merged: dict[str, Any] = copy.deepcopy(dict(base))
    for key, value in override.items():
        current = merged.get(key)
        if isinstance(current, Mapping) and isinstance(value, Mapping):
            merged[key] = deep_merge(current, value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def merge_master(
    settings: Mapping[str, Any] | None, master: Mapping[str, Any] | None
) -> dict[str, Any]:
    """opp's master merge, without its in-place mutation.

    ``master``'s keys other than ``groups`` are defaults for ``settings``;
    ``master.groups[i]`` gives defaults for ``settings.groups[i]`` and its
    ``Columns[0]`` gives defaults for *every* column of that group (the column's own
    keys win); a group with no columns takes the master group's columns. Each column
    gets its own deep copy.
    """
    settings = settings or {}
    master = master or {}
    merged = deep_merge(
        {k: v for k, v in master.items() if k != "groups"},
        {k: v for k, v in settings.items() if k != "groups"},
    )
    master_groups = master.get("groups") or []
    groups: list[dict[str, Any]] = []
    for position, group in enumerate(settings.get("groups") or []):
        group_master = master_groups[position] if position < len(master_groups) else {}
        if not isinstance(group, Mapping) or not isinstance(group_master, Mapping):
            groups.append(copy.deepcopy(group))
            continue
        combined = deep_merge(
            {k: v for k, v in group_master.items() if k != "Columns"},
            {k: v for k, v in group.items() if k != "Columns"},
        )
        master_columns = group_master.get("Columns") or [{}]
        column_default = master_columns[0] if isinstance(master_columns[0], Mapping) else {}
        columns = group.get("Columns")
        if not columns and group_master.get("Columns"):
            # a group without columns takes the master's (real configs write `Columns: []`)
            combined["Columns"] = copy.deepcopy(group_master["Columns"])
        elif isinstance(columns, Sequence) and not isinstance(columns, str):
            combined["Columns"] = [
                deep_merge(column_default, c) if isinstance(c, Mapping) else copy.deepcopy(c)
                for c in columns
            ]
        else:
            combined["Columns"] = copy.deepcopy(columns)
        groups.append(combined)
    merged["groups"] = groups
    return merged
