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
from .dims import Dim, Shape, check_size, dim_sum, format_shape, prod
from .errors import LayercalcError, Param, ShapeError, UsageError
from .graph import Graph, Node, build_graph, is_chain, parse_reference
from .report import (COST_COLUMNS, Conventions, Counts, InputRow, LayerCosts, LayerRow, ModelCosts, Report,
                     TokenFlops, TrainingFlops, TypeTotals)
from .spec import Spec


def analyze(model: "Spec | Graph", conventions: Optional[Conventions] = None, per_batch: bool = False,
            source: Optional[str] = None, dtype: Optional[str] = None) -> Report:
    """Every layer's output shape, parameters and MACs, and the totals; with `conventions`, also every
    layer's FLOPs, bias additions, elementwise operations, output bytes and receptive field, and the
    model's memory.  per_batch: MACs (and FLOPs) for the whole batch, which must then be known (the
    report's conventions say so).  `source` names the spec in messages (default: its file).  dtype: the
    parameters' (default: the conventions', else the spec's, else float32), for their bytes."""
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
    # a layer called again -> (input, weights) of its first call; only those layers are recorded
    built: Dict[str, Optional[Tuple[Any, Tuple[Any, ...]]]] = {node.shares: None for node in graph.nodes if node.shares}
    calls: Dict[str, int] = {}  # a shared layer -> its calls so far
    known: Optional[Dict[Any, _Figures]] = {} if assumptions is None else None  # see _evaluate
    for node in graph.nodes:
        try:
            x = node.rule.rule_input([_output(produced, ref, node.spec.inputs_location) for ref in node.inputs])
            row, macs = _evaluate(node, x, conventions, scale, fields, built, known)
        except LayercalcError as error:
            raise error.add_context(location=node.spec.arg_location(error.argument), layer=node.name,
                                    layer_type=node.type)
        if node.shares is not None:
            calls[node.shares] = calls.get(node.shares, 0) + 1
            row = replace(row, shared_with=node.shares, call=calls[node.shares])
        produced[node.name] = row.output_shapes
        rows.append(row)
        example_macs.append(macs)
    for reference in graph.outputs:
        _output(produced, reference, graph.outputs_location)
    if per_batch and batch is None:
        raise UsageError((Param("per_batch"), f" needs a batch size, but {source} leaves it unknown: give one with ",
                          Param("batch"), " (such as 64), or in the spec ('batch: 64', or a symbol, 'batch: N')"))

    rows = _with_active_params(rows)
    totals = replace(Counts.summed(rows),
                     macs=prod([dim_sum(example_macs), scale]) if per_batch else dim_sum(example_macs))
    dtype = conventions.dtype if conventions else dtype or getattr(model, "dtype", None) or "float32"
    bytes_per_parameter = cost_algebra.DTYPE_BYTES[dtype]
    # layers with dtype policies of their own: each one's weights weighed in its own dtype
    own = any(row.dtype or row.weight_dtypes for row in rows)
    byte_totals = cost_algebra.parameter_bytes(rows, bytes_per_parameter) if own else None
    report = Report(graph.name, batch, tuple(input_rows), tuple(rows), graph.outputs, totals, graph.is_chain,
                    graph.blocks, () if assumptions is None else assumptions.close(),
                    bytes_per_parameter=bytes_per_parameter, framework=graph.framework,
                    parameter_byte_totals=byte_totals)
    if conventions is None:
        return report
    return replace(report, costs=_model_costs(report, replace(conventions, per_batch=per_batch, batch=batch)))


def _with_active_params(rows: List[LayerRow]) -> List[LayerRow]:
    """In a model with a mixture of experts, every row's active parameters: the rule's where it routes
    tokens to some of its weights, all of its parameters elsewhere; in any other model, the rows as they are."""
    if all(row.counts.active_params is None for row in rows):
        return rows
    return [row if row.counts.active_params is not None else
            replace(row, counts=replace(row.counts, active_params=row.counts.params)) for row in rows]


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


