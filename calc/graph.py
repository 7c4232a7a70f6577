"""Spec -> Graph: resolves layer types and arguments, names, references,
cycles and the topological order.  No shapes are computed here."""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from . import rules
from .dims import Dim
from .errors import LayercalcError, Location, SpecError, closest
from .record import Record, record
from .spec import InputSpec, LayerSpec, Spec


def _written(ref, names: List[str]) -> str:
    """A reference as a user would write it: positions (from blocks and repeat) become names."""
    if isinstance(ref, int):
        return names[ref]
    if isinstance(ref, tuple):
        return f"{names[ref[0]]}:{ref[1]}"
    return ref


def parse_reference(reference: str) -> Tuple[str, int]:
    """'lstm' -> ('lstm', 0); 'lstm:2' -> ('lstm', 2): a layer's output by position.

    >>> parse_reference("lstm:2"), parse_reference("dense")
    (('lstm', 2), ('dense', 0))
    """
    name, colon, index = reference.rpartition(":")
    if colon and index.isdigit() and name:
        return name, int(index)
    return reference, 0


@dataclass(frozen=True, eq=False, repr=False)
class Node(Record):
    """One layer of the model, resolved."""

    name: str
    type: str  # canonical Keras class name
    rule: rules.Layer
    inputs: Tuple[str, ...]  # references as written: 'name' or 'name:output_index'
    trainable: bool
    spec: LayerSpec  # for locations in errors
    sources: Tuple[str, ...] = ()  # the names of the layers and inputs it reads (inputs without ':n')
    shares: Optional[str] = None  # another call of this layer: the node whose weights it uses
    dtype: Optional[str] = None  # its Keras dtype policy (`dtype: float16`, mixed_bfloat16, ...); None: the spec's


@record
class Graph(Record):
    """The layers in order, each with its resolved inputs, and the model's outputs."""

    name: Optional[str]
    batch: Dim
    inputs: Tuple[InputSpec, ...]
    nodes: Tuple[Node, ...]  # topological order, ties broken by spec order
    outputs: Tuple[str, ...]
    source: str
    outputs_location: Optional[Location] = None
    blocks: Dict[str, Tuple[str, str]] = field(default_factory=dict)  # instance -> (block type, output reference)
    framework: str = "keras"  # whose rules the nodes are (Spec.framework)

    @property
    def is_chain(self) -> bool:
        return is_chain([item.name for item in self.inputs], ((node.name, node.inputs) for node in self.nodes),
                        self.outputs)


def is_chain(input_names: Sequence[str], steps: Iterable[Tuple[str, Tuple[str, ...]]],
             outputs: Tuple[str, ...]) -> bool:
    """True when there is one input and every step (name, inputs) takes exactly the one before it, the
    last being the output: a Sequential model.

    >>> is_chain(["x"], [("a", ("x",)), ("b", ("a",))], ("b",)), is_chain(["x"], [("a", ("x",))], ("x",))
    (True, False)
    """
    previous = input_names[0] if len(input_names) == 1 else None
    if previous is None:
        return False
    for name, inputs in steps:
        if inputs != (previous,):
            return False
        previous = name
    return outputs == (previous,)


def build_graph(spec: Spec) -> Graph:
    names = _assign_names(spec)
    input_names = {item.name for item in spec.inputs}
    known = set(names) | input_names
    positions = {name: index for index, name in enumerate(names)}
    called_layers = {index: _called_layer(spec, index, names, positions)
                     for index, layer in enumerate(spec.layers) if layer.call is not None}
    built: Dict[tuple, rules.Layer] = {}  # layers of the same type and arguments share one (immutable) rule
    nodes: List[Node] = [_resolve(spec, layer, name, names, known, index, built) if layer.call is None else None
                         for index, (layer, name) in enumerate(zip(spec.layers, names))]
    for index, called_index in called_layers.items():  # a call is its layer's rule, on other inputs
        layer, name, called = spec.layers[index], names[index], nodes[called_index]
        context = dict(layer=name, layer_type=called.type)
        try:  # its call arguments (reverse: true) may make it another rule over the same weights
            rule = called.rule.called_with(layer.args)
        except LayercalcError as error:
            raise error.add_context(location=layer.arg_location(error.argument), **context)
        inputs = _inputs(spec, layer, index, names, known, type(rule), context)
        nodes[index] = Node(name, called.type, rule, inputs, called.trainable, layer,
                            tuple(parse_reference(ref)[0] for ref in inputs), called.name, called.dtype)
    ordered = _topological_order(nodes)
    outputs = _outputs(spec, nodes, input_names)
    _check_all_used(spec, ordered, outputs)
    blocks = {name: (block.type, _written(block.output, names))
              for name, block in spec.blocks.items()}
    return Graph(spec.name, spec.batch, spec.inputs, tuple(ordered), outputs, spec.source, spec.outputs_location,
                 blocks, spec.framework)


