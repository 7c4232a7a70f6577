"""Core layers: Dense, Activation, Identity."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, List

from ..dims import Dim, Shape, format_shape, prod
from ..errors import ShapeError
from . import Layer, NonNegativeInt, PositiveInt, Weight, activation_field, register


def known_last_axis(x: Shape, what: str) -> int:
    if len(x) < 2:
        raise ShapeError(f"{what} needs an input of rank 2 or more, found {format_shape(x)}")
    if x[-1] is None:
        raise ShapeError(f"{what} needs a known last axis, found None in {format_shape(x)}")
    return x[-1]


@register
@dataclass(frozen=True, kw_only=True)
class Dense(Layer):
    """Fully connected layer on the last axis.

    output: (*x[:-1], units)
    params: kernel in·units + bias units (use_bias); with lora_rank r the
            kernel is frozen and A (in, r), B (r, units) are trainable
    MACs:   rows·in·units, rows = product of the axes between batch and last
            (+ rows·r·(in + units) for LoRA)
    """

    units: PositiveInt
    activation: str | None = activation_field()
    use_bias: bool = True
    kernel_initializer: Any = "glorot_uniform"
    bias_initializer: Any = "zeros"
    kernel_regularizer: Any = None
    bias_regularizer: Any = None
    kernel_constraint: Any = None
    bias_constraint: Any = None
    lora_rank: NonNegativeInt | None = None  # 0 or null: no LoRA
    lora_alpha: Any = None

    def output_shape(self, x: Shape) -> Shape:
        known_last_axis(x, "Dense")
        return (*x[:-1], self.units)

    def weights(self, x: Shape) -> List[Weight]:
        in_features = known_last_axis(x, "Dense")
        weights = [Weight("kernel", (in_features, self.units), trainable=not self.lora_rank)]
        if self.use_bias:
            weights.append(Weight("bias", (self.units,)))
        if self.lora_rank:
            weights += [
                Weight("lora_kernel_a", (in_features, self.lora_rank)),
                Weight("lora_kernel_b", (self.lora_rank, self.units)),
            ]
        return weights

    def macs(self, x: Shape, y: Shape) -> Dim:
        in_features = known_last_axis(x, "Dense")
        per_row = in_features * self.units
        if self.lora_rank:
            per_row = per_row + self.lora_rank * (in_features + self.units)
        return prod([*x[1:-1], per_row])


@register
@dataclass(frozen=True, kw_only=True)
class Activation(Layer):
    """Applies an activation function elementwise.

    output: x;  params: 0;  MACs: 0 (elementwise, no multiply-accumulate)
    """

    activation: str | None = activation_field(required=True)

    def output_shape(self, x: Shape) -> Shape:
        return x


@register
@dataclass(frozen=True, kw_only=True)
class Identity(Layer):
    """Returns its input unchanged.

    output: x;  params: 0;  MACs: 0
    """

    def output_shape(self, x: Shape) -> Shape:
        return x
