"""Written tables as bytes, for byte-identity checks."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

NONDETERMINISTIC_TABLES: frozenset[str] = frozenset({"run_log"})
"""Tables that describe one run (durations, worker pids) and differ between runs."""


def table_bytes(
    output_dir: Path,
    deterministic_only: bool = True,
    names: Collection[str] | None = None,
) -> dict[str, bytes]:
    """Every CSV and Parquet table under ``output_dir`` as bytes, by relative path.

    :param deterministic_only: leave out ``run_log`` (durations, pids: it
        describes one run).
    :param names: only these tables (by table name, e.g. ``"fatigue_life"``).

    The result store (``.ofxpost/``) is never included. Example::

        assert table_bytes(run_a.output_dir) == table_bytes(run_b.output_dir)
    """
    out: dict[str, bytes] = {}
    for path in sorted(output_dir.rglob("*")):
        if path.suffix not in (".csv", ".parquet") or ".ofxpost" in path.parts:
            continue
        if deterministic_only and path.stem in NONDETERMINISTIC_TABLES:
            continue
        if names is not None and path.stem not in names:
            continue
        out[str(path.relative_to(output_dir).as_posix())] = path.read_bytes()
    return out