def _assign_names(spec: Spec) -> List[str]:
    """Explicit names, then Keras-style auto names (conv2d, conv2d_1, ...) for the rest."""
    taken: Dict[str, object] = {}
    for item in spec.inputs:
        taken[item.name] = item.location
    for layer in spec.layers:
        if layer.name is None:
            continue
        if layer.name in taken:
            first = taken[layer.name]
            raise SpecError(
                f"duplicate name '{layer.name}' (first used at line {first.line})",
                location=layer.location, layer=layer.name, layer_type=layer.type,
            )
        taken[layer.name] = layer.location
    counters: Dict[str, int] = {}
    names: List[str] = []
    for layer in spec.layers:
        if layer.name is not None:
            names.append(layer.name)
            continue
        if layer.call is not None and not layer.type:  # a call as written: encoder@1, encoder@2, as Keras numbers
            # the calls of encoder; a block instance's call copies its layers, named as any block's
            prefix = _written(layer.call, names) + "@"
            first = 1
        else:
            rule_class = rules.lookup(layer.type, framework=spec.framework)
            prefix = layer.prefix + rules.snake_case((rule_class.keras_class or rule_class.__name__) if rule_class
                                                     else layer.type)
            first = 0
        while True:
            count = counters.get(prefix, first)
            counters[prefix] = count + 1
            candidate = prefix + str(count) if first else prefix if count == 0 else f"{prefix}_{count}"
            if candidate not in taken:
                break
        taken[candidate] = layer.location
        names.append(candidate)
    return names


def _resolve(spec: Spec, layer: LayerSpec, name: str, names: List[str], known: set, index: int,
             built: Dict[tuple, rules.Layer]) -> Node:
    rule_class = rules.lookup(layer.type, framework=spec.framework)
    if rule_class is None:
        listing = "layercalc layers" + ("" if spec.framework == "keras" else f" --framework {spec.framework}")
        raise SpecError(
            f"unknown layer type '{layer.type}'{rules.unknown_type_hint(layer.type, spec.framework)}; "
            f"`{listing}` lists the supported types",
            location=layer.type_location, layer=name,
        )
    context = dict(layer=name, layer_type=rule_class.keras_name())
    key = _arguments_key(rule_class, layer.args)
    rule = built.get(key) if key is not None else None
    if rule is None:
        try:
            rule = rule_class.from_args(layer.args)
        except LayercalcError as error:
            raise error.add_context(location=layer.arg_location(error.argument), **context)
        if key is not None:
            built[key] = rule
    inputs = _inputs(spec, layer, index, names, known, rule_class, context)
    return Node(name, rule_class.keras_name(), rule, inputs, layer.trainable, layer,
                tuple(parse_reference(ref)[0] for ref in inputs), dtype=_dtype_policy(rule_class, layer, context))


def _dtype_policy(rule_class: type, layer: LayerSpec, context: Dict[str, str]) -> Optional[str]:
    """A layer's `dtype:` (Keras' per-layer dtype argument): the policy its weights and outputs are counted in;
    None (not given, or null as Keras' default) when it follows the spec's dtype: and mixed_precision:."""
    if not rule_class.dtype_policy:
        return None
    try:
        return rules.check_dtype_policy(layer.args.get("dtype"))
    except LayercalcError as error:
        raise error.add_context(location=layer.arg_location("dtype"), **context)


_SCALARS = (str, int, float, bool, type(None))


def _arguments_key(rule_class: type, args: Dict[str, object]) -> Optional[tuple]:
    """The rule class and its arguments, each value with its type (1, 1.0 and True are different
    arguments), as a key: None when a value is not a scalar or a flat list of them."""
    key: list = [rule_class]
    for argument, value in args.items():
        kind = type(value)
        if kind in _SCALARS:
            key.append((argument, kind, value))
        elif isinstance(value, (list, tuple)) and all(type(item) in _SCALARS for item in value):
            key.append((argument, kind, tuple((type(item), item) for item in value)))
        else:
            return None
    return tuple(key)


def _called_layer(spec: Spec, index: int, names: List[str], positions: Dict[str, int]) -> int:
    """The position of the layer whose weights the call at `index` uses (a call of a call: the first)."""
    seen = {index}
    while spec.layers[index].call is not None:
        layer = spec.layers[index]
        target = _written(layer.call, names)
        context = dict(location=layer.type_location, layer=names[index])
        if target in spec.blocks:
            raise SpecError(f"calls block instance '{target}' before it is listed: list the call after it", **context)
        if target not in positions:
            known = [name for name, position in positions.items() if spec.layers[position].call is None]
            raise SpecError(f"calls unknown layer '{target}'{closest(target, [*known, *spec.blocks])}; 'call' names "
                            "a layer or a block instance", **context)
        index = positions[target]
        if index in seen:
            raise SpecError(f"calls '{target}', which is a call of this one: one of them must be a layer with a "
                            "'type'", **context)
        seen.add(index)
    return index


