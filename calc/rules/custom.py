"""Custom: a user-defined layer (a Keras `Layer` subclass) that no calculator can know, declared by its figures.

The spec names the input's axes (`input_axes: [B, H, W, C]`, batch included) and writes the output shape,
each weight's shape and the MACs as integer expressions of those names: `+ - * // %`, parentheses and
integers (`"H // 2"`, `"H*W*C*64*9"`).  The names stand for the sizes of the layer's input, whatever they
are: numbers, symbols (`H` of `symbols:`) or None (unknown: anything computed from it is unknown).  A layer of
several inputs names the axes of each, one list per input (`input_axes: [[B, L, C], [B, D]]`, every name
once), and its expressions use the names of any.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
from typing import Any, Dict, List, Sequence, Tuple

from ..dims import Dim, Shape, format_shape
from ..errors import ShapeError, SpecError, closest
from .arguments import AxisNames, SizeExpression, SizeExpressions, WeightShapes, renamed
from .base import Layer, Weight, rule
from .registry import register

MAX_EXPRESSION_CHARS = 200  # a declared size is a short formula; a longer text is a mistake
_OPERATORS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.FloorDiv: "//", ast.Mod: "%"}


@functools.lru_cache(maxsize=None)
def parse_expression(text: str) -> ast.expr:
    """The syntax tree of a size expression; SpecError (without location) when it is not one.

    >>> ast.dump(parse_expression("H // 2"))
    "BinOp(left=Name(id='H', ctx=Load()), op=FloorDiv(), right=Constant(value=2))"
    """
    if len(text) > MAX_EXPRESSION_CHARS:
        raise SpecError(f"has {len(text):,} characters, more than the limit of {MAX_EXPRESSION_CHARS}")
    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except SyntaxError:
        raise SpecError("is not a valid expression") from None
    for node in ast.walk(tree):
        if isinstance(node, (ast.Name, ast.BinOp, ast.Load)) or type(node) in _OPERATORS:
            if isinstance(node, ast.BinOp) and type(node.op) not in _OPERATORS:
                raise SpecError("is not an integer expression of the input's axes (use + - * // % and parentheses)")
            continue
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) or isinstance(node, ast.USub):
            continue
        if isinstance(node, ast.Constant) and type(node.value) is int:
            continue
        raise SpecError("is not an integer expression of the input's axes (use + - * // % and parentheses)")
    return tree


def names_in(text: str) -> List[str]:
    return [node.id for node in ast.walk(parse_expression(text)) if isinstance(node, ast.Name)]


def evaluate(tree: ast.expr, axes: Dict[str, Dim]) -> Dim:
    """The value of a parsed expression with the input's axes bound to their sizes; None if one it uses is None."""
    if isinstance(tree, ast.Constant):
        return tree.value
    if isinstance(tree, ast.Name):
        return axes[tree.id]
    if isinstance(tree, ast.UnaryOp):
        operand = evaluate(tree.operand, axes)
        return None if operand is None else 0 - operand
    left, right = evaluate(tree.left, axes), evaluate(tree.right, axes)
    if left is None or right is None:
        return None
    operator = _OPERATORS[type(tree.op)]
    if operator in ("//", "%") and right == 0:
        raise ShapeError(f"division by zero in '{ast.unparse(tree)}'")
    if operator == "+":
        return left + right
    if operator == "-":
        return left - right
    if operator == "*":
        return left * right
    return left // right if operator == "//" else left % right


def _sizes(value: Any) -> bool:
    return isinstance(value, (list, tuple)) and all(
        (isinstance(item, int) and not isinstance(item, bool)) or isinstance(item, str) for item in value)


