"""The README's example config is valid as written (keys drift; the README must not)."""

from __future__ import annotations

import re
from pathlib import Path

import ofxpost

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_batch_config_validates(tmp_path: Path) -> None:
    text = README.read_text(encoding="utf-8")
    block = re.search(r"```yaml\n# batch\.yml\n(.*?)```", text, re.S)
    assert block is not None, "README lost its batch.yml example"
    (tmp_path / "batch.yml").write_text(block.group(1), encoding="utf-8")
    (tmp_path / "sims").mkdir()
    (tmp_path / "sims" / "case_001.sim").write_bytes(b"")  # inputs must exist
    config = ofxpost.load_config(tmp_path / "batch.yml")
    plan = ofxpost.make_plan(config)
    assert plan.total == 1 and plan.budgets.licences == 4
    assert "summary" in config.sections