def _evaluate(node: Node, x: Any, conventions: Optional[Conventions], scale: Optional[Dim],
              fields: Dict[str, cost_algebra.FieldState],
              built: Dict[str, Optional[Tuple[Any, Tuple[Any, ...]]]],
              known: Optional[Dict[Any, "_Figures"]]) -> Tuple[LayerRow, Dim]:
    """The node's row, and its MACs per example: each figure asked from its rule once.  A layer called
    several times has one set of weights: every call must fit them (`built`), and only the layer's own
    row counts them.  `known`: the figures of each rule and input met before, when every size is a
    number (a rule is a pure function of its arguments and input: the same layer on the same input, as
    in a repeated block, is computed once; its receptive field, which depends on the layers before, not)."""
    key = (id(node.rule), x, node.trainable, node.shares is None, node.dtype)
    figures = known.get(key) if known is not None else None
    if figures is None:
        figures = _figures(node, x, conventions, scale, fields, built)
        if known is not None:
            known[key] = figures
    else:
        _check_shared_weights(node, x, figures[1], built)
        if conventions is not None:
            fields[node.name] = cost_algebra.propagate(figures[4], [fields[name] for name in node.sources], x,
                                                       figures[0][0])
    outputs, _, counts, example_macs, _, layer_costs = figures
    if conventions is not None:
        receptive_field = cost_algebra.receptive_field(fields[node.name])
        if receptive_field is not None:
            layer_costs = replace(layer_costs, receptive_field=receptive_field)
    return LayerRow(node.name, node.type, node.inputs, outputs, counts, node.spec.scope, layer_costs,
                    dtype=node.dtype, weight_dtypes=_weight_dtypes(node, figures[1])), example_macs


def _weight_dtypes(node: Node, weights: Tuple[Any, ...]) -> Tuple[Tuple[Optional[str], Dim, Dim], ...]:
    """(policy, trainable, non-trainable parameters) per policy of the layer's weights, when a layer it wraps has a
    policy of its own (its weights are in that one's variable dtype); () when all are in the layer's."""
    if node.shares is not None or not any(weight.dtype for weight in weights):
        return ()
    groups: Dict[Optional[str], Tuple[Dim, Dim]] = {}
    for weight in weights:
        if not weight.buffer:
            trainable, frozen = groups.get(weight.dtype or node.dtype, (0, 0))
            size = prod(weight.shape)
            groups[weight.dtype or node.dtype] = ((dim_sum([trainable, size]), frozen) if weight.trainable and
                                                  node.trainable else (trainable, dim_sum([frozen, size])))
    return tuple((policy, trainable, frozen) for policy, (trainable, frozen) in groups.items())


# (outputs, weights, counts, MACs per example, receptive-field window, costs but the receptive field)
_Figures = Tuple[Tuple[Shape, ...], Tuple[Any, ...], Counts, Dim, Any, Optional[LayerCosts]]


def _figures(node: Node, x: Any, conventions: Optional[Conventions], scale: Optional[Dim],
             fields: Dict[str, cost_algebra.FieldState],
             built: Dict[str, Optional[Tuple[Any, Tuple[Any, ...]]]]) -> _Figures:
    """The node's rule on input x, every figure asked once; its receptive field into `fields`."""
    rule = node.rule
    result = rule.output_shape(x)
    outputs = tuple(result) if isinstance(result, list) else (result,)
    for shape in outputs:
        check_size(shape, "the output")
    weights = tuple(rule.weights(x))
    _check_shared_weights(node, x, weights, built)
    trainable: Dim = 0
    frozen: Dim = 0
    buffers: Dim = 0
    for weight in weights if node.shares is None else ():
        check_size(weight.shape, f"weight '{weight.name}'")
        size = prod(weight.shape)
        if weight.buffer:
            buffers = dim_sum([buffers, size])
        elif weight.trainable and node.trainable:
            trainable = dim_sum([trainable, size])
        else:
            frozen = dim_sum([frozen, size])
    example_macs = rule.macs(x, result)
    macs = example_macs if scale is None else prod([example_macs, scale])
    active = rule.active_params(x) if node.shares is None else None
    counts = Counts(dim_sum([trainable, frozen]), trainable, frozen, macs, buffers, active)
    if conventions is None:
        return outputs, weights, counts, example_macs, None, None
    bias, ops = rule.bias_adds(x, result), rule.elementwise(x, result)
    if scale is not None and scale != 1:
        bias, ops = prod([bias, scale]), prod([ops, scale])
    window = rule.window(x)
    fields[node.name] = cost_algebra.propagate(window, [fields[name] for name in node.sources], x, outputs[0])
    saved, cached = rule.saved_tensors(x, result), rule.kv_cache(x, result)
    batch = outputs[0][0]
    _, itemsize = cost_algebra.layer_itemsizes(node.dtype, conventions.bytes_per_element,
                                               conventions.bytes_per_activation)  # its outputs' (compute) dtype
    layer_costs = LayerCosts(cost_algebra.flops(macs, bias, ops, conventions), bias, ops,
                             cost_algebra.tensor_bytes(outputs, itemsize), None, attention=saved != 0,
                             saved_bytes=cost_algebra.attention_bytes(saved, batch, conventions, True, itemsize),
                             kv_cache_bytes=cost_algebra.attention_bytes(cached, batch, conventions, False, itemsize))
    return outputs, weights, counts, example_macs, window, layer_costs


