"""Graph -> Report, in one pass: each layer's rule is called once for every figure the report needs.

Shapes, weights and MACs always; bias additions, elementwise operations and the receptive-field window
when costs are asked for (a `Conventions`).  What the pass records is all later stages read: the
memory figures and the collapsed view (`collapse`) are computed from the rows, never by calling a rule
again.  The conditions symbolic comparisons assumed are collected in this analysis' own `Assumptions`,
bound to its input symbols, and reported as `valid_when`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Dict, List, Optional, Tuple

from . import costs as cost_algebra
from .dims import Dim, Shape, check_size, dim_sum, prod
from .errors import LayercalcError, Param, ShapeError, UsageError
from .graph import Graph, Node, build_graph, is_chain, parse_reference
from .report import COLUMNS, COST_COLUMNS, Conventions, Counts, InputRow, LayerCosts, LayerRow, ModelCosts, Report
from .spec import Spec


def analyze(model: "Spec | Graph", conventions: Optional[Conventions] = None, per_batch: bool = False,
            source: Optional[str] = None) -> Report:
    """Every layer's output shape, parameters and MACs, and the totals; with `conventions`, also every
    layer's FLOPs, bias additions, elementwise operations, output bytes and receptive field, and the
    model's memory.  per_batch: MACs (and FLOPs) for the whole batch, which must then be known (the
    report's conventions say so).  `source` names the spec in messages (default: its file)."""
    graph = model if isinstance(model, Graph) else build_graph(model)
    source = source or graph.source
    batch, input_shapes, assumptions = _bound_inputs(graph)
    scale = batch if per_batch else None  # MACs and FLOPs times the batch; None: per example
    produced: Dict[str, Tuple[Shape, ...]] = {}  # every output shape of every layer and input
    fields: Dict[str, cost_algebra.FieldState] = {}  # every receptive field, when costs are asked for
    input_rows = []
    for item, shape in zip(graph.inputs, input_shapes):
        produced[item.name] = (shape,)
        fields[item.name] = cost_algebra.ORIGIN
        input_rows.append(InputRow(item.name, shape, item.dtype))

    rows = []
    example_macs = []  # per example, whatever per_batch says: the total is scaled once, so it prints factored
    for node in graph.nodes:
        try:
            x = _rule_input(node, [_output(produced, ref, node.spec.inputs_location) for ref in node.inputs])
            row, macs = _evaluate(node, x, conventions, scale, fields)
        except LayercalcError as error:
            raise error.add_context(location=node.spec.arg_location(error.argument), layer=node.name,
                                    layer_type=node.type)
        produced[node.name] = row.output_shapes
        rows.append(row)
        example_macs.append(macs)
    for reference in graph.outputs:
        _output(produced, reference, graph.outputs_location)
    if per_batch and batch is None:
        raise UsageError((Param("per_batch"), f" needs a batch size, but {source} leaves it unknown: give one with "
                          "'batch: 64' (or a symbol, 'batch: N')"))

    counts = [dim_sum(getattr(row.counts, column) for row in rows) for column in COLUMNS[:-1]]
    totals = Counts(*counts, prod([dim_sum(example_macs), scale]) if per_batch else dim_sum(example_macs))
    report = Report(graph.name, batch, tuple(input_rows), tuple(rows), graph.outputs, totals, graph.is_chain,
                    graph.blocks, () if assumptions is None else assumptions.close())
    if conventions is None:
        return report
    return replace(report, costs=_model_costs(report, replace(conventions, per_batch=per_batch, batch=batch)))


def _bound_inputs(graph: Graph) -> Tuple[Dim, List[Shape], Any]:
    """(batch, input shapes with the batch axis, Assumptions or None): symbolic sizes bound to this
    analysis' own Assumptions; a spec without symbols does not import symbolic support."""
    shapes = [(graph.batch, *item.shape) for item in graph.inputs]
    if all(dim is None or type(dim) is int for shape in shapes for dim in shape):
        return graph.batch, shapes, None
    from .symbolic import Assumptions, bind

    assumptions = Assumptions()
    shapes = [tuple(bind(dim, assumptions) for dim in shape) for shape in shapes]
    return (shapes[0][0] if shapes else bind(graph.batch, assumptions)), shapes, assumptions


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


