"""``ofxpost new-plugin NAME``: write the skeleton of a plugin distribution.

The skeleton is the one ``docs/writing-plugins.md`` builds by hand: a
``pyproject.toml`` with an ``ofxpost`` entry point, a module with a config section,
an extractor and an aggregator, tests written with the test kit
(:mod:`ofxpost.testing`), and a README. Its tests pass as written, before and
after ``pip install -e .`` (pytest puts ``src/`` on the path).
"""

from __future__ import annotations

import keyword
import re
from pathlib import Path

from ofxpost.errors import ConfigError

NAME_PATTERN = re.compile(r"[a-z][a-z0-9_]*")
"""Plugin names: lower-case letters, digits and ``_``, starting with a letter."""

PYPROJECT = """\
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "ofxpost-{dist}"
version = "0.1.0"
description = "An ofxpost plugin: {name}"
requires-python = ">=3.11"
dependencies = ["ofxpost"]

[project.entry-points.ofxpost]
{name} = "{module}"

[tool.hatch.build.targets.wheel]
packages = ["src/{module}"]

[tool.pytest.ini_options]
# the tests import the plugin from src/ whether or not it is installed yet
pythonpath = ["src"]
"""

MODULE = '''\
"""ofxpost-{dist}: the maximum of a variable of one object, per simulation."""

from __future__ import annotations

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict

import ofxpost


class Section(BaseModel):
    """The ``{name}`` config section."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    object: str | None = None  # no object: the plugin does nothing
    variable: str = "Effective tension"


@ofxpost.hookimpl
def ofxpost_add_config_sections():
    return {{"{name}": Section}}


@ofxpost.hookimpl
def ofxpost_extract(model, config):
    section = config.section("{name}")
    if section.object is None:
        return None
    values = model[section.object].TimeHistory(section.variable, None)
    return {{"{name}_max": float(np.max(values))}}


@ofxpost.hookimpl
def ofxpost_aggregate(records, config):
    if config.section("{name}").object is None:
        return None
    rows = [
        {{"file": record.path.name, "max": record.results["{name}_max"]}}
        for record in records  # input order; failed files have no results
        if "{name}_max" in record.results
    ]
    return {{"{name}": pd.DataFrame(rows, columns=["file", "max"])}}
'''

TESTS = '''\
"""Tests of ofxpost-{dist}, written with ofxpost's test kit."""

import pytest

import ofxpost

CONFIG = {{
    "inputs": ["sims/*.ofx.parquet"],
    "output_dir": "out",
    "{name}": {{"object": "Vessel", "variable": "X"}},
}}


def test_one_row_per_file(ofxpost_archives, ofxpost_batch):
    ofxpost_archives(cases=3)
    run = ofxpost_batch.run(CONFIG, plugins=["{module}"])
    assert run.result.exit_code == 0
    assert len(run.table("{name}")) == 3


def test_same_tables_sequential_and_parallel(ofxpost_archives, ofxpost_batch):
    ofxpost_archives(cases=4)
    ofxpost_batch.assert_same_tables(CONFIG, plugins=["{module}"], tables=["{name}"])


def test_a_typo_in_the_section_is_reported(tmp_path):
    config = {{**CONFIG, "plugins": ["{module}"], "{name}": {{"objekt": "Vessel"}}}}
    with pytest.raises(ofxpost.ConfigError, match="did you mean 'object'"):
        ofxpost.load_config(config, base_dir=tmp_path)
'''

README = """\
# ofxpost-{dist}

An [ofxpost](https://github.com/ofxpost/ofxpost) plugin: the maximum of a variable of one
object, per simulation (table `{name}`).

```bash
pip install -e .
ofxpost plugins | grep {name}
python -m pytest
```

```yaml
{name}:
  object: Riser
  variable: Effective tension
```
"""


def write_skeleton(name: str, out: Path) -> list[Path]:
    """Write the skeleton of plugin ``name`` into the new folder ``out``.

    :returns: the files written.
    :raises ConfigError: if ``name`` is not a valid plugin name or ``out`` exists.
    """
    if not NAME_PATTERN.fullmatch(name) or keyword.iskeyword(name):
        raise ConfigError(
            f"plugin name {name!r}: use lower-case letters, digits and '_', starting with a letter"
        )
    if out.exists():
        raise ConfigError(f"{out} already exists; choose a new folder with --out")
    values = {"name": name, "dist": name.replace("_", "-"), "module": f"ofxpost_{name}"}
    files = {
        out / "pyproject.toml": PYPROJECT,
        out / "src" / values["module"] / "__init__.py": MODULE,
        out / "tests" / f"test_{name}.py": TESTS,
        out / "README.md": README,
    }
    written: list[Path] = []
    for path, template in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(template.format(**values), encoding="utf-8")
        written.append(path)
    return written