def _check_shared_weights(node: Node, x: Any, weights: Tuple[Any, ...],
                          built: Dict[str, Optional[Tuple[Any, Tuple[Any, ...]]]]) -> None:
    """Refuse a call whose input needs other weights than the layer's other calls (Keras raises)."""
    layer = node.shares or node.name
    if layer not in built:  # never called again: nothing to compare with
        return
    if built[layer] is None:
        built[layer] = (x, weights)
        return
    first_input, first = built[layer]
    for weight, other in zip(weights, first):
        if weight.shape != other.shape:
            raise ShapeError(f"input {_shapes_text(x)} needs weight '{weight.name}' of shape "
                             f"{format_shape(weight.shape)}, but the weights of '{layer}' (shared by its calls) are "
                             f"{format_shape(other.shape)}, built for input {_shapes_text(first_input)}")


def _shapes_text(x: Any) -> str:
    return format_shape(x) if not x or not isinstance(x[0], tuple) else ", ".join(map(format_shape, x))


def _model_costs(report: Report, conventions: Conventions) -> ModelCosts:
    input_bytes = tuple(cost_algebra.tensor_bytes([row.shape], cost_algebra.itemsize(row.dtype, conventions))
                        for row in report.inputs)
    totals = LayerCosts(*(dim_sum(getattr(row.costs, column) for row in report.layers) for column in COST_COLUMNS))
    training = None
    if conventions.training_flops:
        training = _training_flops(report, totals.flops, conventions)
    return ModelCosts(conventions, totals, cost_algebra.memory(report, input_bytes, conventions), input_bytes,
                      training, _per_token(report, totals.flops, training, conventions))


def _token_ids(report: Report) -> Optional[InputRow]:
    """The model's first input when it holds integer token ids (a language model's), else None."""
    first = report.inputs[0] if report.inputs else None
    return first if first is not None and first.dtype in cost_algebra.INTEGER_BYTES else None


def _training_flops(report: Report, forward: Dim, conventions: Conventions) -> TrainingFlops:
    """The step's FLOPs and 6·N·tokens: tokens are the token ids of the first input when it holds integers
    (B·T, per example when the batch is unknown), else the batch's examples."""
    first = _token_ids(report)
    if first is not None:
        tokens, unit = prod(first.shape if first.shape[0] is not None else first.shape[1:]), "tokens"
    else:
        tokens, unit = (1 if report.batch is None else report.batch), "examples"
    step, estimate = cost_algebra.training_flops(forward, report.totals.trainable_params, tokens, conventions)
    return TrainingFlops(step, estimate, tokens, unit)


def _per_token(report: Report, forward: Dim, training: Optional[TrainingFlops],
               conventions: Conventions) -> Optional[TokenFlops]:
    """FLOPs per token of a model whose first input holds token ids: the forward FLOPs ÷ the token positions
    they cover (T per example, B·T per batch), and the training step's ÷ its tokens."""
    first = _token_ids(report)
    if first is None:
        return None
    positions = prod(first.shape if conventions.per_batch else first.shape[1:])
    return TokenFlops(positions, cost_algebra.per_token(forward, positions),
                      cost_algebra.per_token(training.flops, training.tokens) if training else None)


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
            # A call of a layer now inside a collapsed block stays a row of its own, counting no weights.
            shared = row.shared_with if row.shared_with not in owner else None
            rows.append(replace(row, inputs=tuple(dict.fromkeys(shown(ref) for ref in row.inputs)),
                                shared_with=shared, call=row.call if shared else 0))
            continue
        group = members[name]
        inputs = [shown(ref) for row in group for ref in row.inputs]
        block_type, output = report.blocks[name]
        source, colon, index = output.rpartition(":")
        output_row = by_name[source] if colon else by_name[output]
        counts = Counts.summed(group)
        costs = LayerCosts.combined(group, output_row.costs) if report.costs else None
        # A block instance's call: every layer a call of a layer of one other instance.
        called = {owner.get(row.shared_with) for row in group}
        shared = called.pop() if len(called) == 1 and None not in called and name not in called else None
        shared = shared if shared and len(members[shared]) == len(group) else None
        rows.append(LayerRow(name, block_type, tuple(dict.fromkeys(ref for ref in inputs if ref != name)),
                             (output_row.output_shapes[int(index) if colon else 0],), counts,
                             group[0].scope[:depth - 1], costs, shared))
    rows = _numbered_calls(rows)
    outputs = tuple(dict.fromkeys(shown(ref) for ref in report.outputs))
    chain = is_chain([row.name for row in report.inputs], ((row.name, row.inputs) for row in rows), outputs)
    return replace(report, layers=tuple(rows), outputs=outputs, is_chain=chain)


