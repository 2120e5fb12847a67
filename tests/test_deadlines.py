"""The one per-file deadline mechanism (``_engine/deadlines.py``), on asyncio and trio."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import anyio
import anyio.lowlevel
import pytest

from ofxpost._core.loop_bridge import LoopBridge
from ofxpost._engine.deadlines import Deadlines


def _run(backend: str, main: Callable[[], Awaitable[None]]) -> None:
    anyio.run(main, backend=backend)


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_an_expired_deadline_calls_once_and_a_disarmed_one_never(backend: str) -> None:
    fired: list[int] = []

    async def main() -> None:
        deadlines = Deadlines()
        done = anyio.Event()

        def last() -> None:
            fired.append(3)
            done.set()

        async with deadlines.running():
            deadlines.arm(1, 0.0, lambda: fired.append(1))
            deadlines.arm(2, 0.0, lambda: fired.append(2))
            deadlines.disarm(2)
            deadlines.arm(3, 0.0, last)
            with anyio.fail_after(10):
                await done.wait()
            assert not deadlines.armed(1) and not deadlines.armed(3)

    _run(backend, main)
    assert fired == [1, 3]  # in the order armed; 2 was disarmed before it expired


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_arming_from_a_loop_callback_outside_any_task(backend: str) -> None:
    """Workers' start callbacks arm deadlines from the bridge, outside any task."""
    fired: list[int] = []

    async def main() -> None:
        deadlines = Deadlines()
        done = anyio.Event()
        bridge = LoopBridge.current()

        def expire() -> None:
            fired.append(5)
            done.set()

        async with deadlines.running():
            bridge.call_soon(lambda: deadlines.arm(5, 0.0, expire))
            with anyio.fail_after(10):
                await done.wait()

    _run(backend, main)
    assert fired == [5]


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_re_arming_replaces_the_deadline(backend: str) -> None:
    fired: list[str] = []

    async def main() -> None:
        deadlines = Deadlines()
        done = anyio.Event()

        def soon() -> None:
            fired.append("soon")
            done.set()

        async with deadlines.running():
            deadlines.arm(7, 3600.0, lambda: fired.append("late"))
            await anyio.lowlevel.checkpoint()  # the watcher sleeps until the late one
            deadlines.arm(7, 0.0, soon)  # earlier: the watcher wakes up for it
            with anyio.fail_after(10):
                await done.wait()
            assert not deadlines.armed(7)

    _run(backend, main)
    assert fired == ["soon"]


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_a_far_deadline_stays_armed_and_leaving_the_block_stops_the_watcher(
    backend: str,
) -> None:
    fired: list[int] = []

    async def main() -> None:
        deadlines = Deadlines()
        async with deadlines.running():
            deadlines.arm(1, 3600.0, lambda: fired.append(1))
            await anyio.lowlevel.checkpoint()
            assert deadlines.armed(1)

    _run(backend, main)
    assert fired == []
