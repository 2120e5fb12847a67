"""The ``ofxpost`` command line: the entry point and its exit codes.

Exit codes: 0 every file succeeded, 1 some files failed, 2 unusable config or
arguments, 130 cancelled (Ctrl-C, SIGTERM); :mod:`ofxpost._cli.exits` maps an exception
to its code. The parser is in :mod:`ofxpost._cli.parser`, ``run`` in :mod:`ofxpost._cli.run`,
``watch`` in :mod:`ofxpost._cli.watch`, the other sub-commands in
:mod:`ofxpost._cli.commands`. This module stays light: a worker process re-imports it.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from ofxpost._cli.commands import (
    cmd_demo,
    cmd_export,
    cmd_migrate,
    cmd_new_plugin,
    cmd_plugins,
    cmd_report,
    cmd_synth,
    cmd_validate,
)
from ofxpost._cli.exits import exit_code_for
from ofxpost._cli.parser import build_parser
from ofxpost._cli.progress import OriginalStreams, say
from ofxpost._cli.run import cmd_run
from ofxpost._cli.watch import cmd_watch
from ofxpost._core.printable import escape_controls
from ofxpost._core.result import EXIT_CANCELLED


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``ofxpost`` command; returns the exit code."""
    args = build_parser().parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = {
        "run": cmd_run,
        "watch": cmd_watch,
        "validate": cmd_validate,
        "plugins": cmd_plugins,
        "demo": cmd_demo,
        "synth": cmd_synth,
        "export": cmd_export,
        "report": cmd_report,
        "migrate": cmd_migrate,
        "new-plugin": cmd_new_plugin,
    }[args.command]
    # Events go to duplicates of the streams as they are now, so that descriptor-level
    # redirections made later (around plugin code) never reach them.
    streams = OriginalStreams.capture()
    args.streams = streams
    args.own_process = argv is None  # the command line owns this process (its heap too)
    try:
        return handler(args)
    except BaseExceptionGroup as group:  # raised through a task group
        ours, rest = group.split(lambda exc: exit_code_for(exc) is not None)
        if rest is None and ours is not None:
            return _exit_with(_first_leaf(ours))
        raise
    except BaseException as exc:
        if exit_code_for(exc) is None:
            raise
        return _exit_with(exc)
    finally:
        streams.close()


def _exit_with(exc: BaseException) -> int:
    """Report ``exc`` in one line (none for a cancel) and return its exit code."""
    code = exit_code_for(exc)
    assert code is not None
    if code != EXIT_CANCELLED:
        say(sys.stderr, f"ofxpost: error: {escape_controls(str(exc))}")  # never into stdout
    return code


def _first_leaf(group: BaseExceptionGroup[BaseException]) -> BaseException:
    first = group.exceptions[0]
    return _first_leaf(first) if isinstance(first, BaseExceptionGroup) else first


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
