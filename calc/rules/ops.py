"""Keras operations between layers (keras.ops): `x + 3.0`, `ops.reshape(x, ...)`, `x[:, 0]`, `ops.matmul(a, b)`.

A functional model's code may apply keras.ops functions to the tensors between layers; Keras saves each as a
node of the graph (module keras.src.ops.*, class_name Add, Reshape, ...).  Each is a rule here, named after
the keras.ops function: `type: ops.add`, `type: ops.reshape` (the class name is Keras' own, which gives the
auto name: add, add_1, ...).  An operation has no weights.  Unlike a layer it works on the whole tensor,
batch axis included: `ops.reshape` takes the batch in its `newshape`, axis 0 is the batch axis, and a
constant operand (`x + 3.0`: `{type: ops.add, x2: 3.0}`) broadcasts against the full shape.

MACs: matmul and einsum, output elements × the contracted size (as Dot); elementwise operations (the FLOPs
terms): one per output element for arithmetic and math functions, one per input element for reductions,
none for operations that only move data (reshape, transpose, slicing, concatenate, cast).
"""

from __future__ import annotations

import operator
import re
from typing import Any, ClassVar, Dict, List, Optional, Sequence, Tuple

from ..dims import Dim, Shape, dim_sum, format_dim, format_shape, prod
from ..errors import ShapeError, SpecError
from .arguments import Axis, TargetShape
from .base import PASS_THROUGH, Layer, Tap, elements, rearranging, rule
from .registry import register


def canonical_axis(axis: int, rank: int, argument: str = "axis") -> int:
    """Keras' canonicalize_axis: a negative axis counts from the end; refused outside [-rank, rank).

    >>> canonical_axis(-1, 3), canonical_axis(0, 3)
    (2, 0)
    """
    if not -rank <= axis < rank:
        raise ShapeError(f"axis {axis} is out of bounds for a tensor of rank {rank}", argument=argument)
    return axis + rank if axis < 0 else axis


def axis_list(axis: Any) -> List[int]:
    return [axis] if isinstance(axis, int) else list(axis)


def is_one(dim: Dim) -> bool:
    """Whether an axis is 1, where that decides a shape: a symbolic size could be, so it must be bound."""
    return dim is not None and operator.index(dim) == 1


def broadcast_shapes(first: Shape, second: Shape) -> Shape:
    """Keras' ops broadcasting (operation_utils.broadcast_shapes) of two whole shapes, batch axis included:
    1 takes the other's size, an unknown axis takes a known one other than 1.

    >>> broadcast_shapes((None, 4, 1), (5,)), broadcast_shapes((None, 5), (3, None)), broadcast_shapes((None,), (1,))
    ((None, 4, 5), (3, 5), (None,))
    """
    rank = max(len(first), len(second))
    left = (1,) * (rank - len(first)) + tuple(first)
    right = (1,) * (rank - len(second)) + tuple(second)
    result = []
    for a, b in zip(left, right):
        if a is None or b is None:
            known = b if a is None else a
            result.append(None if known is None or is_one(known) else known)
        elif a == b or is_one(b):
            result.append(a)
        elif is_one(a):
            result.append(b)
        else:
            raise ShapeError(f"cannot broadcast shapes {format_shape(first)} and {format_shape(second)}: "
                             f"{format_dim(a)} against {format_dim(b)}")
    return tuple(result)


def same_shape_but(shapes: Sequence[Shape], axis: Optional[int], what: str) -> None:
    """Keras' shape_equal(allow_none=True): every shape as the first, but on `axis`; an unknown axis matches."""
    first = shapes[0]
    for shape in shapes[1:]:
        if len(shape) != len(first) or any(index != axis and a is not None and b is not None and a != b
                                           for index, (a, b) in enumerate(zip(first, shape))):
            raise ShapeError(f"{what}: found {format_shape(shape)} besides {format_shape(first)}")


