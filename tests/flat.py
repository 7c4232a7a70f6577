"""The flat versions of the reference models and how to pair their layers with a blocks version.

tests/data/flat_specs/<name>.yaml are the specs tools/keras_to_spec.py wrote from the Keras models
(one entry per Keras layer, Keras' own names): the bridge between specs/<name>.yaml, rewritten with
blocks, and the Keras figures in tests/data/keras/specs/<name>.json.
"""

from __future__ import annotations

from typing import List, Tuple

from calc.graph import parse_reference
from calc.report import LayerRow, Report
from tests.conftest import ROOT

FLAT_DIR = ROOT / "tests" / "data" / "flat_specs"
FLAT_SPECS = sorted(FLAT_DIR.glob("*.yaml"))


def graph_order(report: Report) -> List[LayerRow]:
    """The layers in depth-first post-order from the outputs, each layer's inputs in the order it lists them.

    A topological order that depends on the graph alone, not on the order a spec lists its layers:
    Keras interleaves Inception's branches (conv, conv, bn, bn, ...) where the blocks version lists
    each conv-bn-relu together, so the two reports' own orders differ while the graphs are the same."""
    rows = {row.name: row for row in report.layers}
    order: List[LayerRow] = []
    done = set()
    stack = [(parse_reference(output)[0], False) for output in reversed(report.outputs)]
    while stack:
        name, inputs_done = stack.pop()
        if name in done or name not in rows:  # model inputs are not rows
            continue
        if inputs_done:
            done.add(name)
            order.append(rows[name])
            continue
        stack.append((name, True))
        stack.extend((parse_reference(ref)[0], False) for ref in reversed(rows[name].inputs))
    return order


def corresponding_layers(blocks: Report, flat: Report) -> List[Tuple[LayerRow, LayerRow]]:
    """Pairs (blocks layer, flat layer) in graph order, after checking the two graphs are the same:
    as many layers, each of the same type reading the corresponding inputs."""
    pairs = list(zip(graph_order(blocks), graph_order(flat)))
    assert len(blocks.layers) == len(flat.layers) == len(pairs)
    flat_name = {row.name: row.name for row in blocks.inputs}
    assert [row.name for row in blocks.inputs] == [row.name for row in flat.inputs]
    for row, flat_row in pairs:
        assert row.type == flat_row.type, (row.name, flat_row.name)
        inputs = []
        for ref in row.inputs:
            source, index = parse_reference(ref)
            inputs.append(flat_name[source] + (f":{index}" if ref != source else ""))
        assert tuple(inputs) == flat_row.inputs, (row.name, flat_row.name)
        flat_name[row.name] = flat_row.name
    return pairs
