"""A batch started by a worker that is re-importing the user's script.

Workers are spawned (the only start method on Windows), and a spawned process runs
the parent's main script again, as ``__mp_main__``, before it does anything else. A
script that calls ``ofxpost.run`` outside ``if __name__ == "__main__":`` therefore
starts a whole batch inside each worker as it starts. Without this module that showed
as an ``OutputDirLockedError`` traceback per worker, then a pool "exited with code
None while starting", then every file run in the controller with exit 0.

Now the batch entry points call :func:`refuse_in_bootstrapping_worker`: in a process
that is still being bootstrapped by ``multiprocessing`` it writes one line naming the
script and the fix, and exits with :data:`REIMPORT_EXIT`. The pool recognises that code
(:func:`reimport_reason`) and the batch is refused (every file failed with the reason,
exit 1) instead of falling back to running the files in the controller.
"""

from __future__ import annotations

import multiprocessing
import sys
from types import FrameType

from ofxpost._core.printable import escape_controls, shown

REIMPORT_EXIT = 86
"""Exit code of a worker that refused to start a batch while re-importing the script."""

REIMPORT_PREFIX = "a worker process re-imported the main script"
"""How :func:`reimport_reason` begins (recognised by the engine's pool-failure rules)."""


def _main_script() -> str:
    """The script being imported as ``__mp_main__`` (found on the stack: it is not yet
    in ``sys.modules`` as ``__main__`` while it runs), else ``__main__``'s file."""
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        if frame.f_globals.get("__name__") == "__mp_main__":
            return str(frame.f_globals.get("__file__") or "the main module")
        frame = frame.f_back
    main = sys.modules.get("__main__")
    return str(getattr(main, "__file__", None) or "the main module")


def reimport_reason(script: str | None = None) -> str:
    """The one-line reason for a batch started at import time of ``script``."""
    where = escape_controls(shown(script if script is not None else _main_script()))
    return (
        f"{REIMPORT_PREFIX} '{where}', and it starts a batch when imported: "
        'put the ofxpost call under `if __name__ == "__main__":` '
        "(spawned workers import that script again; see docs/embedding.md)"
    )


def refuse_in_bootstrapping_worker() -> None:
    """Exit with :data:`REIMPORT_EXIT` if this process is a spawned child still
    importing its parent's main script; return otherwise.

    Called first by ``ofxpost.run_batch``, ``open_batch`` and ``watch_batch`` (which
    ``run`` and ``watch`` call).
    """
    if not getattr(multiprocessing.current_process(), "_inheriting", False):
        return
    sys.stderr.write(f"ofxpost: error: {reimport_reason()}\n")
    sys.stderr.flush()
    raise SystemExit(REIMPORT_EXIT)


__all__ = ["REIMPORT_EXIT", "REIMPORT_PREFIX", "refuse_in_bootstrapping_worker", "reimport_reason"]
