"""Layers that merge several inputs: Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, Dot."""

from __future__ import annotations

from typing import Any, List, Optional, Sequence, Tuple

from ..dims import Dim, Shape, dim_sum, format_dim, format_shape, prod
from ..errors import ShapeError, SpecError
from .arguments import Axis
from .base import PASS_THROUGH, Layer, Tap, elements, rule
from .norm import as_written
from .registry import register


def broadcast(first: Shape, second: Shape) -> Shape:
    """Keras' elementwise-merge rule for non-batch axes: equal, 1, or unknown.

    >>> broadcast((4, 1), (4, 5))
    (4, 5)
    >>> broadcast((5,), (4, 5))
    (4, 5)
    """
    if len(first) < len(second):
        first, second = second, first
    if not second:
        return first
    result = list(first[: len(first) - len(second)])
    for a, b in zip(first[len(first) - len(second):], second):
        if a is None or b is None:
            result.append(None)
        elif a == 1 or b == 1:
            result.append(b if a == 1 else a)
        elif a != b:
            raise ShapeError(f"inputs have incompatible shapes {format_shape(first)} and {format_shape(second)}")
        else:
            result.append(a)
    return tuple(result)


def merged_batch(shapes: Sequence[Shape]) -> Dim:
    batches = {shape[0] for shape in shapes} - {None}
    return batches.pop() if len(batches) == 1 else None


@rule
class Elementwise(Layer):
    """Elementwise merge of several inputs, broadcast as Keras does.

    output: the broadcast shape (equal axes, or 1, or unknown)
    params: 0;  MACs: 0 (elementwise operations only)
    """

    min_inputs = 2
    max_inputs = None

    def output_shape(self, x: Tuple[Shape, ...]) -> Shape:
        result = x[0][1:]
        for shape in x[1:]:
            result = broadcast(result, shape[1:])
        return (merged_batch(x), *result)

    def elementwise(self, x: Tuple[Shape, ...], y: Shape) -> Dim:
        return prod([len(x) - 1, elements(y)])  # one binary operation per output element and extra input

    def window(self, x: Tuple[Shape, ...]) -> Tuple[Optional[Tap], ...]:
        return PASS_THROUGH


@register
@rule
class Add(Elementwise):
    __doc__ = Elementwise.__doc__


@register
@rule
class Subtract(Elementwise):
    __doc__ = Elementwise.__doc__
    max_inputs = 2


@register
@rule
class Multiply(Elementwise):
    __doc__ = Elementwise.__doc__


@register
@rule
class Average(Elementwise):
    __doc__ = Elementwise.__doc__

    def elementwise(self, x: Tuple[Shape, ...], y: Shape) -> Dim:
        return prod([len(x), elements(y)])  # the additions, then a multiplication by 1/n


@register
@rule
class Maximum(Elementwise):
    __doc__ = Elementwise.__doc__


@register
@rule
class Minimum(Elementwise):
    __doc__ = Elementwise.__doc__


@register
@rule
class Concatenate(Layer):
    """Joins inputs along `axis`; every other axis must match.

    output: the first input's shape with axis = sum of the inputs' axis sizes
    params: 0;  MACs: 0
    """

    min_inputs = 2
    max_inputs = None
    axis: int = -1

    def output_shape(self, x: Tuple[Shape, ...]) -> Shape:
        rank = len(x[0])
        if any(len(shape) != rank for shape in x):
            ranks = ", ".join(format_shape(shape) for shape in x)
            raise ShapeError(f"inputs must all have the same rank, found {ranks}")
        position: Optional[int] = self.axis + rank if self.axis < 0 else self.axis
        if not 0 <= position < rank:
            raise ShapeError(f"axis {self.axis} is out of range for inputs of rank {rank}", argument="axis")
        for other in x[1:]:
            for index, (a, b) in enumerate(zip(x[0], other)):
                if index not in (0, position) and a is not None and b is not None and a != b:
                    raise ShapeError(
                        f"inputs must match on every axis but {self.axis}; found {format_shape(x[0])} and "
                        f"{format_shape(other)} (axis {index}: {a} vs {b})"
                    )
        result = list(x[0])
        result[position] = dim_sum(shape[position] for shape in x)
        return tuple(result)

    def window(self, x: Tuple[Shape, ...]) -> Tuple[Optional[Tap], ...]:
        return PASS_THROUGH


@register
@rule
class Dot(Layer):
    """Dot products between two inputs' examples along `axes` (an int for both, or one axis per input).

    output: the first input without its axis, then the second without batch and its axis; (batch, 1) if that
            leaves only the batch, e.g. (b, i, k)·(b, k, j), axes [2, 1] -> (b, i, j)
    params: 0
    MACs:   output elements · the contracted size, e.g. i·j·k above, n for (b, n)·(b, n)
    """

    min_inputs = 2
    max_inputs = 2
    axes: Axis
    normalize: Any = False

    def validate(self) -> None:
        if not isinstance(self.axes, int) and len(self.axes) != 2:
            raise SpecError(
                f"argument 'axes' must be an integer or a list of 2 integers, found a list of {len(self.axes)}",
                argument="axes",
            )

    def positions(self, x: Tuple[Shape, Shape]) -> List[int]:
        """The axis of each input; a negative int wraps modulo each rank, as in Keras (-4 on rank 3 is 2)."""
        if isinstance(self.axes, int):
            positions = [self.axes % len(shape) if self.axes < 0 else self.axes for shape in x]
        else:
            positions = [axis + len(shape) if axis < 0 else axis for axis, shape in zip(self.axes, x)]
        for position, shape in zip(positions, x):
            if not 0 <= position < len(shape):
                raise ShapeError(
                    f"axes {as_written(self.axes)} is out of range for input {format_shape(shape)}", argument="axes"
                )
            if position == 0:
                # Keras builds the layer but its batch_dot refuses the batch axis when run.
                raise ShapeError(
                    f"axes {as_written(self.axes)} picks the batch axis of input {format_shape(shape)}", argument="axes"
                )
        first, second = (shape[position] for shape, position in zip(x, positions))
        if first != second:  # None against a number fails too, as in Keras
            raise ShapeError(
                f"the dot axes must have the same size, found {format_dim(first)} (axis {positions[0]} of "
                f"{format_shape(x[0])}) and {format_dim(second)} (axis {positions[1]} of {format_shape(x[1])})",
                argument="axes",
            )
        return positions

    def remaining(self, x: Tuple[Shape, Shape]) -> Tuple[Shape, Shape]:
        """What stays of each input: the first without its axis, the second without batch and its axis."""
        first_axis, second_axis = self.positions(x)
        first = tuple(dim for index, dim in enumerate(x[0]) if index != first_axis)
        second = tuple(dim for index, dim in enumerate(x[1]) if index not in (0, second_axis))
        return first, second

    def output_shape(self, x: Tuple[Shape, Shape]) -> Shape:
        first, second = self.remaining(x)
        result = first + second
        return result + (1,) if len(result) == 1 else result

    def macs(self, x: Tuple[Shape, Shape], y: Shape) -> Dim:
        # every element of the first input (batch excluded) meets every remaining position of the second
        _, second = self.remaining(x)
        return prod([*x[0][1:], *second])

    def elementwise(self, x: Tuple[Shape, Shape], y: Shape) -> Dim:
        # normalize: an L2 normalization of both inputs along the axes (square, add, multiply by 1/norm)
        return prod([3, dim_sum(elements(shape) for shape in x)]) if self.normalize else 0
