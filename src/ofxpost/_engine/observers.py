"""Observer hooks called by the controller: a failing observer is a warning, never a failure."""

from __future__ import annotations

from typing import Any

import pluggy

from ofxpost._events.emitter import EventEmitter
from ofxpost._plugins.manager import call_each
from ofxpost._worker.controller_output import ControllerOutput


class Observers:
    """Calls observer hooks (``ofxpost_batch_started``, ``ofxpost_file_finished``, ...)."""

    def __init__(
        self, pm: pluggy.PluginManager, emitter: EventEmitter, output: ControllerOutput
    ) -> None:
        self.pm = pm
        self.emitter = emitter
        self.output = output

    def __call__(self, hook: str, *, alongside: bool = False, **kwargs: Any) -> None:
        """Call ``hook`` of every plugin; a failure becomes a ``warning`` event.

        ``sys.exit()`` or ``KeyboardInterrupt`` from an observer is a failure too.
        ``alongside``: a file may be running on another thread under its own
        capture (sequential mode), so the controller's output is not captured.
        """
        caller = getattr(self.pm.hook, hook)
        if not caller.get_hookimpls():  # the usual case, once per file: no observer
            return
        with self.output.captured(enabled=not alongside):
            outcomes = call_each(caller, contain_base_exceptions=True, **kwargs)
        for outcome in outcomes:
            if outcome.error is not None:
                self.emitter.emit(
                    "warning",
                    level="warning",
                    message=f"{hook} of plugin {outcome.plugin!r} failed: {outcome.error!r}",
                )


__all__ = ["Observers"]
