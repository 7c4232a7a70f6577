"""Layers that merge several inputs: Add, Concatenate."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence, Tuple

from ..dims import Dim, Shape, dim_sum, format_shape
from ..errors import ShapeError
from . import Layer, register


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


@dataclass(frozen=True, kw_only=True)
class Elementwise(Layer):
    """Elementwise merge of several inputs, broadcast as Keras does.

    output: the broadcast shape (equal axes, or 1, or unknown)
    params: 0;  MACs: 0 (additions and comparisons only)
    """

    min_inputs = 2
    max_inputs = None

    def output_shape(self, x: Tuple[Shape, ...]) -> Shape:
        result = x[0][1:]
        for shape in x[1:]:
            result = broadcast(result, shape[1:])
        return (merged_batch(x), *result)


@register
@dataclass(frozen=True, kw_only=True)
class Add(Elementwise):
    __doc__ = Elementwise.__doc__


@register
@dataclass(frozen=True, kw_only=True)
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