@rule
class Operation(Layer):
    """A keras.ops function applied to tensors (no weights)."""

    dtype_policy: ClassVar[bool] = False

    # Its Keras function's parameters, in order, that take the tensors (and constants) it is called on: a
    # model file's positional arguments are matched to them (calc/readers/keras_file.py).
    call_parameters: ClassVar[Tuple[str, ...]] = ("x",)
    # The parameter that takes a list of tensors (concatenate's xs), or takes all the rest (einsum's operands).
    variadic: ClassVar[Optional[str]] = None

    def output_shape(self, x: Any) -> Any:
        result = self.operation_shape(x)
        if any(len(shape) == 0 for shape in (result if isinstance(result, list) else [result])):
            raise ShapeError("the result is a scalar, without even the batch axis, which layercalc's figures are "
                             "counted along (keep an axis: keepdims: true, or reduce other axes than 0)")
        return result

    def operation_shape(self, x: Any) -> Any:
        """The output shape(s), as keras.ops computes them."""
        raise NotImplementedError

    def window(self, x: Any) -> Optional[Tuple[Optional[Tap], ...]]:
        return None


# -- elementwise: one tensor -------------------------------------------------------------------------------


@rule
class Unary(Operation):
    """An elementwise function of one tensor.

    output: the input's shape
    params: 0;  MACs: 0;  elementwise: one per element
    """

    def operation_shape(self, x: Shape) -> Shape:
        return x

    def elementwise(self, x: Shape, y: Shape) -> Dim:
        return elements(y)

    def window(self, x: Shape) -> Tuple[Optional[Tap], ...]:
        return PASS_THROUGH


@register
@rule
class Absolute(Unary):
    __doc__ = Unary.__doc__
    aliases = ("ops.abs",)


@register
@rule
class Negative(Unary):
    __doc__ = Unary.__doc__


@register
@rule
class Exp(Unary):
    __doc__ = Unary.__doc__


@register
@rule
class Log(Unary):
    __doc__ = Unary.__doc__


@register
@rule
class Sqrt(Unary):
    __doc__ = Unary.__doc__


@register
@rule
class Rsqrt(Unary):
    __doc__ = Unary.__doc__


@register
@rule
class Square(Unary):
    __doc__ = Unary.__doc__


@register
@rule
class Reciprocal(Unary):
    __doc__ = Unary.__doc__


@register
@rule
class Sign(Unary):
    __doc__ = Unary.__doc__


@register
@rule
class Floor(Unary):
    __doc__ = Unary.__doc__


@register
@rule
class Ceil(Unary):
    __doc__ = Unary.__doc__


@register
@rule
class Round(Unary):
    __doc__ = Unary.__doc__
    decimals: int = 0


@register
@rule
class Sin(Unary):
    __doc__ = Unary.__doc__


@register
@rule
class Cos(Unary):
    __doc__ = Unary.__doc__


@register
@rule
class Tanh(Unary):
    __doc__ = Unary.__doc__


@register
@rule
class Erf(Unary):
    __doc__ = Unary.__doc__


@register
@rule
class Log1p(Unary):
    __doc__ = Unary.__doc__


@register
@rule
class Expm1(Unary):
    __doc__ = Unary.__doc__


@register
@rule
class LogicalNot(Unary):
    __doc__ = Unary.__doc__


@register
@rule
class Sigmoid(Unary):
    __doc__ = Unary.__doc__


@register
@rule
class Relu(Unary):
    __doc__ = Unary.__doc__


@register
@rule
class Relu6(Unary):
    __doc__ = Unary.__doc__


@register
@rule
class Silu(Unary):
    __doc__ = Unary.__doc__
    aliases = ("ops.swish",)


@register
@rule
class Gelu(Unary):
    __doc__ = Unary.__doc__
    approximate: Any = True


@register
@rule
class HardSigmoid(Unary):
    __doc__ = Unary.__doc__


@register
@rule
class HardSilu(Unary):
    __doc__ = Unary.__doc__
    aliases = ("ops.hard_swish",)


@register
@rule
class Softplus(Unary):
    __doc__ = Unary.__doc__


@register
@rule
class Clip(Unary):
    """Limits every element to [x_min, x_max].

    output: the input's shape
    params: 0;  MACs: 0;  elementwise: one per element
    """

    x_min: Any = None
    x_max: Any = None


@register
@rule
class Cast(Unary):
    """Converts to another dtype (`dtype:`, which changes no shape or count).

    output: the input's shape
    params: 0;  MACs: 0;  elementwise: 0 (a copy)
    """

    def elementwise(self, x: Shape, y: Shape) -> Dim:
        return 0


@register
@rule
class StopGradient(Cast):
    """The tensor as it is, without gradients.

    output: the input's shape
    params: 0;  MACs: 0
    """

    call_parameters = ("variable",)


