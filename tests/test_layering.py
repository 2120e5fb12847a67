"""The import layering of ``src/ofxpost`` (``docs/architecture.md``, "Layers").

The import graph is built statically with :mod:`ast`: every ``import`` and
``from ... import`` in a module counts, wherever it is written -- at the top, inside a
function (a lazy import) or under ``if TYPE_CHECKING:``. Two rules hold:

* the graph has no cycle;
* every import points down the layers of :data:`LAYERS` (or stays in its own layer).

Plugins named by string (``importlib.import_module``) are not imports: that is how
the core reaches ``ofxpost._builtin`` without depending on it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = "ofxpost"

LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("foundation", ("ofxpost._version", "ofxpost.errors", "ofxpost.event_types", "ofxpost._core")),
    ("pool", ("ofxpost._pool",)),
    ("OrcFxAPI emulation", ("ofxpost._ofx", "ofxpost._archive", "ofxpost.ofx", "ofxpost.archive")),
    ("store", ("ofxpost._store",)),
    ("events", ("ofxpost._events",)),
    ("config", ("ofxpost._config",)),
    ("plugin api", ("ofxpost.hookspecs", "ofxpost._plugins")),
    ("worker", ("ofxpost._worker",)),
    ("executors", ("ofxpost._executors",)),
    ("finish", ("ofxpost._finish",)),
    ("engine", ("ofxpost._engine",)),
    ("built-in plugins", ("ofxpost._builtin",)),
    ("plugin kit", ("ofxpost.plugin",)),
    ("campaigns", ("ofxpost._watch",)),
    ("tools", ("ofxpost._tools",)),
    (
        "interface",
        ("ofxpost", "ofxpost.__main__", "ofxpost._cli", "ofxpost.testing", "ofxpost.orcaflex"),
    ),
)
"""The layers, lowest first: ``(name, units)``. A unit is a top-level module or a
sub-package of ``ofxpost`` with everything under it. A module may import only from
its own layer or a lower one."""


def unit_of(module: str) -> str:
    """The top-level unit a module belongs to (``ofxpost._engine.batch`` -> ``ofxpost._engine``)."""
    parts = module.split(".")
    return ".".join(parts[:2])


def module_files(src: Path = SRC) -> dict[str, tuple[Path, bool]]:
    """``{module name: (file, is a package)}`` for every module of the package."""
    found: dict[str, tuple[Path, bool]] = {}
    for path in sorted((src / PACKAGE).rglob("*.py")):
        parts = list(path.relative_to(src).with_suffix("").parts)
        package = parts[-1] == "__init__"
        if package:
            parts = parts[:-1]
        found[".".join(parts)] = (path, package)
    return found


def import_graph(src: Path = SRC) -> dict[str, set[str]]:
    """``{module: modules of the package it imports}``, every import statement counted."""
    modules = module_files(src)

    def known(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {}
    for name, (path, package) in modules.items():
        here = name if package else name.rpartition(".")[0]
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.split(".")[0] == PACKAGE:
                        targets.add(known(alias.name) or alias.name)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = here.split(".")[: len(here.split(".")) - node.level + 1]
                    source = ".".join([*base, *([node.module] if node.module else [])])
                else:
                    source = node.module or ""
                if source.split(".")[0] != PACKAGE:
                    continue
                for alias in node.names:
                    full = f"{source}.{alias.name}"
                    targets.add(full if full in modules else (known(source) or source))
        targets.discard(name)
        graph[name] = targets
    return graph


def layer_of(module: str) -> int | None:
    """The rank of ``module``'s layer in :data:`LAYERS` (``None``: not placed)."""
    unit = unit_of(module)
    for rank, (_, units) in enumerate(LAYERS):
        if unit in units:
            return rank
    return None


def unit_graph(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """The import graph between units (top-level modules and sub-packages)."""
    units: dict[str, set[str]] = {}
    for source, targets in graph.items():
        edges = units.setdefault(unit_of(source), set())
        edges.update(unit_of(t) for t in targets if unit_of(t) != unit_of(source))
    return units


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component: list[str] = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def upward_edges(graph: dict[str, set[str]]) -> list[str]:
    """``a (layer) -> b (layer)`` for each import that points up the layers."""
    bad: list[str] = []
    for source, targets in sorted(graph.items()):
        rank = layer_of(source)
        for target in sorted(targets):
            target_rank = layer_of(target)
            if rank is not None and target_rank is not None and target_rank > rank:
                bad.append(f"{source} ({LAYERS[rank][0]}) -> {target} ({LAYERS[target_rank][0]})")
    return bad


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    return import_graph()


def test_the_graph_sees_every_kind_of_import(graph: dict[str, set[str]]) -> None:
    # a top-level import, an import under TYPE_CHECKING and one inside a function
    assert "ofxpost._core.records" in graph["ofxpost._worker.worker"]
    assert "ofxpost._core.records" in graph["ofxpost.hookspecs"]  # TYPE_CHECKING only
    assert "ofxpost._engine.batch" in graph["ofxpost._cli.run"]  # inside a function
    assert len(graph) > 50


def test_the_checks_catch_a_cycle_and_an_upward_import() -> None:
    made_up = {
        "ofxpost._core.records": {"ofxpost._config.plan"},
        "ofxpost._config.plan": {"ofxpost._core.records"},
    }
    assert cycles(made_up) == [["ofxpost._config.plan", "ofxpost._core.records"]]
    assert cycles(unit_graph(made_up)) == [["ofxpost._config", "ofxpost._core"]]
    assert upward_edges(made_up) == [
        "ofxpost._core.records (foundation) -> ofxpost._config.plan (config)"
    ]


def test_the_layers_are_folders() -> None:
    # the layers speak of sub-packages and a few public modules, not of module names
    modules = module_files()
    units = {unit for _, names in LAYERS for unit in names}
    folders = {u for u in units if u != "ofxpost" and modules.get(u, (None, False))[1]}
    # 17 since the watch mode (ofxpost._watch) became a layer of its own
    assert len(folders) <= 17, sorted(folders)
    assert {unit_of(m) for m in modules} == units


def test_every_module_has_a_layer(graph: dict[str, set[str]]) -> None:
    unplaced = sorted(m for m in graph if layer_of(m) is None)
    assert not unplaced, f"modules without a layer (add them to LAYERS): {unplaced}"


def test_every_import_target_exists(graph: dict[str, set[str]]) -> None:
    missing = sorted({t for targets in graph.values() for t in targets if t not in graph})
    assert not missing, f"imports of modules that do not exist: {missing}"


def test_no_import_cycles(graph: dict[str, set[str]]) -> None:
    assert cycles(graph) == []


def test_no_cycles_between_folders(graph: dict[str, set[str]]) -> None:
    assert cycles(unit_graph(graph)) == []


def test_no_import_points_up_the_layers(graph: dict[str, set[str]]) -> None:
    assert upward_edges(graph) == []


def test_only_the_public_modules_lack_an_underscore() -> None:
    public = sorted(
        m for m in module_files() if not any(p.startswith("_") for p in m.split(".")[1:])
    )
    assert public == [
        "ofxpost",
        "ofxpost.archive",
        "ofxpost.errors",
        "ofxpost.event_types",
        "ofxpost.hookspecs",
        "ofxpost.ofx",
        "ofxpost.orcaflex",
        "ofxpost.plugin",
        "ofxpost.testing",
    ]
