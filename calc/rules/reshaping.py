"""Layers that rearrange elements without computing: Flatten, Reshape."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..dims import Dim, Shape, format_shape, prod
from ..errors import ShapeError, SpecError
from . import Layer, TargetShape, choices, register
from .conv import DATA_FORMATS


@register
@dataclass(frozen=True, kw_only=True)
class Flatten(Layer):
    """Flattens every axis but the batch.

    output: (batch, product of the other axes), unknown if any is unknown;
            (batch, 1) for a rank-1 input
    params: 0;  MACs: 0
    """

    data_format: str = field(default="channels_last", metadata=DATA_FORMATS)

    def output_shape(self, x: Shape) -> Shape:
        return (x[0], prod(x[1:]))


@register
@dataclass(frozen=True, kw_only=True)
class Reshape(Layer):
    """Reshapes the non-batch axes to target_shape; one -1 is inferred.

    output: (batch, *target_shape), -1 = input size / product of the others
            (unknown when the input has an unknown axis)
    params: 0;  MACs: 0
    """

    target_shape: TargetShape

    def validate(self) -> None:
        if list(self.target_shape).count(-1) > 1:
            raise SpecError(
                f"target_shape {list(self.target_shape)} has more than one -1; at most one axis can be inferred",
                argument="target_shape",
            )

    def output_shape(self, x: Shape) -> Shape:
        target = list(self.target_shape)
        input_size = prod(x[1:])
        known: Dim = prod(dim for dim in target if dim != -1)
        if input_size is None:
            return (x[0], *(None if dim == -1 else dim for dim in target))
        if -1 not in target:
            if input_size != known:
                raise ShapeError(
                    f"target_shape {target} has {known} elements but the input {format_shape(x[1:])} has "
                    f"{input_size}",
                    argument="target_shape",
                )
            return (x[0], *target)
        if input_size % known:
            raise ShapeError(
                f"input size {input_size} {format_shape(x[1:])} is not divisible by {known}, the product of "
                f"target_shape {target} without its -1",
                argument="target_shape",
            )
        return (x[0], *(input_size // known if dim == -1 else dim for dim in target))
