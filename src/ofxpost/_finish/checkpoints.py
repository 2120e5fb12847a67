"""Named points of the finish phase: a seam for crash tests.

Every step of the finish calls :func:`checkpoint` through this module
(``checkpoints.checkpoint(...)``), so a test that replaces the attribute here sees
every point: the end of aggregation, each writer, each file placed or removed.
"""

from __future__ import annotations

__all__ = ["checkpoint"]


def checkpoint(step: str) -> None:
    """A named point of the finish phase (a seam for crash tests; does nothing)."""