@register
@rule
class Softmax(Unary):
    """softmax along `axis` (an int or a list).

    output: the input's shape
    params: 0;  MACs: 0;  elementwise: 5 per element (as the Softmax layer)
    """

    axis: Axis = -1

    def operation_shape(self, x: Shape) -> Shape:
        for axis in axis_list(self.axis):
            canonical_axis(axis, len(x))
        return x

    def elementwise(self, x: Shape, y: Shape) -> Dim:
        return prod([5, elements(y)])

    def window(self, x: Shape) -> Optional[Tuple[Optional[Tap], ...]]:
        return None


# -- elementwise: two tensors, or a tensor and a constant ---------------------------------------------------


@rule
class Binary(Operation):
    """An elementwise function of two operands, x1 and x2: two tensors (`inputs: [a, b]`), or one tensor
    and a number given as x1 (the first operand, `3.0 - x`: `x1: 3.0`) or x2 (`x + 3.0`: `x2: 3.0`).

    output: the operands' shapes broadcast as keras.ops does, batch axis included (a number has shape ())
    params: 0;  MACs: 0;  elementwise: one per output element
    """

    min_inputs = 1
    max_inputs = 2
    call_parameters = ("x1", "x2")
    x1: float | None = None
    x2: float | None = None

    def validate(self) -> None:
        if self.x1 is not None and self.x2 is not None:
            raise SpecError("give at most one of x1 and x2 (a number operand); the other operand is the input "
                            "tensor", argument="x2")

    def operands(self, x: Tuple[Shape, ...]) -> List[Shape]:
        constants = [] if self.x1 is None and self.x2 is None else [()]
        if len(x) + len(constants) != 2:
            raise ShapeError(f"takes two operands, found {len(x)} input tensor{'s' if len(x) > 1 else ''} and "
                             f"{len(constants) or 'no'} number: give two inputs, or one and a number as x1 or x2",
                             argument="x2" if constants else None)
        return [constants[0], x[0]] if self.x1 is not None else [*x, *constants]

    def operation_shape(self, x: Tuple[Shape, ...]) -> Shape:
        first, second = self.operands(x)
        return broadcast_shapes(first, second)

    def elementwise(self, x: Tuple[Shape, ...], y: Shape) -> Dim:
        return elements(y)

    def window(self, x: Tuple[Shape, ...]) -> Tuple[Optional[Tap], ...]:
        return PASS_THROUGH


@register
@rule
class Add(Binary):
    __doc__ = Binary.__doc__


@register
@rule
class Subtract(Binary):
    __doc__ = Binary.__doc__


@register
@rule
class Multiply(Binary):
    __doc__ = Binary.__doc__


@register
@rule
class Divide(Binary):
    __doc__ = Binary.__doc__


@register
@rule
class TrueDivide(Binary):
    __doc__ = Binary.__doc__


@register
@rule
class FloorDivide(Binary):
    __doc__ = Binary.__doc__


@register
@rule
class Mod(Binary):
    __doc__ = Binary.__doc__


@register
@rule
class Power(Binary):
    __doc__ = Binary.__doc__


@register
@rule
class Maximum(Binary):
    __doc__ = Binary.__doc__


@register
@rule
class Minimum(Binary):
    __doc__ = Binary.__doc__


@register
@rule
class Equal(Binary):
    __doc__ = Binary.__doc__


@register
@rule
class NotEqual(Binary):
    __doc__ = Binary.__doc__


@register
@rule
class Less(Binary):
    __doc__ = Binary.__doc__


@register
@rule
class LessEqual(Binary):
    __doc__ = Binary.__doc__


@register
@rule
class Greater(Binary):
    __doc__ = Binary.__doc__


@register
@rule
class GreaterEqual(Binary):
    __doc__ = Binary.__doc__


@register
@rule
class LogicalAnd(Binary):
    __doc__ = Binary.__doc__


@register
@rule
class LogicalOr(Binary):
    __doc__ = Binary.__doc__


# -- reductions ------------------------------------------------------------------------------------------


