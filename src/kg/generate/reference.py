"""Loading `data/sources/reference/mitigation-taxonomy-v2.yaml`.

Its entries are one-line flow mappings whose last value, `description`, is often an unquoted text
with commas: `{..., description: Gathering, cleaning and documenting data.}`. YAML ends a plain
scalar at a comma inside a flow mapping, so a plain load cuts the text at the first comma and turns
the rest into keys with empty values. This loader puts such a value back together from the file's
own characters, so every description is read exactly as written.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from kg.errors import InputError

REFERENCE = "data/sources/reference/mitigation-taxonomy-v2.yaml"


def load_reference(root: Path) -> dict:
    path = root / REFERENCE
    try:
        text = path.read_text(encoding="utf-8")
        loader = yaml.SafeLoader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                raise InputError(f"{path}: the file holds no YAML document; expected the taxonomy's entries")
            _rejoin(node, text)
            return loader.construct_document(node)
        finally:
            loader.dispose()
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(f"{path}: cannot read YAML: {exc}") from exc


def _rejoin(node: Node, text: str) -> None:
    """Repair every flow mapping below `node` in place."""
    if isinstance(node, SequenceNode):
        for child in node.value:
            _rejoin(child, text)
    elif isinstance(node, MappingNode):
        if node.flow_style:
            _rejoin_tail(node, text)
        for _, child in node.value:
            _rejoin(child, text)


def _is_fragment(key: Node, value: Node) -> bool:
    """A piece of a cut plain scalar: a plain key with no value at all (not even `null`)."""
    return (
        isinstance(key, ScalarNode)
        and key.style is None
        and isinstance(value, ScalarNode)
        and value.value == ""
        and value.start_mark.index == value.end_mark.index
    )


def _rejoin_tail(node: MappingNode, text: str) -> None:
    """When the pairs after the last real one are fragments, the last value runs to the '}'."""
    pairs = node.value
    last = max((i for i, (k, v) in enumerate(pairs) if not _is_fragment(k, v)), default=-1)
    if last < 0 or last == len(pairs) - 1:
        return
    key, value = pairs[last]
    raw = text[value.start_mark.index : node.end_mark.index - 1].rstrip()
    if value.style is not None or "\n" in raw or not raw.startswith(value.value):
        raise InputError(f"{REFERENCE} line {value.start_mark.line + 1}: cannot read {key.value!r}")
    joined = ScalarNode("tag:yaml.org,2002:str", raw, value.start_mark, node.end_mark, style='"')
    node.value = pairs[:last] + [(key, joined)]
