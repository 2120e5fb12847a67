"""docs/writing-plugins.md, run step by step as written.

Every code block starting with ``# file: PATH`` is written into the plugin's folder;
every ``bash`` block is run line by line; a ``text`` block right after a ``bash``
block is the expected output of that block's last command. ``pip install -e .`` is
replaced by what an editable install amounts to for ofxpost, without touching the
running environment: the package's ``src`` folder and a ``.dist-info`` folder with
the entry points read from the tutorial's own ``pyproject.toml`` go on the
subprocesses' ``PYTHONPATH``.
"""

from __future__ import annotations

import os
import re
import shlex
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests._cli import CLI, run_python

pytestmark = pytest.mark.integration  # starts processes or runs whole batches

DOC = Path(__file__).resolve().parents[1] / "docs" / "writing-plugins.md"
STEPS_END = "## The test kit"
"""The steps end at this heading; the reference after it is not a sequence of steps."""

BLOCK = re.compile(r"^```(\w+)\n(.*?)^```$", re.MULTILINE | re.DOTALL)
FILE_MARK = re.compile(r"^# file: (\S+)\n")


@dataclass
class Shell:
    """The state of a reader following the tutorial in a terminal."""

    root: Path
    cwd: Path
    pythonpath: list[str] = field(default_factory=list)
    last_output: str = ""
    log: list[str] = field(default_factory=list)

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        if self.pythonpath:
            env["PYTHONPATH"] = os.pathsep.join(self.pythonpath)
        return env

    def run(self, *args: str) -> str:
        """Run ``python ARGS`` here, with this shell's ``PYTHONPATH``."""
        done = run_python(*args, cwd=self.cwd, env=self.env(), timeout=300)
        argv = ["python", *args]
        self.log.append(f"$ {shlex.join(argv)}\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
        assert done.returncode == 0, "\n".join(self.log)
        return done.stdout

    def pip_install_editable(self) -> None:
        project = tomllib.loads((self.cwd / "pyproject.toml").read_text(encoding="utf-8"))
        meta = project["project"]
        site = self.root / "site-packages"
        info = site / f"{meta['name'].replace('-', '_')}-{meta['version']}.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {meta['name']}\nVersion: {meta['version']}\n",
            encoding="utf-8",
        )
        groups = meta.get("entry-points", {})
        lines = [f"[{group}]\n" + "".join(f"{k} = {v}\n" for k, v in eps.items())
                 for group, eps in groups.items()]  # fmt: skip
        (info / "entry_points.txt").write_text("\n".join(lines), encoding="utf-8")
        self.pythonpath = [str(site), str(self.cwd / "src")]

    def line(self, text: str) -> None:
        words = shlex.split(text)
        if words[:2] == ["mkdir", "-p"]:
            for name in words[2:]:
                (self.cwd / name).mkdir(parents=True, exist_ok=True)
        elif words[0] == "cd":
            self.cwd = (self.cwd / words[1]).resolve()
        elif words == ["pip", "install", "-e", "."]:
            self.pip_install_editable()
        elif words[:3] == ["python", "-m", "pytest"]:
            self.last_output = self.run(*words[1:], "-p", "no:cacheprovider")
        elif words[0] == "ofxpost":
            grep = None
            if "|" in words:
                bar = words.index("|")
                assert words[bar + 1] == "grep", text
                grep, words = words[bar + 2], words[:bar]
            out = self.run(*CLI[1:], *words[1:])
            if grep is not None:
                out = "".join(ln + "\n" for ln in out.splitlines() if grep in ln)
            self.last_output = out
        elif words[0] == "cat":
            self.last_output = (self.cwd / words[1]).read_text(encoding="utf-8")
        else:
            raise AssertionError(f"the tutorial test does not know the command {text!r}")


def steps() -> list[tuple[str, str]]:
    """The tutorial's code blocks, ``(language, text)``, up to the kit reference."""
    text = DOC.read_text(encoding="utf-8").split(STEPS_END, 1)[0]
    return [(m.group(1), m.group(2)) for m in BLOCK.finditer(text)]


def test_tutorial_has_files_commands_and_outputs() -> None:
    blocks = steps()
    files = [FILE_MARK.match(body).group(1) for _, body in blocks if FILE_MARK.match(body)]  # type: ignore[union-attr]
    assert files == [
        "pyproject.toml",
        "src/ofxpost_maxtension/__init__.py",
        "tests/test_maxtension.py",
        "batch.yml",
    ]
    commands = [line for lang, body in blocks if lang == "bash" for line in body.splitlines()]
    assert "pip install -e ." in commands and "python -m pytest" in commands
    assert any(line.startswith("ofxpost run ") for line in commands)


def test_tutorial_runs_as_written(tmp_path: Path) -> None:
    shell = Shell(tmp_path, tmp_path)
    expectations = 0
    previous = ""
    for lang, body in steps():
        marked = FILE_MARK.match(body)
        if marked:
            target = shell.cwd / marked.group(1)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(body, encoding="utf-8")
        elif lang == "bash":
            for text in body.splitlines():
                if text.strip():
                    shell.line(text)
        elif lang == "text" and previous == "bash":
            assert shell.last_output.strip() == body.strip(), "\n".join(shell.log)
            expectations += 1
        previous = lang
    assert expectations == 2  # the `ofxpost plugins` line and the table
    # the plugin's own tests ran and passed: four of them
    assert any(re.search(r"\b4 passed\b", entry) for entry in shell.log), "\n".join(shell.log)
