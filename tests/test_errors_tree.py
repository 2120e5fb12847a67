"""Everything the public API raises on purpose derives from OfxpostError; options are
validated like config keys."""

from __future__ import annotations

import inspect
from pathlib import Path

import anyio
import pytest

import ofxpost
from ofxpost import errors
from tests.conftest import ToyBatch

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_the_tree() -> None:
    assert issubclass(ofxpost.ConfigError, ofxpost.OfxpostError)
    assert issubclass(ofxpost.PluginError, ofxpost.ConfigError)
    assert issubclass(ofxpost.OutputError, ofxpost.ConfigError)
    assert issubclass(ofxpost.OutputDirLockedError, ofxpost.OutputError)
    assert issubclass(ofxpost.UnsupportedLoopError, ofxpost.OfxpostError)
    assert not issubclass(ofxpost.UnsupportedLoopError, ofxpost.ConfigError)


def test_every_error_class_is_exported_and_documented_in_the_tree() -> None:
    classes = [
        obj
        for _, obj in inspect.getmembers(errors, inspect.isclass)
        if issubclass(obj, ofxpost.OfxpostError)
    ]
    embedding = (DOCS / "embedding.md").read_text(encoding="utf-8")
    tree = embedding.split("## Errors")[1]
    for cls in classes:
        assert getattr(ofxpost, cls.__name__) is cls
        assert cls.__name__ in ofxpost.__all__
        assert cls.__name__ in tree, f"{cls.__name__} missing from the tree in embedding.md"


def test_every_exception_class_in_the_package_is_an_ofxpost_error() -> None:
    # walk every module of the package: each exception class it defines is in the tree
    # (the OrcFxAPI stand-ins mirror OrcFxAPI's own exceptions and are left out)
    import importlib
    import pkgutil

    mirror = {"ofxpost._ofx.fallback"}
    defined: list[type[BaseException]] = []
    for info in pkgutil.walk_packages(ofxpost.__path__, "ofxpost."):
        if info.name in mirror or info.name == "ofxpost.__main__":
            continue
        module = importlib.import_module(info.name)
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if obj.__module__ == info.name and issubclass(obj, BaseException):
                defined.append(obj)
    outside = sorted(f"{c.__module__}.{c.__qualname__}" for c in defined
                     if not issubclass(c, ofxpost.OfxpostError))
    assert outside == []
    assert len(defined) >= 30  # the whole tree, not an empty walk
    assert issubclass(ofxpost.WorkerDied, ofxpost.ExecutorError)
    assert issubclass(ofxpost.TablesNotWritten, ofxpost.OfxpostError)


def test_validate_event_raises_an_ofxpost_error() -> None:
    with pytest.raises(ofxpost.InvalidEventError, match="does not match the schema"):
        ofxpost.validate_event({"event": "batch_started"})  # type: ignore[typeddict-item]


@pytest.mark.integration
@pytest.mark.parametrize("call", ["run", "open_batch", "run_batch"])
def test_misspelt_option_is_a_config_error_with_a_suggestion(
    toy_batch: ToyBatch, call: str
) -> None:
    config = toy_batch(2)
    with pytest.raises(ofxpost.ConfigError, match=r"option 'wrokers'.*did you mean 'workers'"):
        _call(call, config, wrokers=2)
    assert not (config.parent / "out").exists()


@pytest.mark.integration
@pytest.mark.parametrize("call", ["run", "open_batch", "run_batch"])
def test_workers_zero_is_refused_like_max_workers_zero(toy_batch: ToyBatch, call: str) -> None:
    config = toy_batch(2)
    with pytest.raises(ofxpost.ConfigError, match="option 'workers': must be at least 1"):
        _call(call, config, workers=0)
    bad = toy_batch(2, folder="bad", parallel={"max_workers": 0})
    with pytest.raises(ofxpost.ConfigError, match="max_workers': must be at least 1"):
        ofxpost.load_config(bad)


@pytest.mark.integration
def test_bad_option_values_are_config_errors(toy_batch: ToyBatch) -> None:
    config = toy_batch(2)
    cases = [
        {"workers": "4"},
        {"workers": True},
        {"sequential": "yes"},
        {"resume": 1},
        {"on_event": 3},
        {"sinks": "print"},
    ]
    for options in cases:
        with pytest.raises(ofxpost.ConfigError, match=f"option '{next(iter(options))}'"):
            ofxpost.run(config, **options)  # type: ignore[arg-type]


def test_bad_config_sources_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ofxpost.ConfigError, match="expected a Config, a YAML path or a mapping"):
        ofxpost.run(42)  # type: ignore[arg-type]
    with pytest.raises(ofxpost.ConfigError, match="config file not found"):
        ofxpost.run(tmp_path / "missing.yml")
    with pytest.raises(ofxpost.ConfigError, match="inputs"):
        ofxpost.run({"inputs": []})


@pytest.mark.integration
def test_make_plan_and_load_config_refuse_bad_calls(toy_batch: ToyBatch) -> None:
    config = ofxpost.load_config(toy_batch(2))
    with pytest.raises(ofxpost.ConfigError, match="option 'workers': must be at least 1"):
        ofxpost.make_plan(config, workers=0)
    with pytest.raises(ofxpost.ConfigError, match="expected a YAML path or a mapping"):
        ofxpost.load_config(3.5)  # type: ignore[arg-type]


@pytest.mark.integration
def test_plan_with_workers_is_a_config_error(toy_batch: ToyBatch) -> None:
    plan = ofxpost.make_plan(ofxpost.load_config(toy_batch(2)))
    with pytest.raises(ofxpost.ConfigError, match="option 'workers': cannot be combined"):
        ofxpost.run(plan, workers=2)  # type: ignore[arg-type]


def _call(name: str, config: Path, **options: object) -> None:
    if name == "run":
        ofxpost.run(config, **options)  # type: ignore[arg-type]
        return

    async def main_() -> None:
        if name == "run_batch":
            await ofxpost.run_batch(config, **options)  # type: ignore[arg-type]
        else:
            async with ofxpost.open_batch(config, **options) as batch:  # type: ignore[arg-type]
                async for _ in batch:
                    pass

    anyio.run(main_, backend="asyncio")
