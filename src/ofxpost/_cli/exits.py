"""The command line's exit codes: one table from exception to exit code.

=============================  =====  ===========================================
raised out of a command        exit   meaning
=============================  =====  ===========================================
``ConfigError`` (and below)    2      unusable config, arguments or options
``UnsupportedLoopError``       2      the call cannot run here as given
``KeyboardInterrupt``          130    cancelled
any other ``OfxpostError``     1      the command failed; the message says why
=============================  =====  ===========================================

A batch that runs to its end returns its own code (0 every file fully ok, 1 some file
partial or failed, 130 cancelled) and raises nothing.
"""

from __future__ import annotations

from ofxpost._core.result import EXIT_CANCELLED, EXIT_CONFIG, EXIT_FAILURES
from ofxpost.errors import ConfigError, OfxpostError, UnsupportedLoopError

EXIT_CODES: tuple[tuple[type[BaseException], int], ...] = (
    (ConfigError, EXIT_CONFIG),
    (UnsupportedLoopError, EXIT_CONFIG),
    (KeyboardInterrupt, EXIT_CANCELLED),
    (OfxpostError, EXIT_FAILURES),
)
"""``(exception class, exit code)``, most specific first; the first match wins."""


def exit_code_for(exc: BaseException) -> int | None:
    """The exit code for ``exc`` raised out of a command, or ``None`` (not ours: a bug)."""
    for kind, code in EXIT_CODES:
        if isinstance(exc, kind):
            return code
    return None
