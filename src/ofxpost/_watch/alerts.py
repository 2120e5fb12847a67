"""``watch.on_breach.command``: a user command told about each breach.

The command gets the ``allowable_exceeded`` event as one JSON document on its
standard input. It runs in the background (a slow command never delays the watch),
without a shell (a string is split with :func:`shlex.split`; on Windows, with the
``posix=False`` rules); its output goes to ``output_dir/logs/on_breach.log``. A
command that cannot start, fails or runs past ``command_timeout_s`` is a warning.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio


def command_argv(command: str | list[str]) -> list[str]:
    """The program and arguments of ``command`` (a list as it is; a string split)."""
    if isinstance(command, list):
        return [str(part) for part in command]
    return shlex.split(command, posix=os.name != "nt")


async def run_breach_command(
    command: str | list[str],
    event: dict[str, Any],
    log_path: Path,
    timeout_s: float,
    warn: Callable[[str], None],
) -> None:
    """Run ``command`` with ``event`` as JSON on stdin; report problems with ``warn``."""
    argv = command_argv(command)
    payload = json.dumps(event, sort_keys=True).encode() + b"\n"
    try:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(log_path, "ab") as log, anyio.fail_after(timeout_s):
            result = await anyio.run_process(
                argv, input=payload, stdout=log, stderr=subprocess.STDOUT, check=False
            )
    except TimeoutError:
        warn(f"watch.on_breach.command {argv[0]!r}: killed after {timeout_s:g} s")
        return
    except OSError as exc:
        warn(f"watch.on_breach.command {argv[0]!r}: cannot run it ({exc.strerror or exc})")
        return
    if result.returncode != 0:
        warn(
            f"watch.on_breach.command {argv[0]!r}: exited with code {result.returncode} "
            f"(its output is in {log_path})"
        )