def _numbered_calls(rows: List[LayerRow]) -> List[LayerRow]:
    """Each call's number among its layer's calls, in report order (1, 2, ...)."""
    calls: Dict[str, int] = {}
    numbered = []
    for row in rows:
        if row.shared_with is not None:
            calls[row.shared_with] = calls.get(row.shared_with, 0) + 1
            row = replace(row, call=calls[row.shared_with])
        numbered.append(row)
    return numbered


def merge_calls(report: Report) -> Report:
    """One row per layer, as Keras' model.summary() shows a layer called several times: at its first
    row, connected to every call's inputs, with its last call's output shape (Keras prints the last
    node's), its weights once and the MACs and costs of all its calls summed (the rows the pass
    recorded, regrouped; the totals do not change)."""
    groups: Dict[str, List[LayerRow]] = {}
    for row in report.layers:
        groups.setdefault(row.shared_with or row.name, []).append(row)
    if all(len(group) == 1 for group in groups.values()):
        return report
    rows = []
    for name, group in groups.items():
        if len(group) == 1:
            rows.append(group[0])
            continue
        layer, last = next((row for row in group if row.name == name), group[0]), group[-1]
        counts = Counts.summed(group)
        costs = LayerCosts.combined(group, last.costs) if report.costs else None
        rows.append(replace(layer, name=name, inputs=tuple(ref for row in group for ref in row.inputs),
                            output_shapes=last.output_shapes, counts=counts, costs=costs, shared_with=None, call=0))
    chain = is_chain([row.name for row in report.inputs], ((row.name, row.inputs) for row in rows), report.outputs)
    return replace(report, layers=tuple(rows), is_chain=chain)


# -- the tree view and the totals per type --------------------------------------------------------------------------


def tree(report: Report, depth: Optional[int] = None) -> Report:
    """The rows as a tree, like torchinfo's: each block instance nested less than `depth` deep (every one
    without a depth) as a row of its totals (as `collapse` shows it) with its children's rows under it,
    one level deeper; blocks nested `depth` deep as one row each. Children follow their block's row in
    report order; the totals do not change (the blocks' rows repeat their children's counts)."""
    leaves = collapse(report, depth) if depth is not None else report
    deepest = (depth - 1) if depth is not None else max((len(row.scope) for row in report.layers), default=0)
    blocks: Dict[str, LayerRow] = {}  # block instance -> its row, children to follow
    for level in range(1, deepest + 1):
        for row in collapse(report, level).layers:
            if row.name in report.blocks and len(row.scope) == level - 1:
                blocks[row.name] = replace(row, expanded=True)
    children: Dict[Optional[str], List[LayerRow]] = {}  # a block instance (None: the model) -> its rows in order

    def attach(row: LayerRow) -> None:
        parent = row.scope[-1] if row.scope else None
        if parent is not None and parent not in children:
            children[parent] = []
            attach(blocks[parent])
        children.setdefault(parent, []).append(replace(row, level=len(row.scope)))

    for row in leaves.layers:
        attach(row)
    rows: List[LayerRow] = []

    def walk(parent: Optional[str]) -> None:
        for row in children.get(parent, ()):
            rows.append(row)
            if row.expanded:
                walk(row.name)

    walk(None)
    return replace(leaves, layers=tuple(rows), tree=True)


def totals_by_type(report: Report) -> Tuple[TypeTotals, ...]:
    """Each layer type's layers, counts and costs summed (fvcore's by_operator), in order of first appearance;
    the model inputs as InputLayer, with their bytes. Every column sums to the report's total (the memory
    column to the activation memory)."""
    groups: Dict[str, List[LayerRow]] = {}
    for row in report.layers:
        groups.setdefault(row.type, []).append(row)
    costs = report.costs
    result = []
    if report.inputs:
        input_costs = LayerCosts(0, 0, 0, dim_sum(costs.input_bytes)) if costs else None
        result.append(TypeTotals("InputLayer", len(report.inputs), Counts(0, 0, 0, 0), input_costs))
    for kind, group in groups.items():
        result.append(TypeTotals(kind, sum(row.shared_with is None for row in group), Counts.summed(group),
                                 LayerCosts.combined(group, None) if costs else None))
    return tuple(result)
