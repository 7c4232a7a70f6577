"""`layercalc explain`: each layer's derivations as text, or as JSON data.

A derivation (calc/derivation.py) is a number or (operator, left, right); it is written as a textbook
writes it: `floor((300 − 5) / 1) + 1`, products with `·`, a product of products grouped by spaces
(`296·296·16 · 5·5·3`), ceiling division as `ceil(a / b)`.
"""

from __future__ import annotations

import json
from typing import Any, Dict, List, Tuple

from ..errors import escaped_beyond_c0, visible
from ..derivation import Derivation, Explanation, LayerExplanation, Step
from ..dims import dim_sum
from ..report import number
from . import count, shapes

GIVEN, SUM, PRODUCT, ATOM = 0, 1, 2, 3  # how tightly a written derivation binds


def derivation_text(derivation: Derivation) -> str:
    """A derivation as text.

    >>> derivation_text(("+", ("//", ("-", 300, 5), 2), 1))
    'floor((300 − 5) / 2) + 1'
    >>> derivation_text(("*", ("*", ("*", 296, 296), 16), ("*", ("*", 5, 5), 3)))
    '296·296·16 · 5·5·3'
    >>> derivation_text(("//", ("-", ("+", 7, 2), 1), 2))
    'ceil(7 / 2)'
    """
    return _written(derivation)[0]


def _written(derivation: Derivation) -> Tuple[str, int]:
    """(text, binding) of a derivation."""
    if not isinstance(derivation, tuple):
        text = count(derivation)
        if isinstance(derivation, int) and derivation < 0:
            return f"({text.replace('-', '−')})", ATOM
        # a symbolic size, written as the summary writes it: in parentheses when it has several terms
        return text, ATOM if isinstance(derivation, int) or " " not in text else GIVEN
    operator, left, right = derivation
    if operator == "+":
        return f"{_operand(left, SUM)} + {_operand(right, SUM)}", SUM
    if operator == "-":
        if left == 0:
            return f"−{_operand(right, ATOM)}", PRODUCT
        return f"{_operand(left, SUM)} − {_operand(right, PRODUCT)}", SUM
    if operator == "*":
        return f"{_factors(left)}{' · ' if _is_product(right) else '·'}{_factors(right)}", PRODUCT
    if operator == "%":
        return f"{_operand(left, PRODUCT)} mod {_operand(right, ATOM)}", PRODUCT
    numerator = _ceiling_numerator(left, right)
    if numerator is not None:
        return f"ceil({_operand(numerator, PRODUCT)} / {_operand(right, ATOM)})", ATOM
    return f"floor({_operand(left, PRODUCT)} / {_operand(right, ATOM)})", ATOM


def _operand(derivation: Derivation, binding: int) -> str:
    """The derivation's text, in parentheses where it binds less tightly than its place needs."""
    text, own = _written(derivation)
    return f"({text})" if own < binding else text


def _is_product(derivation: Derivation) -> bool:
    return isinstance(derivation, tuple) and derivation[0] == "*"


def _factors(derivation: Derivation) -> str:
    """A factor of a product: a product's own factors run on (a·b·c), anything else as an operand."""
    if _is_product(derivation):
        return _written(derivation)[0]
    return _operand(derivation, PRODUCT)


def _ceiling_numerator(left: Derivation, right: Derivation):
    """a when left // right is (a + right − 1) // right, the way ceiling division is computed; else None."""
    if isinstance(left, tuple) and left[0] == "-" and left[2] == 1:
        added = left[1]
        if isinstance(added, tuple) and added[0] == "+" and added[2] == right:
            return added[1]
    return None


# -- text ---------------------------------------------------------------------------------------------


def render_explanation_text(explanation: Explanation) -> str:
    """Every explained layer: its shapes, then each figure with its derivation."""
    return "\n".join(_layer_text(layer) for layer in explanation.layers)


def _layer_text(layer: LayerExplanation) -> str:
    inputs = ", ".join(shapes(shape) for shape in layer.input_shapes)
    outputs = shapes(list(layer.output_shapes)) if len(layer.output_shapes) > 1 else shapes(layer.output_shapes[0])
    lines = [f"{visible(layer.name)} ({visible(layer.type)}): input {inputs} -> output {outputs}", ""]
    lines.append(f"  Output shape {outputs}")
    derived = _grouped([step for step in layer.steps if step.figure == "output_shape" and step.derived])
    lines += [f"    {label}: O = {text} = {count(value)}" for label, text, value in derived]
    if not derived:
        lines.append("    nothing computed: each axis is an input's or an argument")
    lines.append(f"  Parameters {count(layer.params)}")
    weights = [step for step in layer.steps if step.figure in ("weight", "params")]
    if layer.shared_with is not None:
        lines.append(f"    the weights of '{visible(layer.shared_with)}', counted on its row")
    elif not weights:
        lines.append("    no weights")
    for step in weights:
        frozen = "" if step.trainable else " (non-trainable)"
        lines.append(f"    {visible(step.label)}{frozen}: {_equation(step)}")
    if layer.non_trainable_params not in (0, None) and layer.trainable_params not in (0, None):
        lines.append(f"    trainable {count(layer.trainable_params)}, "
                     f"non-trainable {count(layer.non_trainable_params)}")
    macs = next(step for step in layer.steps if step.figure == "macs")
    lines.append(f"  MACs {count(layer.macs)}")
    if macs.derived:
        lines.append(f"    {_equation(macs)}")
    if layer.calls:  # the summary table's row of a shared layer sums its calls' MACs
        names = ", ".join(visible(name) for name, _ in layer.calls)
        every = [layer.macs, *(call_macs for _, call_macs in layer.calls)]
        lines.append(f"    with its calls {names}: {' + '.join(map(count, every))} = {count(dim_sum(every))}, "
                     "the summary table's row")
    return "\n".join(lines) + "\n"