def reduced(x: Shape, axis: Any, keepdims: bool) -> Shape:
    """Keras' reduce_shape: the axes reduced away (or kept as 1); axis null reduces every axis.

    >>> reduced((None, 4, 6), [1], False), reduced((None, 4, 6), -1, True), reduced((None, 4), None, False)
    ((None, 6), (None, 4, 1), ())
    """
    if axis is None:
        return (1,) * len(x) if keepdims else ()
    axes = {canonical_axis(item, len(x)) for item in axis_list(axis)}
    if keepdims:
        return tuple(1 if index in axes else dim for index, dim in enumerate(x))
    return tuple(dim for index, dim in enumerate(x) if index not in axes)


@rule
class Reduction(Operation):
    """A reduction over `axis` (an int, a list, or null for every axis, batch included), `keepdims`.

    output: the input without the reduced axes (keepdims: those axes 1)
    params: 0;  MACs: 0;  elementwise: one per input element
    """

    axis: Axis | None = None
    keepdims: bool = False

    def operation_shape(self, x: Shape) -> Shape:
        return reduced(x, self.axis, self.keepdims)

    def elementwise(self, x: Shape, y: Shape) -> Dim:
        return elements(x)


@register
@rule
class Mean(Reduction):
    __doc__ = Reduction.__doc__


@register
@rule
class Sum(Reduction):
    __doc__ = Reduction.__doc__


@register
@rule
class Max(Reduction):
    __doc__ = Reduction.__doc__
    aliases = ("ops.amax",)
    initial: Any = None


@register
@rule
class Min(Reduction):
    __doc__ = Reduction.__doc__
    aliases = ("ops.amin",)
    initial: Any = None


@register
@rule
class Prod(Reduction):
    __doc__ = Reduction.__doc__


@register
@rule
class Any_(Reduction):
    __doc__ = Reduction.__doc__
    keras_class = "Any"  # ops.any: the class name without the underscore that keeps typing's Any


@register
@rule
class All(Reduction):
    __doc__ = Reduction.__doc__


@register
@rule
class Var(Reduction):
    __doc__ = Reduction.__doc__


@register
@rule
class Std(Reduction):
    __doc__ = Reduction.__doc__


@register
@rule
class Argmax(Reduction):
    """The index of the largest element along `axis` (an int, or null: of the flattened tensor), `keepdims`.

    output: the input without that axis (keepdims: it is 1; null: () or all 1)
    params: 0;  MACs: 0;  elementwise: one per input element
    """

    axis: int | None = None


@register
@rule
class Argmin(Argmax):
    __doc__ = Argmax.__doc__


# -- moving data -----------------------------------------------------------------------------------------


