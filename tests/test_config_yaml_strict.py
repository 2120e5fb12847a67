"""Config text that PyYAML would take silently or blow up on: exit 2, one line, the line."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from ofxpost._cli.main import main
from tests.conftest import ToyBatch

BOMB = """\
a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
"""


def _run(config: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    code = main(["run", str(config)])
    return code, capsys.readouterr().err.strip().splitlines()


def test_duplicate_key_is_exit_2_naming_the_line(
    toy_batch: ToyBatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: the second ``outputs:`` silently replaced the first, exit 0."""
    config = toy_batch(2)
    text = config.read_text(encoding="utf-8")
    lines = text.splitlines()
    config.write_text(text + "outputs:\n  formats: [csv]\n", encoding="utf-8")
    code, err = _run(config, capsys)
    assert code == 2 and len(err) == 1, err
    first = next(i for i, line in enumerate(lines, 1) if line.startswith("outputs:"))
    assert str(config) in err[0]
    assert f"duplicate key 'outputs' at line {len(lines) + 1} (first at line {first})" in err[0]
    assert not (config.parent / "out").exists()


def test_nested_duplicate_key_is_refused_but_merge_keys_still_override(tmp_path: Path) -> None:
    from ofxpost._config.strict_yaml import load
    from ofxpost.errors import YamlProblem

    assert load(b"base: &b {x: 1, y: 2}\nuse:\n  <<: *b\n  x: 3\n") == {
        "base": {"x": 1, "y": 2},
        "use": {"x": 3, "y": 2},
    }
    with pytest.raises(YamlProblem) as caught:
        load(b"top:\n  x: 1\n  y: 2\n  x: 3\n")
    assert caught.value.line == 4


def test_alias_bomb_is_refused_at_once(
    toy_batch: ToyBatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: a ~1 KB document like this one grew to gigabytes."""
    config = toy_batch(2)
    config.write_text(config.read_text(encoding="utf-8") + BOMB, encoding="utf-8")
    assert len(BOMB) < 1024
    started = time.perf_counter()
    code, err = _run(config, capsys)
    assert time.perf_counter() - started < 20
    assert code == 2 and len(err) == 1, err
    assert str(config) in err[0] and "expands (through aliases) to more than" in err[0]
    assert "at line" in err[0]


def test_recursive_alias_is_refused() -> None:
    from ofxpost._config.strict_yaml import load
    from ofxpost.errors import YamlProblem

    with pytest.raises(YamlProblem, match="contains itself"):
        load(b"a: &a [1, *a]\n")


def test_non_utf8_config_is_exit_2_naming_the_line(
    toy_batch: ToyBatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: a traceback (UnicodeDecodeError) and exit 1."""
    config = toy_batch(2)
    data = config.read_bytes() + "# caf\u00e9 en Latin-1\n".encode("latin-1")
    config.write_bytes(data)
    code, err = _run(config, capsys)
    assert code == 2 and len(err) == 1, err
    line = data.count(b"\n")
    assert str(config) in err[0] and f"not UTF-8 text: byte 0xe9 at line {line}" in err[0]
