"""Activations as layers: ReLU, LeakyReLU, ELU, Softmax, PReLU."""

from __future__ import annotations

from typing import Any, List, Optional, Tuple

from ..dims import Dim, Shape, format_shape, prod
from ..errors import ShapeError, SpecError
from .arguments import Axis
from .base import PASS_THROUGH, SOFTMAX_OPS, WHOLE, Layer, Tap, Weight, elements, rule
from .norm import normalized_axis
from .registry import register


def axes(value: Any) -> List[int]:
    """An Axis argument (null, one axis or a list) as a list."""
    return [] if value is None else [value] if isinstance(value, int) else list(value)


def not_negative(value: Any, name: str) -> None:
    if value < 0:
        raise SpecError(f"argument '{name}' cannot be negative, found {value}", argument=name)


@rule
class Elementwise(Layer):
    """Applies an activation elementwise.

    output: x;  params: 0;  MACs: 0 (elementwise, no multiply-accumulate)
    """

    def output_shape(self, x: Shape) -> Shape:
        return x

    def elementwise(self, x: Shape, y: Shape) -> Dim:
        return elements(y)  # one function evaluation per element

    def window(self, x: Shape) -> Tuple[Optional[Tap], ...]:
        return PASS_THROUGH


@register
@rule
class ReLU(Elementwise):
    """Rectified linear unit: min(max_value, x) above threshold, negative_slope·(x - threshold) below.

    output: x;  params: 0;  MACs: 0 (elementwise, no multiply-accumulate)
    """

    max_value: float | None = None
    negative_slope: float = 0.0
    threshold: float = 0.0

    def validate(self) -> None:
        for name in ("max_value", "negative_slope", "threshold"):
            if getattr(self, name) is not None:
                not_negative(getattr(self, name), name)


@register
@rule
class LeakyReLU(Elementwise):
    """x above 0, negative_slope·x below (`alpha`, deprecated, replaces negative_slope when given).

    output: x;  params: 0;  MACs: 0 (elementwise, no multiply-accumulate)
    """

    negative_slope: float = 0.3
    alpha: float | None = None

    def validate(self) -> None:
        slope, name = (self.negative_slope, "negative_slope") if self.alpha is None else (self.alpha, "alpha")
        not_negative(slope, name)


@register
@rule
class ELU(Elementwise):
    __doc__ = Elementwise.__doc__
    alpha: Any = 1.0


@register
@rule
class Softmax(Elementwise):
    """Softmax over `axis` (one axis or several).

    output: x;  params: 0;  MACs: 0 (exponentials and a sum, no multiply-accumulate)
    """

    axis: Axis = -1

    def output_shape(self, x: Shape) -> Shape:
        for axis in axes(self.axis):
            normalized_axis(x, axis)
        return x

    def elementwise(self, x: Shape, y: Shape) -> Dim:
        return prod([SOFTMAX_OPS, elements(y)])

    def window(self, x: Shape) -> Tuple[Optional[Tap], ...]:
        read = {normalized_axis(x, axis) for axis in axes(self.axis)}
        return tuple(WHOLE if index in read else None for index in range(len(x)))


@register
@rule
class PReLU(Elementwise):
    """Leaky ReLU with a learned slope per element, shared along shared_axes.

    output: x
    params: alpha of shape x[1:], with 1 on each of shared_axes (numbered with the batch as 0,
            as Keras indexes them: axis i sets alpha's axis i - 1)
    MACs:   0 (elementwise, no multiply-accumulate)
    """

    alpha_initializer: Any = "Zeros"
    alpha_regularizer: Any = None
    alpha_constraint: Any = None
    shared_axes: Axis | None = None

    def weights(self, x: Shape) -> List[Weight]:
        alpha = list(x[1:])
        for axis in axes(self.shared_axes):
            if not -len(alpha) <= axis - 1 < len(alpha):
                raise ShapeError(
                    f"shared_axes {axis} is out of range for input {format_shape(x)} (its axes are 1 to {len(alpha)})",
                    argument="shared_axes",
                )
            alpha[axis - 1] = 1
        if None in alpha:
            raise ShapeError(
                f"alpha {format_shape(tuple(alpha))} must be fully known: share the unknown axes of input "
                f"{format_shape(x)} with shared_axes",
                argument="shared_axes",
            )
        return [Weight("alpha", tuple(alpha))]

    def output_shape(self, x: Shape) -> Shape:
        self.weights(x)
        return x