@register
@rule
class Reshape(Operation):
    """Reshapes the whole tensor, batch axis included, to `newshape` (one -1 inferred: [-1, 6, 4] keeps
    the batch as the first axis).

    output: newshape, its -1 the input's size / the others' (unknown when an input axis is unknown)
    params: 0;  MACs: 0
    """

    newshape: TargetShape

    def validate(self) -> None:
        if list(self.newshape).count(-1) > 1:
            raise SpecError(f"newshape {list(self.newshape)} has more than one -1; at most one axis can be "
                            "inferred", argument="newshape")

    def operation_shape(self, x: Shape) -> Shape:
        target = list(self.newshape)
        size = prod(x)
        if size is None:
            return tuple(None if dim == -1 else dim for dim in target)
        known = prod(dim for dim in target if dim != -1)
        if -1 not in target:
            if size != known:
                raise ShapeError(f"newshape {target} has {known} elements but the input {format_shape(x)} has "
                                 f"{size}", argument="newshape")
            return tuple(target)
        if size % known:
            raise ShapeError(f"input size {size} {format_shape(x)} is not divisible by {known}, the product of "
                             f"newshape {target} without its -1", argument="newshape")
        return tuple(size // known if dim == -1 else dim for dim in target)

    def window(self, x: Shape) -> Tuple[Optional[Tap], ...]:
        return rearranging(x)


@register
@rule
class Transpose(Operation):
    """Permutes the axes, batch axis included: `axes` lists every axis once (null: reversed).

    output: (x[axes[0]], x[axes[1]], ...)
    params: 0;  MACs: 0
    """

    axes: Axis | None = None

    def operation_shape(self, x: Shape) -> Shape:
        if self.axes is None:
            return tuple(reversed(x))
        axes = axis_list(self.axes)
        if len(axes) != len(x):
            raise ShapeError(f"axes {axes} must list each of the input's {len(x)} axes {format_shape(x)} once",
                             argument="axes")
        positions = [canonical_axis(axis, len(x), "axes") for axis in axes]
        if len(set(positions)) != len(x):
            raise ShapeError(f"axes {axes} lists an axis twice: it must be a permutation of the input's {len(x)} "
                             "axes", argument="axes")
        return tuple(x[position] for position in positions)

    def window(self, x: Shape) -> Tuple[Optional[Tap], ...]:
        return rearranging(x)


@register
@rule
class ExpandDims(Operation):
    """Inserts axes of size 1 at `axis` (an int or a list; positions in the output).

    output: the input with a 1 at each of those positions
    params: 0;  MACs: 0
    """

    axis: Axis

    def operation_shape(self, x: Shape) -> Shape:
        axes = axis_list(self.axis)
        rank = len(x) + len(axes)
        positions = {canonical_axis(axis, rank) for axis in axes}
        if len(positions) < len(axes):  # numpy, which keras.ops follows, raises "repeated axis"
            raise SpecError(f"axis {list(axes)} names an output position twice", argument="axis")
        dims = iter(x)
        return tuple(1 if index in positions else next(dims) for index in range(rank))


@register
@rule
class Squeeze(Operation):
    """Removes axes of size 1: those of `axis` (an int or a list), or every one (null).

    output: the input without those axes
    params: 0;  MACs: 0
    """

    axis: Axis | None = None

    def operation_shape(self, x: Shape) -> Shape:
        if self.axis is None:
            return tuple(dim for dim in x if not is_one(dim))
        positions = set()
        for axis in axis_list(self.axis):
            position = canonical_axis(axis, len(x))
            if not is_one(x[position]):
                raise ShapeError(f"cannot squeeze axis {axis} of {format_shape(x)}: its size is "
                                 f"{format_dim(x[position])}, not 1", argument="axis")
            positions.add(position)
        return tuple(dim for index, dim in enumerate(x) if index not in positions)


@register
@rule
class Concatenate(Operation):
    """Joins tensors along `axis` (default 0, the batch axis, as keras.ops.concatenate); every other axis
    must match.

    output: the first input's shape, axis = the sum of the inputs' sizes on it
    params: 0;  MACs: 0
    """

    min_inputs = 1
    max_inputs = None
    call_parameters = ("xs",)
    variadic = "xs"
    axis: int = 0

    def operation_shape(self, x: Tuple[Shape, ...]) -> Shape:
        position = canonical_axis(self.axis, len(x[0]))
        same_shape_but(x, position, f"every input must have the shape of the first but on axis {self.axis}")
        result = list(x[0])
        result[position] = dim_sum(shape[position] for shape in x)
        return tuple(result)


@register
@rule
class Stack(Operation):
    """Stacks tensors of one shape along a new axis `axis` (default 0).

    output: the inputs' shape with the number of inputs inserted at axis
    params: 0;  MACs: 0
    """

    min_inputs = 1
    max_inputs = None
    variadic = "x"
    axis: int = 0

    def operation_shape(self, x: Tuple[Shape, ...]) -> Shape:
        position = canonical_axis(self.axis, len(x[0]) + 1)
        same_shape_but(x, None, "every input must have the shape of the first")
        result = list(x[0])
        result.insert(position, len(x))
        return tuple(result)


@register
@rule
class Split(Operation):
    """Splits along `axis` (default 0) into `indices_or_sections` equal parts (an int), or at the indices it
    lists; several outputs, referenced as `split:1`, `split:2`, ...

    output: one shape per part, the axis the part's size
    params: 0;  MACs: 0
    """

    indices_or_sections: Axis
    axis: int = 0

    def operation_shape(self, x: Shape) -> List[Shape]:
        position = canonical_axis(self.axis, len(x))
        size = x[position]
        if isinstance(self.indices_or_sections, int):
            sections = self.indices_or_sections
            if sections < 1:  # numpy: "number sections must be larger than 0."
                raise SpecError(f"indices_or_sections must be a number of parts of at least 1, found {sections}",
                                argument="indices_or_sections")
            if size is not None and size % sections:
                raise ShapeError(f"axis {self.axis} of size {format_dim(size)} cannot be split into {sections} equal "
                                 "parts", argument="indices_or_sections")
            sizes = [None if size is None else size // sections] * sections
        else:
            bounds = [0, *self.indices_or_sections, size]
            sizes = [None if end is None else end - start for start, end in zip(bounds, bounds[1:])]
            empty = next((index for index, part in enumerate(sizes) if part is not None and part < 1), None)
            if empty is not None:  # a model's tensors have no empty axis
                raise ShapeError(f"indices_or_sections {list(self.indices_or_sections)} leave part {empty} of axis "
                                 f"{self.axis} (size {format_dim(size)}) empty: give increasing indices between 1 "
                                 "and the size", argument="indices_or_sections")
        return [tuple(part if index == position else dim for index, dim in enumerate(x)) for part in sizes]


_SLICE_PART = re.compile(r"^(-?\d+)?(?::(-?\d+)?(?::(-?\d+)?)?)?$")


def parse_key(key: str) -> List[Any]:
    """A GetItem key written as Python writes one between brackets: ints, slices, ..., None.

    >>> parse_key(":, 1:3, ::2"), parse_key("..., None"), parse_key("0")
    ([slice(None, None, None), slice(1, 3, None), slice(None, None, 2)], [Ellipsis, None], [0])
    """
    parts = []
    for text in (part.strip() for part in key.split(",")):
        if text == "...":
            parts.append(Ellipsis)
        elif text in ("None", "newaxis"):
            parts.append(None)
        else:
            match = _SLICE_PART.match(text) if text else None
            if not match:
                raise SpecError(f"key '{key}': '{text}' is not an index, a slice (start:stop:step), ... or None",
                                argument="key")
            numbers = [None if number is None else int(number) for number in match.groups()]
            if ":" not in text:
                parts.append(numbers[0])
            else:
                if numbers[2] == 0:
                    raise SpecError(f"key '{key}': a slice step cannot be 0", argument="key")
                parts.append(slice(*numbers))
    if parts.count(Ellipsis) > 1:
        raise SpecError(f"key '{key}' has more than one ...", argument="key")
    return parts


@register
@rule
class GetItem(Operation):
    """Indexing and slicing, `x[key]`, the key written as between Python's brackets: `key: ":, 1:3, ::2"`,
    `key: "..., None"` (ints index an axis away, slices keep it, None adds an axis of 1, ... stands for the
    axes not named; axis 0 is the batch axis).

    output: the axes the key keeps, each the length of its slice
    params: 0;  MACs: 0
    """

    call_parameters = ("x", "key")
    key: str

    def validate(self) -> None:
        parse_key(self.key)

    def operation_shape(self, x: Shape) -> Shape:
        key = parse_key(self.key)
        if Ellipsis not in key:
            key.append(Ellipsis)
        indexed = len(key) - 1 - key.count(None)
        if indexed > len(x):
            raise ShapeError(f"key '{self.key}' indexes {indexed} axes of a tensor of rank {len(x)} "
                             f"{format_shape(x)}", argument="key")
        remaining, result = list(x), []
        for part in key:
            if part is Ellipsis:
                named = sum(1 for later in key[key.index(Ellipsis) + 1:] if later is not None)
                result += remaining[:len(remaining) - named]
                remaining = remaining[len(remaining) - named:]
            elif part is None:
                result.append(1)
            else:
                length = remaining.pop(0)
                if isinstance(part, int):
                    if length is not None and not -length <= part < length:
                        raise ShapeError(f"index {part} is out of bounds for an axis of size {format_dim(length)} "
                                         f"in {format_shape(x)}", argument="key")
                elif length is None or part == slice(None):
                    result.append(length)
                elif isinstance(length, int):
                    result.append(len(range(*part.indices(length))))
                else:
                    raise ShapeError(f"slice {self.key} of the symbolic size {format_dim(length)}: bind its symbols "
                                     "with --set", argument="key")
        return tuple(result)


# -- products --------------------------------------------------------------------------------------------


@register
@rule
class Matmul(Operation):
    """Matrix product of two tensors, as numpy.matmul: (..., n, k) · (..., k, m), leading axes broadcast, a
    rank-1 operand a vector.

    output: (broadcast leading axes, n, m)
    params: 0;  MACs: output elements (batch excluded) · k
    """

    min_inputs = 2
    max_inputs = 2
    call_parameters = ("x1", "x2")

    def inner(self, x: Tuple[Shape, Shape]) -> Dim:
        first, second = x
        left = first[-1]
        right = second[-2] if len(second) > 1 else second[0]
        if left is not None and right is not None and left != right:
            raise ShapeError(f"the inner axes differ: {format_dim(left)} (the last of {format_shape(first)}) and "
                             f"{format_dim(right)} (of {format_shape(second)})")
        return left if left is not None else right

    def operation_shape(self, x: Tuple[Shape, Shape]) -> Shape:
        first, second = x
        if not first or not second:
            raise ShapeError("matmul needs operands of rank 1 or more")
        self.inner(x)
        left = (1, first[0]) if len(first) == 1 else first
        right = (second[0], 1) if len(second) == 1 else second
        result = [*broadcast_shapes(left[:-2], right[:-2]), left[-2], right[-1]]
        if len(first) == 1:
            del result[-2]
        if len(second) == 1:
            del result[-1]
        return tuple(result)

    def macs(self, x: Tuple[Shape, Shape], y: Shape) -> Dim:
        return prod([elements(y), self.inner(x)])


@register
@rule
class Einsum(Operation):
    """Einstein summation of its inputs by `subscripts` (letters, and ... for the axes between): "bij,bjk->bik".

    output: the output letters' sizes (without ->: the letters used once, in alphabetical order)
    params: 0;  MACs: output elements (batch excluded) · the product of the contracted letters' sizes
    """

    min_inputs = 1
    max_inputs = None
    call_parameters = ("subscripts", "operands")
    variadic = "operands"
    subscripts: str

    def parse(self, x: Tuple[Shape, ...]) -> Tuple[Shape, Dict[str, Dim], str]:
        """(output shape, each letter's size, the contracted letters)."""
        text = self.subscripts.replace(" ", "")
        inputs_text, arrow, output_text = text.partition("->")
        specs = inputs_text.split(",")
        if len(specs) != len(x):
            raise ShapeError(f"subscripts '{self.subscripts}' name {len(specs)} operands, found {len(x)} inputs",
                             argument="subscripts")
        sizes: Dict[str, Dim] = {}
        ellipsis: Shape = ()
        for spec, shape in zip(specs, x):
            if not re.fullmatch(r"[A-Za-z]*(\.\.\.)?[A-Za-z]*", spec):
                raise SpecError(f"subscripts '{self.subscripts}': '{spec}' must be letters, with at most one ...",
                                argument="subscripts")
            before, dots, after = spec.partition("...")
            if (len(shape) != len(before) + len(after)) if not dots else len(shape) < len(before) + len(after):
                raise ShapeError(f"subscript '{spec}' does not match the input's rank {len(shape)} "
                                 f"{format_shape(shape)}", argument="subscripts")
            letters = list(zip(before, shape)) + list(zip(after, shape[len(shape) - len(after):]))
            if dots:
                ellipsis = broadcast_shapes(ellipsis, shape[len(before):len(shape) - len(after)])
            for letter, size in letters:
                known = sizes.get(letter)
                if known is not None and size is not None and known != size and known != 1 and size != 1:
                    raise ShapeError(f"letter '{letter}' has size {format_dim(known)} and {format_dim(size)} in "
                                     f"subscripts '{self.subscripts}'", argument="subscripts")
                sizes[letter] = size if known is None or known == 1 else known
        used = "".join(specs).replace(".", "")
        if not arrow:
            output_text = "..." + "".join(sorted(letter for letter in set(used) if used.count(letter) == 1))
        before, dots, after = output_text.partition("...")
        unknown = [letter for letter in before + after if letter not in sizes]
        if unknown:
            raise SpecError(f"subscripts '{self.subscripts}': output letter '{unknown[0]}' is in no input",
                            argument="subscripts")
        output = (*(sizes[letter] for letter in before), *(ellipsis if dots else ()),
                  *(sizes[letter] for letter in after))
        contracted = "".join(sorted(set(used) - set(before + after)))
        return output, sizes, contracted

    def operation_shape(self, x: Tuple[Shape, ...]) -> Shape:
        return self.parse(x)[0]

    def macs(self, x: Tuple[Shape, ...], y: Shape) -> Dim:
        _, sizes, contracted = self.parse(x)
        return prod([elements(y), *(sizes[letter] for letter in contracted)])
