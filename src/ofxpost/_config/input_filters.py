"""Input filters: narrow the files ``inputs`` finds, and pair ``.sim`` files with archives.

The ``input_filters`` config section (declared by the built-in loaders) holds

* ``contains``: every one of these texts must be in the file name;
* ``not_contains``: none of these texts may be in the file name;
* ``sim_archives``: a ``.sim`` file and the archive exported from it
  (``case.sim`` and ``case.ofx.parquet`` in the same folder) are one simulation.
  An ``inputs`` entry naming ``.sim`` files also finds those archives; of each
  pair the ``.sim`` is read where OrcFxAPI imports, else the archive.

digitalmodel opp configs are translated to this section (their
``file_management`` filters, and every opp config that names ``.sim`` files).

:func:`select_inputs` is the pure part (paths in, paths out);
:func:`active_filters`, :func:`archive_entry`, :func:`expand` and :func:`apply` are
what the plan's ``resolve_inputs`` calls; :func:`pairing_event` describes what the
pairing chose, for the ``inputs_paired`` event.
"""

from __future__ import annotations

import glob
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from ofxpost._config.safe_glob import recursive_glob
from ofxpost.errors import ConfigError

if TYPE_CHECKING:
    from ofxpost._config.model import Config

SECTION = "input_filters"
"""The config section's name."""

ARCHIVE_SUFFIX = ".ofx.parquet"
"""What ``ofxpost export`` appends to a simulation's stem."""
SIM_SUFFIX = ".sim"


class InputFilters(BaseModel):
    """The ``input_filters`` section: which of the files ``inputs`` found are read."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    contains: list[str] = Field(default_factory=list)
    """Keep a file only if its name contains every one of these texts (case-sensitive)."""
    not_contains: list[str] = Field(default_factory=list)
    """Drop a file whose name contains any of these texts (case-sensitive)."""
    sim_archives: bool = False
    """``.sim`` entries also find the archives exported from them (``case.sim`` <->
    ``case.ofx.parquet``); of each pair the ``.sim`` is read where OrcFxAPI imports,
    else the archive."""

    @property
    def active(self) -> bool:
        """Whether the section changes anything."""
        return bool(self.contains or self.not_contains or self.sim_archives)


@dataclass(frozen=True)
class Pair:
    """One simulation found both ways, or found only as its archive."""

    named: Path
    """The ``.sim`` path the config names (it may not exist)."""
    read: Path
    """The file that is read."""


@dataclass(frozen=True)
class Selection:
    """What :func:`select_inputs` kept."""

    paths: list[Path]
    """The files to read, in input order."""
    pairs: list[Pair] = field(default_factory=list)
    """``.sim`` files and the file read for each (``sim_archives`` only)."""
    dropped: int = 0
    """Files the name filters removed."""


def sim_key(path: Path) -> Path | None:
    """``folder/stem`` of a ``.sim`` or of an archive exported from one; else ``None``."""
    name = path.name
    lower = name.lower()
    if lower.endswith(ARCHIVE_SUFFIX):
        return path.with_name(name[: -len(ARCHIVE_SUFFIX)])
    if lower.endswith(SIM_SUFFIX):
        return path.with_name(name[: -len(SIM_SUFFIX)])
    return None


def name_matches(name: str, filters: InputFilters) -> bool:
    """Whether a file name passes ``contains`` and ``not_contains``."""
    return all(text in name for text in filters.contains) and not any(
        text in name for text in filters.not_contains
    )


def select_inputs(paths: Sequence[Path], filters: InputFilters, *, orcfxapi: bool) -> Selection:
    """Apply ``filters`` to ``paths`` (pure: no file system access).

    The name filters look at the file name only (not the folders). With
    ``sim_archives``, a ``.sim`` and an archive of the same folder and stem are one
    simulation: the ``.sim`` is kept when ``orcfxapi`` is true, else the archive; it
    takes the position of whichever of the two came first.

    :param paths: the files ``inputs`` found, in input order, without duplicates.
    :param orcfxapi: whether OrcFxAPI imports here.
    """
    kept = [p for p in paths if name_matches(p.name, filters)]
    dropped = len(paths) - len(kept)
    if not filters.sim_archives:
        return Selection(kept, [], dropped)
    groups: dict[Path, list[Path]] = {}
    order: list[Path | None] = []
    singles: list[Path] = []
    for path in kept:
        key = sim_key(path)
        if key is None:
            order.append(None)
            singles.append(path)
            continue
        if key not in groups:
            groups[key] = []
            order.append(key)
        groups[key].append(path)
    chosen: list[Path] = []
    pairs: list[Pair] = []
    single = iter(singles)
    for key in order:
        if key is None:
            chosen.append(next(single))
            continue
        members = groups[key]
        sims = [p for p in members if p.name.lower().endswith(SIM_SUFFIX)]
        archives = [p for p in members if p.name.lower().endswith(ARCHIVE_SUFFIX)]
        sim = sims[0] if sims else None
        archive = archives[0] if archives else None
        if sim is not None and (orcfxapi or archive is None):
            chosen.append(sim)
            if archive is not None:
                pairs.append(Pair(sim, sim))
        elif archive is not None:
            chosen.append(archive)
            pairs.append(Pair(sim or key.with_name(key.name + SIM_SUFFIX), archive))
    return Selection(chosen, pairs, dropped)


def archive_entry(entry: str) -> str | None:
    """The ``inputs`` entry for the archives of a ``.sim`` entry (``None`` otherwise)."""
    if entry.lower().endswith(SIM_SUFFIX):
        return entry[: -len(SIM_SUFFIX)] + ARCHIVE_SUFFIX
    return None


def expand(resolved: Path, entry: str, loops: list[str] | None = None) -> list[Path]:
    """The files one ``inputs`` entry names: its glob matches (sorted), or the file.

    A ``**`` walk never follows a symbolic-link loop (:mod:`ofxpost._config.safe_glob`); each
    loop met is described in ``loops`` when it is given.
    """
    if glob.has_magic(entry):
        found, met = recursive_glob(resolved)
        if loops is not None:
            loops.extend(met)
        return found
    return [resolved] if resolved.is_file() else []


def orcfxapi_available() -> bool:
    """Whether ``import OrcFxAPI`` works here."""
    from ofxpost import ofx

    return bool(ofx.HAVE_ORCFXAPI)


def active_filters(config: Config) -> InputFilters | None:
    """The config's ``input_filters`` section when it selects anything, else ``None``."""
    filters = config.sections.get(SECTION)
    if not isinstance(filters, InputFilters) or not filters.active:
        return None
    return filters


