"""Synthetic simulation archives for plugin tests.

:func:`write_archives` writes a small batch of result archives (built on
:mod:`ofxpost._tools.synth`) with the objects, riser variables, durations and faults a
test chooses, plus ``load_matrix.csv``::

    from ofxpost.testing import write_archives

    sims = write_archives(tmp_path / "sims", cases=3, variables=["Effective tension"],
                          duration=[20.0, 30.0, 40.0], faults={2: "truncated"})
    sims.paths          # [.../case_001.ofx.parquet, ..., .../case_003.ofx.parquet]
    sims.load_matrix    # .../load_matrix.csv (one row per case, probabilities sum to 1)

Every archive opens with :func:`ofxpost._archive.open_archive` and answers the
OrcFxAPI calls (``model["Riser"].TimeHistory(...)``, ``RangeGraph``, ...), so an
extractor written for OrcaFlex runs on it unchanged.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ofxpost._tools.synth import BAD_KINDS, LOAD_MATRIX, LoadCase

ALWAYS_KEPT: tuple[str, ...] = ("General", "Environment")
"""Objects every archive keeps, whatever ``objects`` chooses (every OrcaFlex model has them)."""

SYNTH_OBJECTS: tuple[str, ...] = ("General", "Environment", "Vessel", "Riser")
"""The objects of a synthetic archive (``Riser`` is a line, ``Vessel`` a vessel)."""

DEFAULTS: dict[str, float | int] = {"duration": 30.0, "dt": 0.5, "nodes": 9}
"""Small defaults, so a test batch is written in well under a second."""


@dataclass(frozen=True)
class Archives:
    """What :func:`write_archives` wrote."""

    folder: Path
    """The folder holding the archives and the load matrix."""
    paths: list[Path]
    """Every input file, in case order (faulty ones included)."""
    load_matrix: Path
    """``load_matrix.csv`` (``case_id, file, hs, tp, wave_heading, current_speed,
    probability``)."""
    cases: list[LoadCase]
    """The load cases, in case order."""
    faults: dict[int, str]
    """Index (0-based, into :attr:`paths`) -> the fault written there."""

    @property
    def good(self) -> list[Path]:
        """The archives written without a fault."""
        return [p for i, p in enumerate(self.paths) if i not in self.faults]


def _per_case(name: str, value: float | Sequence[float], cases: int) -> list[float]:
    if isinstance(value, (int, float)):
        return [float(value)] * cases
    values = [float(v) for v in value]
    if len(values) != cases:
        raise ValueError(f"{name}: {len(values)} values given for {cases} cases")
    return values


def _keep_objects(path: Path, objects: Sequence[str]) -> None:
    """Rewrite the archive at ``path`` with only ``objects`` (and :data:`ALWAYS_KEPT`)."""
    import pyarrow.parquet as pq

    from ofxpost._archive.format import METADATA_KEY, TIME_COLUMN, parse_metadata
    from ofxpost._archive.writer import write_archive

    parquet = pq.ParquetFile(path)
    info, _count = parse_metadata(path, (parquet.metadata.metadata or {}).get(METADATA_KEY))
    keep = set(objects) | set(ALWAYS_KEPT)
    info.objects = [o for o in info.objects if o.name in keep]
    info.creator = ""
    table = parquet.read(columns=[TIME_COLUMN, *info.columns()])
    parquet.close()
    data = {name: table.column(name).to_numpy() for name in table.column_names}
    write_archive(path, info, data)


def write_archives(
    folder: str | os.PathLike[str],
    cases: int = 3,
    *,
    objects: Sequence[str] | None = None,
    variables: Sequence[str] | None = None,
    duration: float | Sequence[float] = DEFAULTS["duration"],
    dt: float = DEFAULTS["dt"],
    nodes: int = int(DEFAULTS["nodes"]),
    seed: int = 1,
    faults: Mapping[int, str] | None = None,
) -> Archives:
    """Write ``cases`` synthetic archives and ``load_matrix.csv`` into ``folder``.

    :param cases: number of load cases (files ``case_001.ofx.parquet`` ...).
    :param objects: objects to keep, from :data:`SYNTH_OBJECTS` (default: all);
        ``General`` and ``Environment`` are always kept.
    :param variables: riser variables (default: ``Effective tension``, ``Bend
        moment``, ``Curvature``, ``X``, ``Y``, ``Z``, ``Declination``; any of
        :data:`ofxpost._tools.physics.LINE_VARIABLES`).
    :param duration: seconds simulated after the build-up: one value for every
        case, or one per case.
    :param dt: log sample interval (s).
    :param nodes: riser nodes.
    :param seed: seed of the load cases and the wave phases (same seed, same bytes).
    :param faults: ``{index: kind}``: replace file ``index`` (0-based) with a broken
        input of ``kind`` (one of :data:`ofxpost._tools.synth.BAD_KINDS`: ``truncated``,
        ``not_parquet``, ``empty``, ``incomplete``, ``unstable``, ``wrong_version``);
        it keeps its name, so its load-matrix row still matches it.

    Example::

        sims = write_archives(tmp_path / "sims", cases=4, objects=["Riser"],
                              faults={3: "not_parquet"})
        assert len(sims.good) == 3

    :raises ValueError: naming the bad argument.
    """
    from ofxpost._tools.synth import _write_load_matrix, generate_case, load_cases, make_bad_file

    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    durations = _per_case("duration", duration, cases)
    chosen_faults = dict(faults or {})
    for index, kind in chosen_faults.items():
        if not 0 <= index < cases:
            raise ValueError(f"faults: index {index} is outside 0..{cases - 1}")
        if kind not in BAD_KINDS:
            raise ValueError(f"faults: unknown fault {kind!r} at {index}; choose from {BAD_KINDS}")
    if objects is not None:
        unknown = [o for o in objects if o not in SYNTH_OBJECTS]
        if unknown:
            raise ValueError(f"objects: unknown {unknown}; choose from {list(SYNTH_OBJECTS)}")
    table = load_cases(cases, seed)
    paths: list[Path] = []
    for index, (case, length) in enumerate(zip(table, durations, strict=True)):
        path = target / f"{case.file}.ofx.parquet"
        if index in chosen_faults:
            make_bad_file(path, chosen_faults[index])
        else:
            generate_case(
                path,
                hs=case.hs,
                tp=case.tp,
                heading=case.wave_heading,
                current=case.current_speed,
                duration=length,
                dt=dt,
                nodes=nodes,
                seed=(int(seed) << 16) + case.case_id,
                variables=variables,
                extra={"case_id": case.case_id, "probability": case.probability},
            )
            if objects is not None:
                _keep_objects(path, objects)
        paths.append(path)
    matrix = _write_load_matrix(target / LOAD_MATRIX, table)
    return Archives(target, paths, matrix, table, chosen_faults)
