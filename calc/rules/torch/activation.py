"""torch.nn's activation modules: elementwise functions (ReLU, GELU, SiLU, Hardswish, ...), PReLU with its
learned slopes, and the functions over one axis (Softmax, LogSoftmax, Softmin, GLU)."""

from __future__ import annotations

from dataclasses import field
from typing import Any, List, Optional, Tuple

from ...dims import Dim, Shape, format_shape, prod
from ...errors import ShapeError
from ..arguments import PositiveInt, choices
from ..base import SOFTMAX_OPS, WHOLE, Tap, Weight, elements, rule
from .. import activation
from ..registry import register
from .base import Module


@rule
class Elementwise(activation.Elementwise, Module):
    """Applies a function to each element.

    output: x;  params: 0;  MACs: 0 (elementwise, no multiply-accumulate)
    """


def dim_position(x: Shape, dim: int) -> int:
    """A possibly negative dim as a position in x (torch: "Dimension out of range")."""
    position = dim + len(x) if dim < 0 else dim
    if not 0 <= position < len(x):
        raise ShapeError(f"dim {dim} is out of range for input {format_shape(x)} (expected to be in range of "
                         f"[{-len(x)}, {len(x) - 1}])", argument="dim")
    return position


@register
@rule
class ReLU(Elementwise):
    __doc__ = Elementwise.__doc__
    inplace: Any = False


@register
@rule
class ReLU6(Elementwise):
    __doc__ = Elementwise.__doc__
    inplace: Any = False


@register
@rule
class LeakyReLU(Elementwise):
    __doc__ = Elementwise.__doc__
    negative_slope: Any = 0.01
    inplace: Any = False


@register
@rule
class ELU(Elementwise):
    __doc__ = Elementwise.__doc__
    alpha: Any = 1.0
    inplace: Any = False


@register
@rule
class CELU(Elementwise):
    __doc__ = Elementwise.__doc__
    alpha: Any = 1.0
    inplace: Any = False


@register
@rule
class SELU(Elementwise):
    __doc__ = Elementwise.__doc__
    inplace: Any = False


@register
@rule
class GELU(Elementwise):
    __doc__ = Elementwise.__doc__
    approximate: str = field(default="none", metadata=choices("none", "tanh", ignored=True))


@register
@rule
class SiLU(Elementwise):
    __doc__ = Elementwise.__doc__
    inplace: Any = False


@register
@rule
class Mish(Elementwise):
    __doc__ = Elementwise.__doc__
    inplace: Any = False


@register
@rule
class Hardswish(Elementwise):
    __doc__ = Elementwise.__doc__
    inplace: Any = False


@register
@rule
class Hardsigmoid(Elementwise):
    __doc__ = Elementwise.__doc__
    inplace: Any = False


@register
@rule
class Hardtanh(Elementwise):
    __doc__ = Elementwise.__doc__
    min_val: Any = -1.0
    max_val: Any = 1.0
    inplace: Any = False


@register
@rule
class Sigmoid(Elementwise):
    __doc__ = Elementwise.__doc__


@register
@rule
class Tanh(Elementwise):
    __doc__ = Elementwise.__doc__


@register
@rule
class Softplus(Elementwise):
    __doc__ = Elementwise.__doc__
    beta: Any = 1.0
    threshold: Any = 20.0


@register
@rule
class Softsign(Elementwise):
    __doc__ = Elementwise.__doc__


@register
@rule
class Tanhshrink(Elementwise):
    __doc__ = Elementwise.__doc__


@register
@rule
class Softshrink(Elementwise):
    __doc__ = Elementwise.__doc__
    lambd: Any = 0.5


@register
@rule
class Hardshrink(Elementwise):
    __doc__ = Elementwise.__doc__
    lambd: Any = 0.5


@register
@rule
class LogSigmoid(Elementwise):
    __doc__ = Elementwise.__doc__


@register
@rule
class Threshold(Elementwise):
    __doc__ = Elementwise.__doc__
    threshold: Any
    value: Any
    inplace: Any = False


@register
@rule
class PReLU(Elementwise):
    """max(0, x) + a·min(0, x), with a learned slope a per channel (axis 1) or one for all.

    output: x
    params: weight num_parameters (1, or the channels)
    MACs:   0 (elementwise, no multiply-accumulate)
    """

    num_parameters: PositiveInt = 1
    init: Any = 0.25

    def output_shape(self, x: Shape) -> Shape:
        channels = x[1] if len(x) >= 2 else 1
        if self.num_parameters != 1 and channels is not None and channels != self.num_parameters:
            raise ShapeError(f"num_parameters {self.num_parameters} must be 1 or the input's channels (axis 1), "
                             f"found {channels} in {format_shape(x)}", argument="num_parameters")
        return x

    def weights(self, x: Shape) -> List[Weight]:
        return [Weight("weight", (self.num_parameters,))]


@rule
class AlongDim(Elementwise):
    """Softmax-like function along `dim` (torch's implicit choice when null: 0 for inputs of rank 0, 1 or 3,
    else 1; the batch axis counts).

    output: x;  params: 0;  MACs: 0 (shift, exponentiate, sum, normalize: 5 elementwise operations)
    """

    dim: int | None = None

    def position(self, x: Shape) -> int:
        if self.dim is None:
            return 0 if len(x) in (0, 1, 3) else 1
        return dim_position(x, self.dim)

    def output_shape(self, x: Shape) -> Shape:
        self.position(x)
        return x

    def elementwise(self, x: Shape, y: Shape) -> Dim:
        return prod([SOFTMAX_OPS, elements(y)])

    def window(self, x: Shape) -> Tuple[Optional[Tap], ...]:
        position = self.position(x)
        return tuple(WHOLE if index == position else None for index in range(len(x)))


@register
@rule
class Softmax(AlongDim):
    __doc__ = AlongDim.__doc__


@register
@rule
class LogSoftmax(AlongDim):
    __doc__ = AlongDim.__doc__


@register
@rule
class Softmin(AlongDim):
    __doc__ = AlongDim.__doc__


@register
@rule
class Softmax2d(AlongDim):
    """Softmax over the channels of an (N, C, H, W) input (dim -3).

    output: x;  params: 0;  MACs: 0 (5 elementwise operations per element)
    """

    def position(self, x: Shape) -> int:
        if len(x) not in (3, 4):
            raise ShapeError(f"Softmax2d expects a 3D or 4D input, found {format_shape(x)}")
        return len(x) - 3


@register
@rule
class GLU(AlongDim):
    """The first half of `dim` times the sigmoid of the second half.

    output: x with dim halved (its size must be even);  params: 0;  MACs: 0
    """

    dim: int = -1

    def output_shape(self, x: Shape) -> Shape:
        position = self.position(x)
        size = x[position]
        if size is not None and size % 2:
            raise ShapeError(f"halving dimension must be even, but dimension {self.dim} is size {size}",
                             argument="dim")
        half = None if size is None else size // 2
        return tuple(half if index == position else dim for index, dim in enumerate(x))

    def elementwise(self, x: Shape, y: Shape) -> Dim:
        return prod([2, elements(y)])  # sigmoid, product
