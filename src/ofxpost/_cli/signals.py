"""Ctrl-C and SIGTERM cancel the command's batch (exit code 130)."""

from __future__ import annotations

import signal
from collections.abc import Callable
from types import FrameType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import anyio


def install_signal_handlers(scope: anyio.CancelScope) -> Callable[[], None]:
    """Cancel ``scope`` on SIGINT/SIGTERM; return a function that restores handlers."""
    import asyncio

    from ofxpost._core.loop_bridge import LoopBridge

    loop = asyncio.get_running_loop()
    bridge = LoopBridge.current()
    signals = [signal.SIGINT, signal.SIGTERM]
    try:
        for sig in signals:
            loop.add_signal_handler(sig, scope.cancel)
    except (NotImplementedError, RuntimeError):  # Windows: no loop signal handlers
        previous = {sig: signal.getsignal(sig) for sig in signals}

        def handler(signum: int, frame: FrameType | None) -> None:
            bridge.call_soon(scope.cancel)

        for sig in signals:
            signal.signal(sig, handler)

        def restore_plain() -> None:
            for sig, old in previous.items():
                signal.signal(sig, old)

        return restore_plain

    def restore() -> None:
        for sig in signals:
            loop.remove_signal_handler(sig)

    return restore
