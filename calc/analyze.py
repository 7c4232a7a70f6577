"""Graph -> Report: propagates shapes through the layers and sums the counts."""

from __future__ import annotations

from typing import Dict, List, Tuple

from . import dims
from .dims import Dim, Shape, check_size, dim_sum, prod
from .errors import LayercalcError, ShapeError
from .graph import Graph, Node, build_graph, parse_reference
from .report import Counts, InputRow, LayerRow, Report
from .spec import Spec


def analyze(model: "Spec | Graph") -> Report:
    """Every layer's output shape, parameters and MACs, and the totals."""
    graph = model if isinstance(model, Graph) else build_graph(model)
    dims.ASSUMPTIONS.clear()
    produced: Dict[str, Tuple[Shape, ...]] = {}  # every output shape of every layer and input
    input_rows = []
    for item in graph.inputs:
        shape = (graph.batch, *item.shape)
        produced[item.name] = (shape,)
        input_rows.append(InputRow(item.name, shape, item.dtype))

    rows = []
    for node in graph.nodes:
        try:
            input_shapes = [_output(produced, ref, node.spec.inputs_location) for ref in node.inputs]
            outputs, counts = _evaluate(node, input_shapes)
        except LayercalcError as error:
            raise error.add_context(location=node.spec.arg_location(error.argument), layer=node.name,
                                    layer_type=node.type)
        produced[node.name] = outputs
        rows.append(LayerRow(node.name, node.type, node.inputs, outputs, counts, node.spec.scope))
    for reference in graph.outputs:
        _output(produced, reference, graph.outputs_location)

    totals = Counts(*(dim_sum(getattr(row.counts, field) for row in rows)
                      for field in ("params", "trainable_params", "non_trainable_params", "macs")))
    return Report(graph.name, graph.batch, tuple(input_rows), tuple(rows), graph.outputs, totals, graph.is_chain,
                  graph.blocks, _valid_when())


def _valid_when() -> Tuple[str, ...]:
    if not dims.ASSUMPTIONS:
        return ()
    from .symbolic import summarize

    return summarize(dims.ASSUMPTIONS)


def _output(produced: Dict[str, Tuple[Shape, ...]], reference: str, location) -> Shape:
    name, index = parse_reference(reference)
    shapes = produced[name]
    if index >= len(shapes):
        raise ShapeError(
            f"'{reference}' asks for output {index} of '{name}', which has {len(shapes)} "
            f"output{'s' if len(shapes) > 1 else ''} (numbered from 0)",
            location=location,
        )
    return shapes[index]


def _evaluate(node: Node, input_shapes: List[Shape]) -> Tuple[Tuple[Shape, ...], Counts]:
    rule = node.rule
    x = input_shapes[0] if rule.max_inputs == 1 else tuple(input_shapes)
    result = rule.output_shape(x)
    outputs = tuple(result) if isinstance(result, list) else (result,)
    for shape in outputs:
        check_size(shape, "the output")
    trainable: Dim = 0
    frozen: Dim = 0
    for weight in rule.weights(x):
        check_size(weight.shape, f"weight '{weight.name}'")
        size = prod(weight.shape)
        if weight.trainable and node.trainable:
            trainable = dim_sum([trainable, size])
        else:
            frozen = dim_sum([frozen, size])
    macs = rule.macs(x, result)
    return outputs, Counts(dim_sum([trainable, frozen]), trainable, frozen, macs)