def _rule_input(node: Node, input_shapes: List[Shape]) -> Any:
    """What the rule's methods take: one shape, or a tuple of them for a layer of several inputs."""
    return input_shapes[0] if node.rule.max_inputs == 1 else tuple(input_shapes)


def _evaluate(node: Node, x: Any, conventions: Optional[Conventions], scale: Optional[Dim],
              fields: Dict[str, cost_algebra.FieldState]) -> Tuple[LayerRow, Dim]:
    """The node's row, and its MACs per example: each figure asked from its rule once."""
    rule = node.rule
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
    example_macs = rule.macs(x, result)
    macs = example_macs if scale is None else prod([example_macs, scale])
    counts = Counts(dim_sum([trainable, frozen]), trainable, frozen, macs)
    layer_costs = None
    if conventions is not None:
        bias, ops = rule.bias_adds(x, result), rule.elementwise(x, result)
        if scale is not None and scale != 1:
            bias, ops = prod([bias, scale]), prod([ops, scale])
        sources = [fields[name] for name in node.sources]
        fields[node.name] = cost_algebra.propagate(rule.window(x), sources, x, outputs[0])
        layer_costs = LayerCosts(cost_algebra.flops(macs, bias, ops, conventions), bias, ops,
                                 cost_algebra.tensor_bytes(outputs, conventions.bytes_per_element),
                                 cost_algebra.receptive_field(fields[node.name]))
    return LayerRow(node.name, node.type, node.inputs, outputs, counts, node.spec.scope, layer_costs), example_macs


def _model_costs(report: Report, conventions: Conventions) -> ModelCosts:
    input_bytes = tuple(cost_algebra.tensor_bytes([row.shape], cost_algebra.itemsize(row.dtype, conventions))
                        for row in report.inputs)
    totals = LayerCosts(*(dim_sum(getattr(row.costs, column) for row in report.layers) for column in COST_COLUMNS))
    return ModelCosts(conventions, totals, cost_algebra.memory(report, input_bytes, conventions), input_bytes)


# -- the collapsed view -----------------------------------------------------------------------------------


def collapse(report: Report, depth: int) -> Report:
    """Blocks nested `depth` deep or more shown as one row each, with their totals (like Keras'
    expand_nested=False and torchinfo's depth): the rows the pass recorded, regrouped."""
    members: Dict[str, List[LayerRow]] = {}
    owner: Dict[str, str] = {}  # layer name -> the collapsed block that holds it
    order: List[str] = []  # row names in report order: layers and collapsed blocks
    for row in report.layers:
        if len(row.scope) < depth:
            order.append(row.name)
            continue
        block = row.scope[depth - 1]
        if block not in members:
            members[block] = []
            order.append(block)
        members[block].append(row)
        owner[row.name] = block

    def shown(reference: str) -> str:
        return owner.get(reference.rpartition(":")[0] or reference, owner.get(reference, reference))

    by_name = {row.name: row for row in report.layers}
    rows = []
    for name in order:
        if name not in members:
            row = by_name[name]
            rows.append(replace(row, inputs=tuple(dict.fromkeys(shown(ref) for ref in row.inputs))))
            continue
        group = members[name]
        inputs = [shown(ref) for row in group for ref in row.inputs]
        block_type, output = report.blocks[name]
        source, colon, index = output.rpartition(":")
        output_row = by_name[source] if colon else by_name[output]
        counts = Counts(*(dim_sum(getattr(row.counts, column) for row in group) for column in COLUMNS))
        costs = LayerCosts.combined(group, output_row.costs) if report.costs else None
        rows.append(LayerRow(name, block_type, tuple(dict.fromkeys(ref for ref in inputs if ref != name)),
                             (output_row.output_shapes[int(index) if colon else 0],), counts,
                             group[0].scope[:depth - 1], costs))
    outputs = tuple(dict.fromkeys(shown(ref) for ref in report.outputs))
    chain = is_chain([row.name for row in report.inputs], ((row.name, row.inputs) for row in rows), outputs)
    return replace(report, layers=tuple(rows), outputs=outputs, is_chain=chain)