def _equation(step: Step) -> str:
    if not step.derived:
        return count(step.value)
    return f"{derivation_text(step.derivation)} = {count(step.value)}"


def _grouped(steps: List[Step]) -> List[Tuple[str, str, Any]]:
    """(axes, derivation, value): axes derived the same way, with the same numbers, on one line."""
    groups: Dict[Tuple[str, str], List[str]] = {}
    for step in steps:
        groups.setdefault((derivation_text(step.derivation), count(step.value)), []).append(step.label)
    lines = []
    for (text, value), labels in groups.items():
        label = labels[0] if len(labels) == 1 else _axes(labels)
        lines.append((label, text, value))
    return lines


def _axes(labels: List[str]) -> str:
    """'axis 1', 'axis 2' -> 'axes 1, 2'; of several outputs, 'output 0 axis 1', 'output 1 axis 1', ... ->
    'outputs 0, 1 axes 1, 2' (the same axes of each), else 'output 0 axes 1, 2; output 1 axis 1'."""
    by_output: Dict[str, List[str]] = {}
    for label in labels:
        prefix, _, axis = label.rpartition("axis ")
        by_output.setdefault(prefix, []).append(axis)

    def axes(numbers: List[str]) -> str:
        return ("axis " if len(numbers) == 1 else "axes ") + ", ".join(numbers)

    if len(by_output) > 1 and len({tuple(numbers) for numbers in by_output.values()}) == 1:
        outputs = ", ".join(prefix.split()[-1] for prefix in by_output)
        return f"outputs {outputs} {axes(next(iter(by_output.values())))}"
    return "; ".join(prefix + axes(numbers) for prefix, numbers in by_output.items())


# -- JSON ----------------------------------------------------------------------------------------------


def render_explanation_json(explanation: Explanation) -> str:
    """The same steps as data: each layer's figures, then its steps, each with its figure, label, value and
    derivation (as text, and as `terms`: a number or {"op", "operands"}); a step on a line of its own."""
    layers = []
    for layer in explanation.layers:
        data = _layer_data(layer)
        steps = ",\n".join("        " + _dumps(step) for step in data.pop("steps"))
        layers.append(f"    {_dumps(data)[:-1]}, \"steps\": [\n{steps}\n    ]}}")
    text = f'{{\n  "name": {_dumps(explanation.name)},\n  "layers": [\n' + ",\n".join(layers) + "\n  ]\n}\n"
    return escaped_beyond_c0(text)


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False)


def _layer_data(layer: LayerExplanation) -> Dict[str, Any]:
    data = {
        "name": layer.name, "type": layer.type,
        "input_shapes": [_shape_data(shape) for shape in layer.input_shapes],
        "output_shapes": [_shape_data(shape) for shape in layer.output_shapes],
        "params": number(layer.params), "trainable_params": number(layer.trainable_params),
        "non_trainable_params": number(layer.non_trainable_params), "macs": number(layer.macs),
        "steps": [_step_data(step) for step in layer.steps if step.derived or step.figure != "output_shape"],
    }
    if layer.shared_with is not None:
        data["shared_with"] = layer.shared_with
    if layer.calls:
        data["calls"] = [name for name, _ in layer.calls]
    return data


def _step_data(step: Step) -> Dict[str, Any]:
    data = {"figure": step.figure, "label": step.label,
            **{key: getattr(step, key) for key in ("output", "axis") if getattr(step, key) is not None},
            "value": number(step.value),
            "derivation": derivation_text(step.derivation), "terms": _tree(step.derivation)}
    if step.figure == "weight":
        data["trainable"] = step.trainable
    return data


def _tree(derivation: Derivation) -> Any:
    """A derivation as JSON: a number, or {"op": ..., "operands": [left, right]}."""
    if not isinstance(derivation, tuple):
        return number(derivation)
    operator, left, right = derivation
    return {"op": operator, "operands": [_tree(left), _tree(right)]}


def _shape_data(shape: Any) -> List[Any]:
    return [number(dim) for dim in shape]
