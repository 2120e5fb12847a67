"""Synthetic simulations: result archives that look like OrcaFlex riser analyses.

* :func:`generate_case` -- one archive for one sea state (Hs, Tp, heading, current);
* :func:`generate_batch` -- ``cases`` archives ``case_001.ofx.parquet`` ... plus
  ``load_matrix.csv`` (``case_id, file, hs, tp, wave_heading, current_speed,
  probability``; probabilities sum to 1);
* :func:`make_bad_file` -- broken inputs for tests (truncated, not Parquet, empty,
  incomplete, unstable, wrong format version).

Each archive holds ``General``, ``Environment`` (``Elevation``), ``Vessel`` (``X``,
``Y``, ``Z``, ``Rotation 1-3``) and the line ``Riser`` (``Effective tension``,
``Wall tension``, ``Bend moment``, signed ``x bend moment`` and ``y bend moment``
(they reverse: the in-plane moment with the vessel pitch at the hang-off, the
out-of-plane one with the sway), ``Curvature``, ``X``, ``Y``, ``Z``,
``Declination`` by default) at
End A, every node, End B and the touchdown point; a build-up stage with a negative
start time; state ``SimulationStopped``; static values. With ``supports=n`` an archive
also holds the 6D buoy ``Bellmouth`` with support results at supports 1..n
(:mod:`ofxpost._tools.supports`); by default it has none (and the bytes are unchanged).
The physics is in :mod:`ofxpost._tools.physics`. Output is deterministic: the same arguments give
byte-identical files.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from ofxpost._archive.format import (
    ARCHIVE_SUFFIX,
    METADATA_KEY,
    TIME_COLUMN,
    ArchiveInfo,
)
from ofxpost._tools import physics as phys
from ofxpost._tools.layout import environment_data, layout, sample, static_values

DEFAULT_DURATION = 120.0
"""Seconds simulated after the build-up."""
DEFAULT_DT = 0.25
"""Log sample interval (s)."""
DEFAULT_NODES = 41
"""Riser nodes (End A to End B)."""
BYTES_PER_VALUE = 4.9
"""Approximate stored bytes per sample value (float64 after compression), for sizing."""

LOAD_MATRIX = "load_matrix.csv"
"""File name of the load matrix :func:`generate_batch` writes."""

BadKind = Literal["truncated", "not_parquet", "empty", "incomplete", "unstable", "wrong_version"]
BAD_KINDS: tuple[str, ...] = (
    "truncated",
    "not_parquet",
    "empty",
    "incomplete",
    "unstable",
    "wrong_version",
)
"""Kinds :func:`make_bad_file` makes."""


@dataclass(frozen=True)
class LoadCase:
    """One row of the load matrix."""

    case_id: int
    file: str
    hs: float
    tp: float
    wave_heading: float
    current_speed: float
    probability: float


@dataclass(frozen=True)
class SynthBatch:
    """What :func:`generate_batch` wrote."""

    out_dir: Path
    paths: list[Path]
    """The archives, in case order."""
    load_matrix: Path
    """``load_matrix.csv``."""
    cases: list[LoadCase]
    """The load cases, in case order."""


# --------------------------------------------------------------------------- one case


def _check(name: str, value: float, minimum: float = 0.0) -> None:
    if not math.isfinite(value) or value <= minimum:
        raise ValueError(f"{name} must be a number > {minimum:g}, not {value!r}")


def generate_case(
    path: str | os.PathLike[str],
    *,
    hs: float,
    tp: float,
    heading: float,
    current: float,
    duration: float = DEFAULT_DURATION,
    dt: float = DEFAULT_DT,
    nodes: int = DEFAULT_NODES,
    seed: int = 0,
    variables: Sequence[str] | None = None,
    build_up: float | None = None,
    chunk_rows: int | None = None,
    extra: dict[str, Any] | None = None,
    supports: int = 0,
) -> Path:
    """Write one synthetic simulation archive.

    :param hs: significant wave height (m).
    :param tp: spectral peak period (s).
    :param heading: wave (and current) direction (deg, 0 = +X).
    :param current: current speed (m/s).
    :param duration: simulated seconds after the build-up (stop time).
    :param dt: log sample interval (s).
    :param nodes: riser nodes (End A to End B, at least 2).
    :param seed: random seed of the wave phases.
    :param variables: riser variables (default
        :data:`~ofxpost._tools.physics.DEFAULT_LINE_VARIABLES`; any of
        :data:`~ofxpost._tools.physics.LINE_VARIABLES`).
    :param build_up: build-up duration (s; default: Tp rounded up to a whole
        number of samples); the simulation starts at ``-build_up``.
    :param chunk_rows: samples per generated chunk (default: about 32 MB).
    :param extra: more facts for the metadata's ``extra``.
    :param supports: supports of a 6D buoy ``Bellmouth`` (0: no such buoy).
    :returns: the path written.
    """
    for name, value in (("hs", hs), ("tp", tp), ("duration", duration), ("dt", dt)):
        _check(name, float(value))
    if nodes < 2:
        raise ValueError(f"nodes must be at least 2, not {nodes}")
    if supports < 0:
        raise ValueError(f"supports must be 0 or more, not {supports}")
    chosen = tuple(variables) if variables is not None else phys.DEFAULT_LINE_VARIABLES
    unknown = [v for v in chosen if v not in phys.LINE_VARIABLES]
    if unknown or not chosen:
        raise ValueError(
            f"unknown riser variables {unknown}; choose from {list(phys.LINE_VARIABLES)}"
        )
    build = math.ceil(float(tp) / dt - 1e-9) * dt if build_up is None else float(build_up)
    if build < 0:
        raise ValueError(f"build_up must be >= 0, not {build}")
    start = -build
    count = round((float(duration) - start) / dt) + 1
    times = start + np.arange(count, dtype=np.float64) * dt
    rng = np.random.default_rng(seed)
    sea = phys.make_sea(rng, float(hs), float(tp), float(heading), float(current), start, build)
    cat = phys.catenary()
    arcs = phys.node_arclengths(nodes)
    objects = layout(chosen, nodes, environment_data(hs, tp, heading, current, seed), supports)
    static = sample(sea, phys.static_motions(sea), arcs, chosen, cat, supports)
    static_values(objects, static)
    wave = phys.latest_wave(sea, times)
    columns = 1 + sum(len(p) for info in objects for p in info.results.values())
    rows = chunk_rows or max(256, (32 * 1024 * 1024) // (8 * columns))

    def chunks() -> Iterator[dict[str, np.ndarray[Any, Any]]]:
        for first in range(0, count, rows):
            part = times[first : first + rows]
            data = sample(sea, phys.motions(sea, part), arcs, chosen, cat, supports)
            data[TIME_COLUMN] = part
            yield data

    info = ArchiveInfo(
        state=4,  # SimulationStopped
        simulation_complete=True,
        start_time=start,
        stop_time=float(duration),
        current_time=float(times[-1]),
        stage_durations=[build, float(duration)],
        log_sample_interval=float(dt),
        objects=objects,
        latest_wave=None if wave is None else (float(times[wave[0]]), float(times[wave[1]])),
        source_file=f"{Path(path).name.removesuffix(ARCHIVE_SUFFIX)}.sim",
        source_creator="ofxpost.synth",
        extra={
            "synthetic": {
                "hs": float(hs),
                "tp": float(tp),
                "wave_heading": float(heading),
                "current_speed": float(current),
                "seed": int(seed),
            },
            **(extra or {}),
        },
    )
    from ofxpost._archive.writer import write_archive

    return write_archive(path, info, chunks())


# ------------------------------------------------------------------------- a batch


def load_cases(cases: int, seed: int = 0) -> list[LoadCase]:
    """``cases`` deterministic load cases (Hs 1-5 m, Tp from Hs, 8 headings, 3 currents).

    Probabilities are proportional to exp(−Hs), rounded to 6 decimals, the last
    one adjusted so that they sum to exactly 1 (as decimals).
    """
    if cases < 1:
        raise ValueError(f"cases must be at least 1, not {cases}")
    rng = np.random.default_rng([int(seed), 7919])
    headings = (0.0, 45.0, 90.0, 135.0, 180.0, 225.0, 270.0, 315.0)
    currents = (0.3, 0.6, 0.9)
    rows: list[tuple[float, float, float, float]] = []
    for index in range(cases):
        hs = round(float(rng.uniform(1.0, 5.0)), 2)
        tp = round(4.2 * math.sqrt(hs) + float(rng.uniform(0.0, 3.0)), 2)
        rows.append((hs, tp, headings[index % 8], currents[(index // 8) % 3]))
    weights = np.array([math.exp(-hs) for hs, *_ in rows])
    micro = np.round(weights / weights.sum() * 1_000_000).astype(np.int64)
    micro[-1] = 1_000_000 - int(micro[:-1].sum())
    return [
        LoadCase(i + 1, f"case_{i + 1:03d}", hs, tp, heading, current, int(micro[i]) / 1e6)
        for i, (hs, tp, heading, current) in enumerate(rows)
    ]


def _write_load_matrix(path: Path, cases: list[LoadCase]) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["case_id", "file", "hs", "tp", "wave_heading", "current_speed", "probability"])
    for case in cases:
        writer.writerow(
            [
                case.case_id,
                case.file,
                repr(case.hs),
                repr(case.tp),
                repr(case.wave_heading),
                repr(case.current_speed),
                f"{case.probability:.6f}",
            ]
        )
    path.write_text(buffer.getvalue(), encoding="utf-8", newline="")
    return path


def duration_for_size(
    target_bytes: int, dt: float = DEFAULT_DT, nodes: int = DEFAULT_NODES, variables: int = 7
) -> float:
    """Duration (s) that makes an archive of about ``target_bytes``."""
    columns = 1 + 1 + len(phys.VESSEL_VARIABLES) + variables * (nodes + 3)
    overhead = 40_000.0 + 150.0 * columns  # footer and metadata
    samples = max(8.0, (float(target_bytes) - overhead) / (columns * BYTES_PER_VALUE))
    return max(dt * 8.0, round(samples * dt, 6))


def generate_batch(
    out_dir: str | os.PathLike[str],
    cases: int = 24,
    *,
    seed: int = 0,
    duration: float | None = None,
    dt: float | None = None,
    nodes: int | None = None,
    target_bytes: int | None = None,
    size: int | str | None = None,
    variables: Sequence[str] | None = None,
    supports: int = 0,
) -> SynthBatch:
    """Write ``cases`` archives and ``load_matrix.csv`` into ``out_dir``.

    :param duration: seconds after build-up (default 120 s, or what
        ``target_bytes`` needs).
    :param dt: log sample interval (default 0.25 s).
    :param nodes: riser nodes (default 41).
    :param target_bytes: approximate size of each archive (sets ``duration``
        when it is not given); ``size`` is the same as text (``"20MB"``).
    :param variables: riser variables (see :func:`generate_case`).
    :param supports: supports of a 6D buoy ``Bellmouth`` in every archive (0: none).
    """
    if size is not None and target_bytes is None:
        from ofxpost._core.sizes import parse_size

        target_bytes = parse_size(size)
    step = float(dt) if dt is not None else DEFAULT_DT
    count = int(nodes) if nodes is not None else DEFAULT_NODES
    chosen = tuple(variables) if variables is not None else phys.DEFAULT_LINE_VARIABLES
    if duration is None:
        duration = (
            duration_for_size(int(target_bytes), step, count, len(chosen))
            if target_bytes
            else DEFAULT_DURATION
        )
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    table = load_cases(cases, seed)
    paths = [
        generate_case(
            folder / f"{case.file}{ARCHIVE_SUFFIX}",
            hs=case.hs,
            tp=case.tp,
            heading=case.wave_heading,
            current=case.current_speed,
            duration=float(duration),
            dt=step,
            nodes=count,
            seed=(int(seed) << 16) + case.case_id,
            variables=chosen,
            extra={"case_id": case.case_id, "probability": case.probability},
            supports=supports,
        )
        for case in table
    ]
    matrix = _write_load_matrix(folder / LOAD_MATRIX, table)
    return SynthBatch(folder, paths, matrix, table)


# ------------------------------------------------------------------------ bad files


def make_bad_file(path: str | os.PathLike[str], kind: BadKind | str) -> Path:
    """Write a broken input of ``kind`` (see :data:`BAD_KINDS`) at ``path``.

    ``truncated``: a valid archive cut in half; ``not_parquet``: text;
    ``empty``: 0 bytes; ``incomplete``: a valid archive of a simulation still
    running (``RunningSimulation``, ``simulationComplete`` false);
    ``unstable``: stopped ``SimulationStoppedUnstable``; ``wrong_version``: a
    valid Parquet file whose metadata says format version 99.0.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    small = {
        "hs": 2.0,
        "tp": 8.0,
        "heading": 0.0,
        "current": 0.5,
        "duration": 16.0,
        "dt": 0.5,
        "nodes": 5,
    }
    if kind == "empty":
        target.write_bytes(b"")
    elif kind == "not_parquet":
        target.write_text("this is not a simulation archive\n", encoding="utf-8")
    elif kind == "truncated":
        generate_case(target, **small)  # type: ignore[arg-type]
        data = target.read_bytes()
        target.write_bytes(data[: len(data) // 2])
    elif kind in ("incomplete", "unstable", "wrong_version"):
        generate_case(target, **small)  # type: ignore[arg-type]
        _rewrite_metadata(target, kind)
    else:
        raise ValueError(f"unknown bad-file kind {kind!r}; choose from {list(BAD_KINDS)}")
    return target


def _rewrite_metadata(path: Path, kind: str) -> None:
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    metadata = json.loads(pq.ParquetFile(path).metadata.metadata[METADATA_KEY])
    model = metadata["model"]
    if kind == "incomplete":
        cut = table.num_rows // 2
        table = table.slice(0, cut)
        model.update(
            state="RunningSimulation",
            state_value=3,
            simulation_complete=False,
            current_time=float(table.column(TIME_COLUMN)[cut - 1].as_py()),
            sample_count=cut,
            latest_wave=None,
        )
    elif kind == "unstable":
        model.update(state="SimulationStoppedUnstable", state_value=5, simulation_complete=False)
    else:
        metadata["format_version"] = "99.0"
    payload = json.dumps(metadata, allow_nan=False, separators=(",", ":")).encode()
    with pq.ParquetWriter(path, table.schema, compression="zstd", store_schema=False) as writer:
        writer.write_table(table)
        writer.add_key_value_metadata({METADATA_KEY: payload})
