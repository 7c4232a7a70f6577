"""torch.nn's linear modules: Linear, Bilinear, Identity."""

from __future__ import annotations

from typing import Any, List, Optional, Tuple

from ...dims import Dim, Shape, format_shape, prod
from ...errors import ShapeError
from ..arguments import PositiveInt
from ..base import PASS_THROUGH, WHOLE, Tap, Weight, rule
from ..registry import register
from .base import Module, inferred


@register
@rule
class Linear(Module):
    """y = x·Wᵀ + b over the last axis, on inputs of any rank (N, *, in_features).

    output: (N, *, out_features)
    params: weight out_features·in_features + bias out_features (bias)
    MACs:   positions (every axis but the batch and the last) · in_features · out_features
    """

    in_features: PositiveInt | None = None  # inferred from the input when omitted
    out_features: PositiveInt
    bias: bool = True

    def features(self, x: Shape) -> int:
        if len(x) < 2:
            raise ShapeError(f"expected an input with a feature axis, found {format_shape(x)}")
        return inferred(self.in_features, x[-1], "in_features", x, "features on its last axis")

    def output_shape(self, x: Shape) -> Shape:
        self.features(x)
        return (*x[:-1], self.out_features)

    def weights(self, x: Shape) -> List[Weight]:
        return [Weight("weight", (self.out_features, self.features(x)))] + \
            [Weight("bias", (self.out_features,))] * self.bias

    def macs(self, x: Shape, y: Shape) -> Dim:
        return prod([*x[1:-1], self.features(x), self.out_features])

    def window(self, x: Shape) -> Tuple[Optional[Tap], ...]:
        return (*(None,) * (len(x) - 1), WHOLE)


@register
@rule
class Bilinear(Module):
    """y = x1ᵀ·A·x2 + b for two inputs (N, *, in1_features) and (N, *, in2_features).

    output: (N, *, out_features)
    params: weight out_features·in1_features·in2_features + bias out_features (bias)
    MACs:   positions · out_features · in1_features · (in2_features + 1) (x1ᵀ·A, then the product with x2)
    """

    min_inputs = 2
    max_inputs = 2
    in1_features: PositiveInt
    in2_features: PositiveInt
    out_features: PositiveInt
    bias: bool = True

    def output_shape(self, x: Tuple[Shape, Shape]) -> Shape:
        first, second = x
        if first[:-1] != second[:-1]:
            raise ShapeError(f"inputs must match on every axis but the last, found {format_shape(first)} and "
                             f"{format_shape(second)}")
        for shape, size, name in ((first, self.in1_features, "in1_features"),
                                  (second, self.in2_features, "in2_features")):
            inferred(size, shape[-1], name, shape, "features on its last axis")
        return (*first[:-1], self.out_features)

    def weights(self, x: Tuple[Shape, Shape]) -> List[Weight]:
        return [Weight("weight", (self.out_features, self.in1_features, self.in2_features))] + \
            [Weight("bias", (self.out_features,))] * self.bias

    def macs(self, x: Tuple[Shape, Shape], y: Shape) -> Dim:
        return prod([*x[0][1:-1], self.out_features, self.in1_features, self.in2_features + 1])


@register
@rule
class Identity(Module):
    """Returns its input (torch ignores any argument; a spec gives none).

    output: x;  params: 0;  MACs: 0
    """

    def output_shape(self, x: Shape) -> Shape:
        return x

    def window(self, x: Shape) -> Any:
        return PASS_THROUGH
