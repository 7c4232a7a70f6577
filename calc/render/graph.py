"""The layer graph as Mermaid (renders as it is in a GitHub README or comment) or Graphviz DOT.

A node per model input and per layer (name, type, output shape, params), an edge
per entry of each layer's `inputs`, and each block instance as a cluster, nested
as the blocks are.  Node ids are made from the names but are always plain
identifiers; every label is escaped for its format."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple, Union

from ..errors import visible
from ..report import Report
from . import count, shapes


@dataclass
class Node:
    id: str
    lines: Tuple[str, ...]  # the label, one line each, unescaped
    kind: str  # "input", "layer", or "block" (a block collapsed by --depth)
    output: bool = False  # one of the model's outputs


@dataclass
class Cluster:
    id: str
    label: str
    items: List[Union[Node, "Cluster"]] = field(default_factory=list)  # in report order


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    label: Optional[str]  # 'output 1' for the second output of a layer with several


class _Ids:
    """Unique identifiers made of [A-Za-z0-9_], from names such as 'stage2/block1/conv'."""

    def __init__(self) -> None:
        self.taken: set = set()

    def new(self, prefix: str, name: str) -> str:
        base = prefix + re.sub(r"[^A-Za-z0-9_]", "_", name)
        candidate, number = base, 1
        while candidate in self.taken:
            number += 1
            candidate = f"{base}_{number}"
        self.taken.add(candidate)
        return candidate


def _params(counts) -> str:
    text = f"{count(counts.params)} params"
    if counts.non_trainable_params:
        text += f" ({count(counts.non_trainable_params)} non-trainable)"
    if counts.buffers:  # a torch module's buffers (BatchNorm's running statistics)
        text += f", {count(counts.buffers)} buffers"
    return text


def layout(report: Report) -> Tuple[Cluster, List[Edge]]:
    """The nodes, nested in their clusters, and the edges of a report."""
    ids = _Ids()
    root = Cluster("", "")
    clusters: Dict[str, Cluster] = {}
    node_ids: Dict[str, str] = {}
    outputs = {reference.rpartition(":")[0] or reference for reference in report.outputs}
    for row in report.inputs:
        node_ids[row.name] = ids.new("n_", row.name)
        root.items.append(Node(node_ids[row.name], (f"{row.name} (InputLayer)", shapes(row.shape)), "input"))
    for row in report.layers:
        parent = root
        for instance in row.scope:
            if instance not in clusters:
                block_type = report.blocks.get(instance, ("",))[0]
                clusters[instance] = Cluster(ids.new("cluster_", instance), f"{instance} ({block_type})")
                parent.items.append(clusters[instance])
            parent = clusters[instance]
        collapsed = report.blocks.get(row.name, ("",))[0] == row.type
        node_ids[row.name] = ids.new("n_", row.name)
        lines = (f"{row.name} ({row.type})", shapes(row.output_shape), _params(row.counts))
        parent.items.append(Node(node_ids[row.name], lines, "block" if collapsed else "layer", row.name in outputs))
    edges = []
    for row in report.layers:
        for reference in row.inputs:
            source, colon, index = reference.rpartition(":")
            if not colon:
                source, index = reference, ""
            edges.append(Edge(node_ids[source], node_ids[row.name], f"output {index}" if index else None))
    return root, edges


# Mermaid ---------------------------------------------------------------------------------------------------

# Mermaid's default maxTextSize: a renderer left at its defaults draws an error instead of a longer diagram.
MERMAID_MAX_TEXT = 50_000

_MERMAID_PLAIN = re.compile(r"[\w ,.()/+\-*=?']")


def _mermaid_text(text: str) -> str:
    """Text for a quoted Mermaid label: control characters spelled out, and every character Mermaid or HTML
    could read as syntax (quotes, #, <, &, brackets, ...) a numeric entity such as #34;, which Mermaid decodes."""
    return "".join(char if _MERMAID_PLAIN.fullmatch(char) else f"#{ord(char)};" for char in visible(text))


_MERMAID_SHAPES = {"input": ('(["', '"])'), "layer": ('["', '"]'), "block": ('[["', '"]]')}


def _mermaid_items(cluster: Cluster, indent: str, lines: List[str]) -> None:
    for item in cluster.items:
        if isinstance(item, Cluster):
            lines.append(f'{indent}subgraph {item.id} ["{_mermaid_text(item.label)}"]')
            _mermaid_items(item, indent + "  ", lines)
            lines.append(f"{indent}end")
        else:
            opening, closing = _MERMAID_SHAPES[item.kind]
            lines.append(f"{indent}{item.id}{opening}{'<br>'.join(map(_mermaid_text, item.lines))}{closing}")


def render_mermaid(report: Report, title: str) -> str:
    """A Mermaid flowchart; a ```mermaid block of it renders on GitHub."""
    root, edges = layout(report)
    lines = ["---", f"title: {json.dumps(visible(title))}", "---", "flowchart TB"]
    _mermaid_items(root, "  ", lines)
    for edge in edges:
        arrow = f'-->|"{_mermaid_text(edge.label)}"|' if edge.label else "-->"
        lines.append(f"  {edge.source} {arrow} {edge.target}")
    outputs = [node.id for node in _nodes(root) if node.output]
    if outputs:
        lines += ["  classDef output stroke-width:3px", f"  class {','.join(outputs)} output"]
    return "\n".join(lines) + "\n"


# DOT -------------------------------------------------------------------------------------------------------

def _dot_string(text: str) -> str:
    """A double-quoted DOT string whose text is shown as it is, control characters spelled out."""
    return '"' + visible(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


_DOT_SHAPES = {"input": "shape=oval", "layer": "", "block": "peripheries=2"}


def _dot_items(cluster: Cluster, indent: str, lines: List[str]) -> None:
    for item in cluster.items:
        if isinstance(item, Cluster):
            lines.append(f"{indent}subgraph {item.id} {{")
            lines.append(f"{indent}  label={_dot_string(item.label)};")
            _dot_items(item, indent + "  ", lines)
            lines.append(f"{indent}}}")
        else:
            label = '"' + "\\n".join(_dot_string(line)[1:-1] for line in item.lines) + '"'
            attributes = [f"label={label}", _DOT_SHAPES[item.kind], "penwidth=2" if item.output else ""]
            lines.append(f"{indent}{item.id} [{', '.join(filter(None, attributes))}];")


def render_dot(report: Report, title: str) -> str:
    """A Graphviz digraph: `dot -Tsvg` draws it."""
    root, edges = layout(report)
    lines = [
        f"digraph {_dot_string(title)} {{",
        '  graph [fontname="Helvetica", fontsize=11, nodesep=0.3, ranksep=0.35, '
        'style="rounded,dashed", color="#888888"];',
        '  node [shape=box, style="rounded,filled", fillcolor="#f3f4f8", color="#555555", '
        'fontname="Helvetica", fontsize=10];',
        '  edge [fontname="Helvetica", fontsize=9, arrowsize=0.7, color="#555555"];',
    ]
    _dot_items(root, "  ", lines)
    for edge in edges:
        label = f" [label={_dot_string(edge.label)}]" if edge.label else ""
        lines.append(f"  {edge.source} -> {edge.target}{label};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _nodes(cluster: Cluster):
    for item in cluster.items:
        if isinstance(item, Cluster):
            yield from _nodes(item)
        else:
            yield item
