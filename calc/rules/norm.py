"""Normalization layers: BatchNormalization."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, List

from ..dims import Shape, format_shape
from ..errors import ShapeError
from . import Layer, Weight, register


def normalized_axis(x: Shape, axis: int) -> int:
    """A possibly negative axis as a position in x (0, the batch axis, is allowed, as in Keras)."""
    position = axis + len(x) if axis < 0 else axis
    if not 0 <= position < len(x):
        raise ShapeError(f"axis {axis} is out of range for input {format_shape(x)}", argument="axis")
    return position


@register
@dataclass(frozen=True, kw_only=True)
class BatchNormalization(Layer):
    """Normalizes each channel on `axis` with learned scale and offset.

    output: x
    params: gamma C (scale) + beta C (center), trainable;
            moving_mean C + moving_variance C, non-trainable
    MACs:   0 (folded into the preceding layer at inference)
    """

    axis: int = -1
    momentum: Any = 0.99
    epsilon: Any = 0.001
    center: bool = True
    scale: bool = True
    beta_initializer: Any = "zeros"
    gamma_initializer: Any = "ones"
    moving_mean_initializer: Any = "zeros"
    moving_variance_initializer: Any = "ones"
    beta_regularizer: Any = None
    gamma_regularizer: Any = None
    beta_constraint: Any = None
    gamma_constraint: Any = None
    synchronized: bool = False

    def output_shape(self, x: Shape) -> Shape:
        self.channels(x)
        return x

    def channels(self, x: Shape) -> int:
        position = normalized_axis(x, self.axis)
        if x[position] is None:
            raise ShapeError(f"axis {self.axis} must be known, found None in {format_shape(x)}", argument="axis")
        return x[position]

    def weights(self, x: Shape) -> List[Weight]:
        channels = (self.channels(x),)
        weights = []
        if self.scale:
            weights.append(Weight("gamma", channels))
        if self.center:
            weights.append(Weight("beta", channels))
        return weights + [
            Weight("moving_mean", channels, trainable=False),
            Weight("moving_variance", channels, trainable=False),
        ]
