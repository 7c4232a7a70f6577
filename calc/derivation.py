"""One layer's figures derived step by step, as `layercalc explain` shows them.

The analysis has computed every layer's input shapes (one pass, as for a summary); explaining a layer
calls its rule's methods once more, on traced numbers (calc/trace.py): the layer's input sizes and its
integer arguments as given numbers, so every output size, weight size and the MACs come back with the
arithmetic the rule did.  The derivations are the rules' own formulas, with the layer's own numbers.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Set, Tuple

from .analysis import _output as output_of
from .dims import Dim, Shape, dim_sum, prod
from .errors import LayercalcError
from .graph import Graph, Node
from .report import Report
from .trace import leaf, plain

# A derivation: a number (given, or derived in an earlier step) or (operator, left, right) of derivations.
Derivation = Any


@dataclass(frozen=True)
class Step:
    """One figure and how the rule computed it."""

    figure: str  # "output_shape", "weight", "params" or "macs"
    label: str  # the axis ("axis 1", "output 1 axis 2"), the weight's name, or the figure's
    derivation: Derivation
    value: Dim
    trainable: bool = True  # a weight's
    output: Optional[int] = None  # an output_shape step's: which output (of a layer with several) and axis
    axis: Optional[int] = None

    @property
    def derived(self) -> bool:
        """Whether the rule computed it (else it is one of the given numbers)."""
        return isinstance(self.derivation, tuple)


@dataclass(frozen=True)
class LayerExplanation:
    name: str
    type: str
    input_shapes: Tuple[Shape, ...]
    output_shapes: Tuple[Shape, ...]
    steps: Tuple[Step, ...]
    params: Dim
    trainable_params: Dim
    non_trainable_params: Dim
    macs: Dim
    shared_with: Optional[str] = None  # a call of a shared layer: whose weights it uses (counted there)
    calls: Tuple[Tuple[str, Dim], ...] = ()  # a shared layer's own row: its other calls and their MACs


@dataclass(frozen=True)
class Explanation:
    name: Optional[str]
    layers: Tuple[LayerExplanation, ...]


def explain_layers(graph: Graph, report: Report, names: Tuple[str, ...]) -> Explanation:
    """The derivations of the named layers (all when `names` is empty), from the input shapes `report`
    (the analysis of `graph`) recorded."""
    produced: Dict[str, Tuple[Shape, ...]] = {row.name: (row.shape,) for row in report.inputs}
    produced.update((row.name, row.output_shapes) for row in report.layers)
    nodes = [node for node in graph.nodes if not names or node.name in names]
    assumptions = _fresh_assumptions(report)
    macs = {row.name: row.counts.macs for row in report.layers}
    calls: Dict[str, List[Tuple[str, Dim]]] = {}
    for node in graph.nodes:
        if node.shares is not None:
            calls.setdefault(node.shares, []).append((node.name, macs[node.name]))
    return Explanation(graph.name, tuple(dataclasses.replace(_explain(node, produced, assumptions),
                                                             calls=tuple(calls.get(node.name, ())))
                                         for node in nodes))


def _explain(node: Node, produced: Dict[str, Tuple[Shape, ...]], assumptions: Any) -> LayerExplanation:
    shapes = tuple(_given_shape(output_of(produced, ref, None), assumptions) for ref in node.inputs)
    x = node.rule.rule_input(list(shapes))
    rule = _traced_rule(node.rule)
    try:
        result = rule.output_shape(x)
        outputs = tuple(result) if isinstance(result, list) else (result,)
        weights = rule.weights(x)
        macs = rule.macs(x, result)
    except LayercalcError as error:  # the analysis ran the same rule on the same numbers: never expected
        raise error.add_context(location=node.spec.arg_location(error.argument), layer=node.name,
                                layer_type=node.type)
    explained: Set[int] = set()  # the values earlier steps derived: later ones show them as numbers
    steps: List[Step] = []
    for index, shape in enumerate(outputs):
        several = len(outputs) > 1
        for axis, size in enumerate(shape):
            steps.append(Step("output_shape", f"{f'output {index} ' if several else ''}axis {axis}",
                              _derivation(size, explained), plain(size), output=index if several else None, axis=axis))
    explained.update(id(size) for shape in outputs for size in shape)
    weighed: List[Step] = []  # a call of a shared layer counts no weights: they are the layer's
    if node.shares is None:
        sizes = [prod(weight.shape) for weight in weights]
        weighed = [Step("weight", weight.name, _derivation(size, explained), plain(size),
                        weight.trainable and node.trainable) for weight, size in zip(weights, sizes)]
        explained.update(id(size) for size in sizes)
        params = dim_sum(sizes)
        if len(sizes) > 1:
            weighed.append(Step("params", "params", _derivation(params, explained), plain(params)))
    steps += weighed
    steps.append(Step("macs", "MACs", _derivation(macs, explained), plain(macs)))
    trainable = dim_sum(step.value for step in weighed if step.figure == "weight" and step.trainable)
    frozen = dim_sum(step.value for step in weighed if step.figure == "weight" and not step.trainable)
    return LayerExplanation(node.name, node.type, tuple(map(_plain_shape, shapes)),
                            tuple(map(_plain_shape, outputs)), tuple(steps), dim_sum([trainable, frozen]),
                            trainable, frozen, plain(macs), node.shares)


def _fresh_assumptions(report: Report) -> Any:
    """Assumptions for the derivations' symbolic comparisons (the analysis has closed its own; what they
    assume, it has stated), or None for a model without symbols."""
    if all(dim is None or type(dim) is int for row in report.inputs for dim in row.shape):
        return None
    from .symbolic import Assumptions

    return Assumptions()


def _given_shape(shape: Shape, assumptions) -> Shape:
    if assumptions is None:
        return tuple(leaf(dim) for dim in shape)
    from .symbolic import rebind

    return tuple(leaf(rebind(dim, assumptions)) for dim in shape)


def _traced_rule(rule: Any) -> Any:
    """The rule with every integer argument (alone or in a tuple or list) a given number."""
    changes = {}
    for field in dataclasses.fields(rule):
        value = getattr(rule, field.name)
        given = _given(value)
        if field.init and given is not value:
            changes[field.name] = given
    return dataclasses.replace(rule, **changes) if changes else rule


def _given(value: Any) -> Any:
    if type(value) is int:
        return leaf(value)
    if isinstance(value, (tuple, list)) and any(type(item) is int for item in value):
        return type(value)(_given(item) for item in value)
    return value


def _derivation(value: Any, explained: Set[int]) -> Derivation:
    """The arithmetic that produced `value`, down to given numbers and the values earlier steps derived."""
    how = getattr(value, "how", None)
    if how is None or id(value) in explained:
        return plain(value)
    operator, left, right = how
    return (operator, _derivation(left, explained), _derivation(right, explained))


def _plain_shape(shape: Any) -> Any:
    return tuple(plain(dim) for dim in shape) if isinstance(shape, tuple) else shape