@register
@rule
class Custom(Layer):
    """A user-defined layer declared by its figures (an escape hatch for a Keras Layer subclass).

    output: output_shape, each entry an expression of the names input_axes gives the input's axes
    params: the sizes of weights (trainable) and non_trainable_weights, their entries expressions too
    MACs:   macs, an expression of the same names (0 when not given)
    """

    max_inputs = None  # one input, or one per list of input_axes
    input_axes: AxisNames = dataclasses.field(default=(), hash=False)
    output_shape_: SizeExpressions = renamed("output_shape")
    weights_: WeightShapes | None = renamed("weights", default=None, hash=False)
    non_trainable_weights: WeightShapes | None = dataclasses.field(default=None, hash=False)
    macs_: SizeExpression = renamed("macs", default=0)

    @property
    def per_input(self) -> Tuple[Tuple[str, ...], ...]:
        """The axis names of each input: one tuple per input (input_axes: [[B, L, C], [B, D]]), or the one list."""
        return tuple(tuple(names) for names in self.input_axes) if self.multiple else (tuple(self.input_axes),)

    @property
    def names(self) -> Tuple[str, ...]:
        return tuple(name for names in self.per_input for name in names)

    def rule_input(self, shapes: Sequence[Shape]) -> Any:
        """The input's shape, or a tuple of them for a layer declared with one list of input_axes per input."""
        expected = len(self.per_input)
        if len(shapes) != expected:
            raise ShapeError(f"input_axes names the axes of {expected} input{'s' if expected > 1 else ''}"
                             f"{'' if expected > 1 else ' (give one list of names per input for more)'}, but the "
                             f"layer takes {len(shapes)}", argument="input_axes")
        return tuple(shapes) if self.multiple else shapes[0]

    @property
    def multiple(self) -> bool:
        """Whether input_axes gives one list of names per input ([[B, L, C], [B, D]]), not the one input's."""
        return bool(self.input_axes) and all(isinstance(names, (list, tuple)) for names in self.input_axes)

    def validate(self) -> None:
        seen = set()
        for name in self.names:
            if not name.isidentifier():
                raise SpecError(f"argument 'input_axes' names the input's axes with identifiers (B, H, W, C), found "
                                f"'{name}'", argument="input_axes")
            if name in seen:
                raise SpecError(f"argument 'input_axes' names axis '{name}' twice", argument="input_axes")
            seen.add(name)
        for argument, texts in self._expressions():
            for text in texts:
                if isinstance(text, str):
                    self._check(argument, text)

    def _expressions(self) -> List[Tuple[str, Tuple[Any, ...]]]:
        declared = [("output_shape", tuple(self.output_shape_)), ("macs", (self.macs_,))]
        for argument in ("weights", "non_trainable_weights"):
            declared += [(f"{argument}.{name}", tuple(shape)) for name, shape in self._weight_shapes(argument)]
        return declared

    def _weight_shapes(self, argument: str) -> List[Tuple[str, Tuple[Any, ...]]]:
        return list((getattr(self, "weights_" if argument == "weights" else argument) or {}).items())

    def _check(self, argument: str, text: str) -> None:
        where = argument.partition(".")[0]
        try:
            names = names_in(text)
        except SpecError as error:
            raise SpecError(f"argument '{argument}': '{text}' {error.message}", argument=where) from None
        for name in names:
            if name not in self.names:
                given = ", ".join(self.names) if self.names else "none (add input_axes: [B, H, W, C])"
                raise SpecError(f"argument '{argument}': unknown axis name '{name}' in '{text}'"
                                f"{closest(name, self.names)}; input_axes names: {given}", argument=where)

    def _axes(self, x: Any) -> Dict[str, Dim]:
        axes: Dict[str, Dim] = {}
        for index, (names, shape) in enumerate(zip(self.per_input, x if self.multiple else (x,))):
            if names and len(names) != len(shape):
                which = f"input {index}" if self.multiple else "the input"
                raise ShapeError(f"input_axes names {len(names)} axes [{', '.join(names)}], but {which} "
                                 f"{format_shape(shape)} has rank {len(shape)}")
            axes.update(zip(names, shape))
        return axes

    def _size(self, value: Any, x: Shape) -> Dim:
        if not isinstance(value, str):
            return value
        size = evaluate(parse_expression(value), self._axes(x))
        if isinstance(size, int) and size < 0:
            shown = f"inputs {', '.join(map(format_shape, x))}" if self.multiple else f"input {format_shape(x)}"
            raise ShapeError(f"'{value}' is {size} for the {shown}: a size cannot be negative")
        return size

    def output_shape(self, x: Shape) -> Shape:
        return tuple(self._size(value, x) for value in self.output_shape_)

    def weights(self, x: Shape) -> List[Weight]:
        return [Weight(name, tuple(self._size(value, x) for value in shape), trainable=argument == "weights")
                for argument in ("weights", "non_trainable_weights") for name, shape in self._weight_shapes(argument)]

    def macs(self, x: Shape, y: Shape) -> Dim:
        return self._size(self.macs_, x)