def apply(paths: Sequence[Path], filters: InputFilters, label: str = "") -> list[Path]:
    """The files that ``filters`` keep of ``paths`` (found by ``inputs``, in input order).

    :raises ConfigError: when no file is left, naming the filters.
    """
    selection = select_inputs(paths, filters, orcfxapi=orcfxapi_available())
    if not selection.paths:
        raise ConfigError(
            f"{label}key '{SECTION}': no input file is left: {len(paths)} found, none has "
            f"a name containing all of {filters.contains} and none of {filters.not_contains}"
        )
    return selection.paths


def pairing_event(config: Config, paths: Sequence[Path]) -> dict[str, Any] | None:
    """Fields of the ``inputs_paired`` event for the files a plan reads (or ``None``).

    Says, for every simulation found both as ``.sim`` and as archive, or found only
    as an archive where the config names ``.sim`` files, which file is read and why.
    """
    filters = config.sections.get(SECTION)
    if not isinstance(filters, InputFilters) or not filters.sim_archives:
        return None
    orcfxapi = orcfxapi_available()
    files: list[dict[str, str]] = []
    for path in paths:
        key = sim_key(path)
        if key is None:
            continue
        sim = key.with_name(key.name + SIM_SUFFIX)
        archive = key.with_name(key.name + ARCHIVE_SUFFIX)
        if path == archive or archive.is_file():
            files.append({"named": str(sim), "read": str(path)})
    if not files:
        return None
    reader = "orcfxapi" if orcfxapi else "archive"
    reason = (
        "OrcFxAPI imports here: a .sim is read with it (its archive is not read); a "
        ".sim that is missing is read from its archive"
        if orcfxapi
        else "OrcFxAPI cannot be imported here: the archives exported from the named "
        ".sim files are read"
    )
    return {"reader": reader, "reason": reason, "count": len(files), "files": files}
