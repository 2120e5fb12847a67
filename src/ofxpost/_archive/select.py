"""The export selection: which objects, variables and points an archive stores.

A selection is a mapping (or a YAML file holding one)::

    objects:                 # omit to export every object
      Riser:                 # null or {} = every variable at the default points
        variables: [Effective tension, Bend moment]   # omit: every variable
        nodes: all           # all | none | [1, 5, 9] | {every: 5}
        ends: true           # End A and End B (default true)
        touchdown: true      # the touchdown point (default true)
        arc_lengths: [150.0] # extra points at these arc lengths (m)
        data: [Length]       # input data items to store
      Vessel:
        variables: [X, Y, Z]
        positions: [[0, 0, -10]]   # extra rigid-body/environment positions
      Bellmouth:             # a vessel or 6D buoy with supports
        supports: [1, 2, {index: 3, line: Umbilical}]   # oeSupport points

Every key is optional; unknown keys, objects the model lacks and variables an
object lacks are errors (:class:`SelectionError`) naming what exists.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ofxpost.errors import SelectionError


class NodesEvery(BaseModel):
    """Every ``every``-th node, starting with node 1 (the last node always included)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    every: int = Field(ge=1)


class SupportSelection(BaseModel):
    """A support point: its 1-based index, optionally one supported line's part."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    index: int = Field(ge=1)
    line: str | None = None


class ObjectSelection(BaseModel):
    """What to store of one object."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    variables: list[str] | None = None
    """Variable names (default: every time-history variable)."""
    nodes: Literal["all", "none"] | list[int] | NodesEvery = "all"
    """Line nodes to store (1-based)."""
    ends: bool = True
    """Store End A and End B of a line."""
    touchdown: bool = True
    """Store the touchdown point of a line."""
    arc_lengths: list[float] = Field(default_factory=list)
    """Extra line points at these arc lengths (m from End A)."""
    positions: list[tuple[float, float, float]] = Field(default_factory=list)
    """Extra points of a vessel, buoy or the environment (``oeVessel``/``oeEnvironment``)."""
    data: list[str] = Field(default_factory=list)
    """Input data items to store (``obj.<name>``)."""
    supports: list[Annotated[int, Field(ge=1)] | SupportSelection] = Field(default_factory=list)
    """Support points (``oeSupport``) to store: an index, or ``{index, line}``. Only
    variables whose name contains ``support`` are read there."""

    def support_points(self) -> list[tuple[int, str | None]]:
        """``(index, supported line or None)`` of each selected support, in order."""
        out: list[tuple[int, str | None]] = []
        for item in self.supports:
            if isinstance(item, int):
                out.append((item, None))
            else:
                out.append((item.index, item.line))
        return out

    def node_numbers(self, count: int) -> list[int]:
        """The selected node numbers of a line with ``count`` nodes."""
        if self.nodes == "all":
            return list(range(1, count + 1))
        if self.nodes == "none":
            return []
        if isinstance(self.nodes, NodesEvery):
            chosen = list(range(1, count + 1, self.nodes.every))
            if count and chosen[-1] != count:
                chosen.append(count)
            return chosen
        return sorted(set(self.nodes))


class Selection(BaseModel):
    """A whole export selection."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    objects: dict[str, ObjectSelection | None] | None = None
    """Objects to export (default: all), each with its own selection."""

    def for_object(self, name: str) -> ObjectSelection | None:
        """The selection of object ``name``; ``None`` when it is not exported."""
        if self.objects is None:
            return ObjectSelection()
        if name not in self.objects:
            return None
        return self.objects[name] or ObjectSelection()


ALL = Selection()
"""The selection that exports everything."""


def load_selection(select: Mapping[str, Any] | str | os.PathLike[str] | None) -> Selection:
    """Validate a selection given as a mapping or a YAML file (``None``: everything).

    :raises SelectionError: unreadable file, bad YAML or an invalid key, naming it.
    """
    if select is None:
        return ALL
    where = "export selection"
    raw: Any = select
    if isinstance(select, str | os.PathLike):
        import yaml

        path = Path(select)
        where = f"select file {path}"
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise SelectionError(f"{where}: cannot read it ({exc})") from exc
    if raw is None:
        return ALL
    if not isinstance(raw, Mapping):
        raise SelectionError(f"{where}: expected a mapping with 'objects:', got {raw!r}")
    try:
        return Selection.model_validate(dict(raw))
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc'])}: {error['msg']}" for error in exc.errors()
        )
        raise SelectionError(f"{where}: {problems}") from exc