def _inputs(spec: Spec, layer: LayerSpec, index: int, names: List[str], known: set, rule_class: type,
            context: Dict[str, str]) -> Tuple[str, ...]:
    """The references a layer (or a call) takes, as written, checked against what its rule accepts."""
    if layer.inputs is not None:
        inputs = tuple(_written(ref, names) for ref in layer.inputs)
        for reference in inputs:
            source = parse_reference(reference)[0]
            if source not in known:
                raise SpecError(
                    f"unknown input '{source}'{closest(source, known)}; inputs must name a layer or a "
                    "model input (or a layer's n-th output as name:n)",
                    location=layer.inputs_location, **context,
                )
    elif index > 0:
        inputs = (names[index - 1],)
    elif len(spec.inputs) == 1:
        inputs = (spec.inputs[0].name,)
    else:
        choices = ", ".join(item.name for item in spec.inputs)
        raise SpecError(
            f"the model has several inputs ({choices}): say which this layer takes, such as inputs: "
            f"[{spec.inputs[0].name}]",
            location=layer.location, **context,
        )

    most = rule_class.max_inputs
    if len(inputs) < rule_class.min_inputs or (most is not None and len(inputs) > most):
        expected = (f"{rule_class.min_inputs} or more" if most is None else
                    str(most) if most == rule_class.min_inputs else f"{rule_class.min_inputs} to {most}")
        hint = " (name them with inputs: [a, b])" if most is None or most > 1 else ""
        raise SpecError(
            f"takes {expected} input{'s' if expected != '1' else ''}{hint}, found {len(inputs)}: "
            f"{', '.join(inputs)}",
            location=layer.inputs_location or layer.location, **context,
        )
    return tuple(inputs)


def _topological_order(nodes: List[Node]) -> List[Node]:
    """Kahn's algorithm; among ready layers the one listed first goes first (so layers listed after all
    the layers they read keep their order, checked first in one pass)."""
    index = {node.name: position for position, node in enumerate(nodes)}
    listed: set = set()
    for node in nodes:
        if any(ref in index and ref not in listed for ref in node.sources):
            break
        listed.add(node.name)
    else:
        return list(nodes)
    waiting = {node.name: sum(1 for ref in set(node.sources) if ref in index) for node in nodes}
    consumers: Dict[str, List[str]] = {}
    for node in nodes:
        for ref in set(node.sources):
            consumers.setdefault(ref, []).append(node.name)
    ready = [index[name] for name, count in waiting.items() if count == 0]
    heapq.heapify(ready)
    ordered = []
    while ready:
        node = nodes[heapq.heappop(ready)]
        ordered.append(node)
        for consumer in consumers.get(node.name, ()):
            waiting[consumer] -= 1
            if waiting[consumer] == 0:
                heapq.heappush(ready, index[consumer])
    if len(ordered) < len(nodes):
        _raise_cycle(nodes, {name for name, count in waiting.items() if count > 0}, index)
    return ordered


def _raise_cycle(nodes: List[Node], stuck: set, index: Dict[str, int]) -> None:
    """Name one cycle among the layers that never became ready."""
    start = min(stuck, key=index.get)
    path, seen = [start], {start: 0}
    current = start
    while True:
        following = next(ref for ref in nodes[index[current]].sources if ref in stuck)
        if following in seen:
            cycle = path[seen[following]:] + [following]
            break
        seen[following] = len(path)
        path.append(following)
        current = following
    first = nodes[index[cycle[0]]]
    # Inputs point backwards; print the cycle in the direction data flows.
    flow = " -> ".join(reversed(cycle))
    raise SpecError(f"the layers form a cycle: {flow}", location=first.spec.inputs_location or first.spec.location,
                    layer=first.name, layer_type=first.type)


def _outputs(spec: Spec, nodes: List[Node], input_names) -> Tuple[str, ...]:
    if spec.outputs is None:
        return (nodes[-1].name,)
    known = {node.name for node in nodes}
    outputs = tuple(_written(ref, [node.name for node in nodes]) for ref in spec.outputs)
    for reference in outputs:
        name = parse_reference(reference)[0]
        if name in input_names and name not in known:
            raise SpecError(f"output '{name}' is a model input, not a layer: outputs must name layers (to output "
                            f"the input unchanged, add a layer {{type: Identity, inputs: {name}}} and name it)",
                            location=spec.outputs_location)
        if name not in known:
            raise SpecError(
                f"unknown output '{name}'{closest(name, known | input_names)}; outputs must name layers",
                location=spec.outputs_location,
            )
    return outputs


def _check_all_used(spec: Spec, ordered: List[Node], outputs: Tuple[str, ...]) -> None:
    """Refuse layers and inputs that lead to no output: Keras would leave them out of the model."""
    needed = {parse_reference(ref)[0] for ref in outputs}
    for node in reversed(ordered):
        if node.name in needed:
            needed.update(node.sources)
    for node in ordered:
        if node.name not in needed:
            raise SpecError(
                "the layer leads to no output of the model; use it as an input of another layer, "
                "list it under 'outputs:', or remove it",
                location=node.spec.location, layer=node.name, layer_type=node.type,
            )
    for item in spec.inputs:
        if item.name not in needed:
            raise SpecError(f"input '{item.name}' is not used by any layer", location=item.location)
