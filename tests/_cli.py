"""One way for tests to run a command in a fresh Python: the ``ofxpost`` CLI, ``pytest``,
or a ``-c`` script.

Tests that start one are ``integration`` tests (see ``tests/conftest.py``).

``run_cli("run", str(config), "--log-format", "json", env=env)`` is ``ofxpost run ...``
in a child process (``python -m ofxpost._cli.main``, so the ``ofxpost`` script need not be
on ``PATH``); ``run_python("-c", code)`` and ``run_python("-m", "pytest", ...)`` run this
interpreter with other arguments; ``start_cli`` and ``start_python`` are the same as a
:class:`subprocess.Popen` for tests that talk to the child while it runs. Output is
captured as text unless ``text=False`` or explicit ``stdout``/``stderr`` are given.
``with_pythonpath(*folders)`` is the environment with folders put first on
``PYTHONPATH`` (spawned workers and children inherit it).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any, Literal, overload

CLI = (sys.executable, "-m", "ofxpost._cli.main")
"""The argv prefix of the ``ofxpost`` command."""

DEFAULT_TIMEOUT = 240.0
"""Seconds a child may run before the test fails (a bound, never an assertion)."""

_Stream = int | IO[Any] | None


def with_pythonpath(*folders: str | Path, env: Mapping[str, str] | None = None) -> dict[str, str]:
    """``env`` (default: this process's environment) with ``folders`` first on
    ``PYTHONPATH``, followed by what was there."""
    out = dict(os.environ if env is None else env)
    out["PYTHONPATH"] = os.pathsep.join([*map(str, folders), out.get("PYTHONPATH", "")])
    return out


@overload
def run_python(
    *args: str,
    cwd: str | Path | None = ...,
    env: Mapping[str, str] | None = ...,
    timeout: float = ...,
    check: bool = ...,
    text: Literal[True] = ...,
    stdout: _Stream = ...,
    stderr: _Stream = ...,
) -> subprocess.CompletedProcess[str]: ...


@overload
def run_python(
    *args: str,
    cwd: str | Path | None = ...,
    env: Mapping[str, str] | None = ...,
    timeout: float = ...,
    check: bool = ...,
    text: Literal[False],
    stdout: _Stream = ...,
    stderr: _Stream = ...,
) -> subprocess.CompletedProcess[bytes]: ...


def run_python(
    *args: str,
    cwd: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    check: bool = False,
    text: bool = True,
    stdout: _Stream = subprocess.PIPE,
    stderr: _Stream = subprocess.PIPE,
) -> subprocess.CompletedProcess[Any]:
    """Run ``python ARGS`` with this interpreter and wait for it."""
    return _run([sys.executable, *args], cwd, env, timeout, check, text, stdout, stderr)


def _run(
    argv: list[str],
    cwd: str | Path | None,
    env: Mapping[str, str] | None,
    timeout: float,
    check: bool,
    text: bool,
    stdout: _Stream,
    stderr: _Stream,
) -> subprocess.CompletedProcess[Any]:
    return subprocess.run(
        argv,
        cwd=cwd,
        env=None if env is None else dict(env),
        timeout=timeout,
        check=check,
        text=text,
        stdout=stdout,
        stderr=stderr,
    )


@overload
def run_cli(
    *args: str,
    cwd: str | Path | None = ...,
    env: Mapping[str, str] | None = ...,
    timeout: float = ...,
    check: bool = ...,
    text: Literal[True] = ...,
    stdout: _Stream = ...,
    stderr: _Stream = ...,
) -> subprocess.CompletedProcess[str]: ...


@overload
def run_cli(
    *args: str,
    cwd: str | Path | None = ...,
    env: Mapping[str, str] | None = ...,
    timeout: float = ...,
    check: bool = ...,
    text: Literal[False],
    stdout: _Stream = ...,
    stderr: _Stream = ...,
) -> subprocess.CompletedProcess[bytes]: ...


def run_cli(
    *args: str,
    cwd: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    check: bool = False,
    text: bool = True,
    stdout: _Stream = subprocess.PIPE,
    stderr: _Stream = subprocess.PIPE,
) -> subprocess.CompletedProcess[Any]:
    """Run ``ofxpost ARGS`` in a child process and wait for it."""
    return _run([*CLI, *args], cwd, env, timeout, check, text, stdout, stderr)


def start_python(
    *args: str,
    cwd: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    stdin: _Stream = None,
    stdout: _Stream = subprocess.PIPE,
    stderr: _Stream = subprocess.PIPE,
    text: bool = False,
) -> subprocess.Popen[Any]:
    """Start ``python ARGS`` (binary pipes unless ``text``); the caller waits for or
    kills it."""
    return subprocess.Popen(
        [sys.executable, *args],
        cwd=cwd,
        env=None if env is None else dict(env),
        stdin=stdin,
        stdout=stdout,
        stderr=stderr,
        text=text,
    )


def start_cli(
    *args: str,
    cwd: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    stdout: _Stream = subprocess.PIPE,
    stderr: _Stream = subprocess.PIPE,
    text: bool = False,
) -> subprocess.Popen[Any]:
    """Start ``ofxpost ARGS`` in a child process; the caller waits for or kills it."""
    return start_python(*CLI[1:], *args, cwd=cwd, env=env, stdout=stdout, stderr=stderr, text=text)
