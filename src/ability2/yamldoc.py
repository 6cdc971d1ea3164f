"""A parsed YAML file as the loaders see it: its data and where each value came from.

:class:`YamlDocument` is what :func:`ability2.yamlio.read_yaml` returns and what
:mod:`ability2.yamlcache` rebuilds from its cache. It lives apart from the YAML reader so that
a file read from the cache costs no import of PyYAML: the line of a key path is found either in
PyYAML's node tree (a file just parsed) or in a :data:`LineTree` (a file read from the cache),
with the same answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ability2.errors import Problem
from ability2.messages import Message

__all__ = ["LineTree", "PathPart", "YamlDocument", "format_path", "line_tree"]

PathPart = str | int

#: the lines of a node graph without PyYAML's classes (JSON-ready): a scalar is its 1-based line;
#: a mapping ``[line, "m", [[key text, key line, value], ...]]`` (keys that are scalars, in file
#: order); a list ``[line, "s", [item, ...]]``
LineTree = Any


def format_path(path: Sequence[PathPart]) -> str:
    """Render a key path as a reader would type it: ``rules["hours.total_min"].bound``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part.isidentifier():
            out += f".{part}" if out else part
        else:
            out += f"[{part!r}]".replace("'", '"')
    return out


class YamlDocument:
    """A parsed YAML file: its data and its node tree (or the tree's lines), for line numbers."""

    def __init__(self, name: str, data: Any, root: Any, *, lines: LineTree | None = None) -> None:
        self.name = name
        self.data = data
        #: PyYAML's root node (``None`` when the document was empty or rebuilt from the cache)
        self._root = root
        #: the root's :data:`LineTree`, when the document was rebuilt from the cache
        self._lines = lines

    def line_of(self, path: Sequence[PathPart]) -> int | None:
        """The 1-based line of the deepest node found along ``path``."""
        if self._lines is not None:
            return _line_in_tree(self._lines, path)
        node = self._root
        if node is None:
            return None
        import yaml  # a node tree exists: PyYAML is imported already

        line: int = node.start_mark.line + 1
        for part in path:
            child: Any = None
            if isinstance(node, yaml.MappingNode):
                for key_node, value_node in node.value:
                    if isinstance(key_node, yaml.ScalarNode) and key_node.value == str(part):
                        line = key_node.start_mark.line + 1
                        child = value_node
                        break
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
                child = node.value[part]
                line = child.start_mark.line + 1
            if child is None:
                break
            node = child
        return line

    def problem(self, path: Sequence[PathPart], message: Message | str) -> Problem:
        """A :class:`Problem` at ``path`` of this file, with its line when known."""
        return Problem(self.name, format_path(path), message, self.line_of(path))


def _line_in_tree(tree: LineTree, path: Sequence[PathPart]) -> int:
    """:meth:`YamlDocument.line_of` over a :data:`LineTree`: the same walk as over the nodes."""
    node = tree
    line: int = node if isinstance(node, int) else node[0]
    for part in path:
        child: LineTree | None = None
        if isinstance(node, list) and node[1] == "m":
            for key_text, key_line, value in node[2]:
                if key_text is not None and key_text == str(part):
                    line = key_line
                    child = value
                    break
        elif isinstance(node, list) and node[1] == "s" and isinstance(part, int) and 0 <= part < len(node[2]):
            child = node[2][part]
            line = child if isinstance(child, int) else child[0]
        if child is None:
            break
        node = child
    return line


def line_tree(root: Any, budget: int) -> tuple[LineTree, int, int] | None:
    """The :data:`LineTree` of PyYAML's node graph, its values and its depth; ``None`` past ``budget`` values.

    Values and depth are counted as the YAML reader counts them against its limits: every
    node (keys too; a node an alias reaches again, again), and the nesting of mappings and
    lists (1 for a flat one, 0 for a scalar). An alias's node appears in the tree again where
    the alias stands, as its lines are the anchor's. A key that is not a scalar gives ``None``.
    """
    import yaml

    out: list[Any] = [None]
    count = 0
    # iterative, parents before children: (node, where its tree goes: (list, index), its depth)
    stack: list[tuple[Any, list[Any], int, int]] = [(root, out, 0, 1)]
    height = 0
    while stack:
        node, holder, slot, depth = stack.pop()
        count += 1
        if count > budget:
            return None
        line = node.start_mark.line + 1
        if isinstance(node, yaml.ScalarNode):
            holder[slot] = line
            continue
        height = max(height, depth)
        if isinstance(node, yaml.MappingNode):
            pairs: list[Any] = []
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    return None  # a key that is a mapping or a list: left to the reader, never cached
                count += 1
                pair = [key_node.value, key_node.start_mark.line + 1, None]
                pairs.append(pair)
                stack.append((value_node, pair, 2, depth + 1))
            holder[slot] = [line, "m", pairs]
        elif isinstance(node, yaml.SequenceNode):
            items: list[Any] = [None] * len(node.value)
            for index, item in enumerate(node.value):
                stack.append((item, items, index, depth + 1))
            holder[slot] = [line, "s", items]
        else:  # pragma: no cover - PyYAML has no other node kind
            return None
    if count > budget:
        return None
    return out[0], count, height
