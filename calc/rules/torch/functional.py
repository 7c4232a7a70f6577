"""The torch functions models write inline in forward(): add, mul (elementwise, broadcast), cat (along dim),
flatten (torch.flatten: start_dim 0 unless given), adaptive_avg_pool2d (torch.nn.functional).  Their type is the function's name, lowercase, as
written in Python; the merge arithmetic is the Keras merge rules'."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Tuple

from ...dims import Shape
from ..base import PASS_THROUGH, rearranging
from ..merge import Concatenate, Elementwise
from ..registry import register
from .base import Module
from .pooling import AdaptiveAvgPool2d
from .reshaping import flattened


@register
@dataclass(frozen=True, kw_only=True)
class add(Elementwise, Module):  # noqa: N801 - torch.add
    """input + other (torch.add; `x + y` in forward), broadcast.

    output: the broadcast shape;  params: 0;  MACs: 0 (one addition per output element)
    """

    max_inputs = 2


@register
@dataclass(frozen=True, kw_only=True)
class mul(Elementwise, Module):  # noqa: N801 - torch.mul
    """input · other (torch.mul; `x * y` in forward), broadcast.

    output: the broadcast shape;  params: 0;  MACs: 0 (one multiplication per output element)
    """

    max_inputs = 2


@register
@dataclass(frozen=True, kw_only=True)
class cat(Module):  # noqa: N801 - torch.cat
    """Joins its inputs along `dim` (torch.cat; the batch is dim 0, the default); every other axis must match.

    output: the first input's shape with dim = the sum of the inputs' sizes on it;  params: 0;  MACs: 0
    """

    min_inputs = 2
    max_inputs = None
    dim: int = 0

    def output_shape(self, x: Tuple[Shape, ...]) -> Shape:
        return Concatenate(axis=self.dim).output_shape(x)

    def window(self, x: Tuple[Shape, ...]) -> Any:
        return PASS_THROUGH


@register
@dataclass(frozen=True, kw_only=True)
class flatten(Module):  # noqa: N801 - torch.flatten
    """Flattens the axes start_dim..end_dim into one (torch.flatten: the batch is axis 0, and start_dim is 0
    unless given: models write torch.flatten(x, 1)).

    output: x with those axes as their product;  params: 0;  MACs: 0
    """

    start_dim: int = 0
    end_dim: int = -1

    def output_shape(self, x: Shape) -> Shape:
        return flattened(x, self.start_dim, self.end_dim)

    def window(self, x: Shape) -> Any:
        return rearranging(x)


@register
@dataclass(frozen=True, kw_only=True)
class adaptive_avg_pool2d(AdaptiveAvgPool2d):  # noqa: N801 - torch.nn.functional.adaptive_avg_pool2d
    """The function of AdaptiveAvgPool2d (torch.nn.functional.adaptive_avg_pool2d(x, output_size)), as
    MobileNetV2's forward() writes it.

    output: (N, C, *output_size);  params: 0;  MACs: 0
    """
