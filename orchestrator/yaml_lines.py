"""Where in a designer's YAML file a problem is: `file:LINE: $.json.path: message`.

Pydantic and the catalog rules name what is wrong by its path in the parsed data; a designer
fixes it in the text, so every problem is reported with the line of the node the path names.
"""

from __future__ import annotations

from typing import Any

import yaml


def json_path(path: tuple[Any, ...]) -> str:
    out = "$"
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


class LineIndex:
    """Maps a JSON path to the 1-based line of the YAML node it names (nearest existing parent)."""

    def __init__(self, root: yaml.Node | None) -> None:
        self.root = root

    def line(self, path: tuple[Any, ...]) -> int:
        node = self.root
        if node is None:
            return 1
        for part in path:
            child = _child(node, part)
            if child is None:
                break
            node = child
        return int(node.start_mark.line) + 1

    def where(self, source: str, path: tuple[Any, ...], message: str) -> str:
        """One problem as a designer reads it."""
        return f"{source}:{self.line(path)}: {json_path(path)}: {message}"


def _child(node: yaml.Node, part: Any) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == part:
                return value  # type: ignore[no-any-return]
    elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
        return node.value[part]  # type: ignore[no-any-return]
    return None
