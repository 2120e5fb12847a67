"""A strict YAML reader for configs: no duplicate keys, no alias bombs, UTF-8 only.

PyYAML's safe loader keeps the *last* of two equal keys (a second ``summary:`` block
silently replaces the first) and expands aliases by reference, so that a 1 KB
"billion laughs" document becomes gigabytes as soon as anything walks it. This
loader refuses both, and text that is not UTF-8, each with the line it is on:

* a mapping key given twice (``<<`` merge keys may still be overridden);
* a document whose nodes, with every alias expanded, number more than
  :data:`MAX_EXPANDED_NODES`, or an alias that contains itself;
* bytes that are not UTF-8.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ofxpost.errors import ConfigError, YamlProblem

MAX_EXPANDED_NODES = 100_000
"""Most nodes a config may hold with every alias expanded (a big config has ~1,000)."""

_MERGE_TAG = "tag:yaml.org,2002:merge"


class _StrictLoader(yaml.SafeLoader):
    def construct_mapping(self, node: Node, deep: bool = False) -> dict[Any, Any]:
        if isinstance(node, MappingNode):
            seen: dict[Any, int] = {}
            for key_node, _ in node.value:
                if key_node.tag == _MERGE_TAG:
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    first = seen.get(key)
                except TypeError:  # an unhashable key: the base loader reports it
                    continue
                line = key_node.start_mark.line + 1
                if first is not None:
                    raise YamlProblem(
                        f"duplicate key {key!r} at line {line} (first at line {first})", line
                    )
                seen[key] = line
        return super().construct_mapping(node, deep=deep)  # type: ignore[arg-type]


def _check_expansion(root: Node) -> None:
    """Refuse a node graph too large once its aliases are expanded, or recursive."""
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def size(node: Node) -> int:
        known = sizes.get(id(node))
        if known is not None:
            return known
        if id(node) in active:
            line = node.start_mark.line + 1
            raise YamlProblem(f"alias at line {line} contains itself", line)
        active.add(id(node))
        total = 1
        if isinstance(node, SequenceNode):
            total += sum(size(child) for child in node.value)
        elif isinstance(node, MappingNode):
            total += sum(size(k) + size(v) for k, v in node.value)
        active.discard(id(node))
        if total > MAX_EXPANDED_NODES:
            line = node.start_mark.line + 1
            raise YamlProblem(
                f"the value at line {line} expands (through aliases) to more than "
                f"{MAX_EXPANDED_NODES} nodes",
                line,
            )
        sizes[id(node)] = total
        return total

    if not isinstance(root, ScalarNode):
        size(root)


def load(data: bytes) -> Any:
    """Parse one YAML document from ``data`` strictly (see the module docs).

    :raises YamlProblem: for text that is not UTF-8, a duplicate key or an alias bomb.
    :raises yaml.YAMLError: for text that is not YAML.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise YamlProblem(
            f"not UTF-8 text: byte 0x{data[exc.start]:02x} at line {line} (save the file as UTF-8)",
            line,
        ) from None
    loader = _StrictLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_expansion(node)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def read_yaml(path: Path) -> dict[str, Any]:
    """Read a YAML mapping with the strict safe loader (:func:`load`).

    :raises ConfigError: if the file is missing, unreadable, not UTF-8, not YAML,
        not a mapping, has a duplicate key or an alias that expands too far -- one
        line naming the file and the line.
    """
    try:
        text = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config file: {exc.strerror}") from None
    try:
        data = load(text)
    except YamlProblem as exc:
        raise ConfigError(f"{path}: {exc.message}") from None
    except yaml.YAMLError as exc:
        where = ""
        mark = getattr(exc, "problem_mark", None)
        if mark is not None:
            where = f" at line {mark.line + 1}, column {mark.column + 1}"
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{path}: invalid YAML{where}: {problem}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(
            f"{path}: the config must be a mapping of keys, not {type(data).__name__}"
        )
    return data
