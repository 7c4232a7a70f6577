"""torch.nn's pooling: MaxPool/AvgPool/LPPool 1d/2d/3d (padding, dilation, ceil_mode) and
AdaptiveAvgPool/AdaptiveMaxPool 1d/2d/3d, channels first, written once for any rank."""

from __future__ import annotations

from functools import cached_property
from typing import Any, ClassVar, List, Tuple

from ...dims import Dim, Shape, prod
from ...errors import ShapeError, SpecError
from ..arguments import NonNegativeSize, PartialShape, Size
from ..base import Tap, elements, rule
from ..registry import register
from .base import Module, expect_ranks, positive, tuple_of, window_length


@rule
class PoolNd(Module):
    """Max or average over a window of `rank` spatial axes; stride defaults to kernel_size.

    output: O = floor((I + 2P - D·(K-1) - 1 + (S-1 if ceil_mode)) / S) + 1, one less if the last window would
            start in the right padding (ceil_mode); P at most half the (dilated) kernel; channels kept
    params: 0
    MACs:   0 (comparisons and additions, no multiply-accumulate)
    """

    rank: ClassVar[int]

    kernel_size: Size
    stride: Size | None = None
    ceil_mode: bool = False

    @cached_property
    def kernel(self) -> Tuple[int, ...]:
        return tuple_of(self.kernel_size, self.rank, "kernel_size")

    @cached_property
    def strides(self) -> Tuple[int, ...]:
        return self.kernel if self.stride is None else tuple_of(self.stride, self.rank, "stride")

    @cached_property
    def pads(self) -> Tuple[int, ...]:
        return tuple_of(getattr(self, "padding", 0), self.rank, "padding")

    @cached_property
    def dilations(self) -> Tuple[int, ...]:
        return tuple_of(getattr(self, "dilation", 1), self.rank, "dilation")

    def validate(self) -> None:
        positive(self.kernel, "kernel_size")
        positive(self.strides, "stride")
        positive(self.dilations, "dilation")
        for pad, kernel in zip(self.pads, self.kernel):
            if pad > kernel // 2:  # torch checks the kernel, not the dilated extent
                raise SpecError(f"padding {pad} must be at most half of the kernel size {kernel}", argument="padding")

    def output_shape(self, x: Shape) -> Shape:
        expect_ranks(x, (self.rank + 2,), "(N, C, " + ", ".join("DHW"[3 - self.rank:]) + ")")
        out = []
        for index, (size, kernel, stride, dilation, pad) in enumerate(
                zip(x[2:], self.kernel, self.strides, self.dilations, self.pads)):
            length = window_length(size, kernel, stride, dilation, pad, self.ceil_mode)
            if length is not None and length < 1:
                raise ShapeError(f"the output size is too small: kernel {kernel} is larger than the padded input "
                                 f"{size} on axis {index + 2}", argument="kernel_size")
            out.append(length)
        return (*x[:2], *out)

    def elementwise(self, x: Shape, y: Any) -> Dim:
        """A comparison or an addition for every element of every window (as the Keras pooling rules)."""
        return prod([elements(y[0] if isinstance(y, list) else y), *self.kernel])

    def window(self, x: Shape) -> Tuple[Any, ...]:
        taps = [Tap(dilation * (kernel - 1) + 1, stride, pad)
                for kernel, stride, dilation, pad in zip(self.kernel, self.strides, self.dilations, self.pads)]
        return (None, None, *taps)


class ReturnsIndices:
    """A max pooling's return_indices: a second output, the indices of the maxima, of the output's shape."""

    def output_shape(self, x: Shape) -> Any:
        y = super().output_shape(x)
        return [y, y] if self.return_indices else y


@rule
class MaxPoolNd(ReturnsIndices, PoolNd):
    __doc__ = PoolNd.__doc__ + "    return_indices: a second output, the indices, of the same shape\n"
    padding: NonNegativeSize = 0
    dilation: Size = 1
    return_indices: bool = False


@register
@rule
class MaxPool1d(MaxPoolNd):
    __doc__ = MaxPoolNd.__doc__
    rank = 1


@register
@rule
class MaxPool2d(MaxPoolNd):
    __doc__ = MaxPoolNd.__doc__
    rank = 2


@register
@rule
class MaxPool3d(MaxPoolNd):
    __doc__ = MaxPoolNd.__doc__
    rank = 3


@rule
class AvgPoolNd(PoolNd):
    __doc__ = PoolNd.__doc__
    padding: NonNegativeSize = 0
    count_include_pad: Any = True


@register
@rule
class AvgPool1d(AvgPoolNd):
    __doc__ = AvgPoolNd.__doc__
    rank = 1


@register
@rule
class AvgPool2d(AvgPoolNd):
    __doc__ = AvgPoolNd.__doc__
    rank = 2
    divisor_override: Any = None


@register
@rule
class AvgPool3d(AvgPoolNd):
    __doc__ = AvgPoolNd.__doc__
    rank = 3
    divisor_override: Any = None


@rule
class AdaptivePoolNd(Module):
    """Max or average over `rank` spatial axes to a fixed output_size (null: the input's size on that axis);
    window i of an axis covers input positions floor(i·I/O) to ceil((i+1)·I/O).

    output: (N, C, *output_size)
    params: 0
    MACs:   0 (comparisons and additions: one per element of every window)
    """

    rank: ClassVar[int]
    output_size: PartialShape

    @cached_property
    def sizes(self) -> Tuple[Any, ...]:
        if isinstance(self.output_size, int):
            return (self.output_size,) * self.rank
        return tuple_of(self.output_size, self.rank, "output_size")

    def validate(self) -> None:
        self.sizes  # noqa: B018 - normalize now, so errors point at the argument

    def output_shape(self, x: Shape) -> Any:
        expect_ranks(x, (self.rank + 2,), "(N, C, " + ", ".join("DHW"[3 - self.rank:]) + ")")
        return (*x[:2], *(size if out is None else out for size, out in zip(x[2:], self.sizes)))

    def elementwise(self, x: Shape, y: Any) -> Dim:
        """Every element of every window: per axis the windows' lengths summed (the input size when the
        output divides it, more when windows overlap)."""
        y = y[0] if isinstance(y, list) else y
        per_axis: List[Dim] = []
        for size, out in zip(x[2:], y[2:]):
            if out == 1 or out == size:
                per_axis.append(size)
            elif isinstance(size, int) and isinstance(out, int):
                per_axis.append(sum(-(-(i + 1) * size // out) - i * size // out for i in range(out)))
            else:
                return None
        return prod([x[1], *per_axis])


@register
@rule
class AdaptiveAvgPool1d(AdaptivePoolNd):
    __doc__ = AdaptivePoolNd.__doc__
    rank = 1


@register
@rule
class AdaptiveAvgPool2d(AdaptivePoolNd):
    __doc__ = AdaptivePoolNd.__doc__
    rank = 2


@register
@rule
class AdaptiveAvgPool3d(AdaptivePoolNd):
    __doc__ = AdaptivePoolNd.__doc__
    rank = 3


@rule
class AdaptiveMaxPoolNd(ReturnsIndices, AdaptivePoolNd):
    __doc__ = AdaptivePoolNd.__doc__ + "    return_indices: a second output, the indices, of the same shape\n"
    return_indices: bool = False


@register
@rule
class AdaptiveMaxPool1d(AdaptiveMaxPoolNd):
    __doc__ = AdaptiveMaxPoolNd.__doc__
    rank = 1


@register
@rule
class AdaptiveMaxPool2d(AdaptiveMaxPoolNd):
    __doc__ = AdaptiveMaxPoolNd.__doc__
    rank = 2


@register
@rule
class AdaptiveMaxPool3d(AdaptiveMaxPoolNd):
    __doc__ = AdaptiveMaxPoolNd.__doc__
    rank = 3


@rule
class LPPoolNd(PoolNd):
    """The norm_type-power mean over a window of `rank` spatial axes (no padding); stride defaults to
    kernel_size.

    output: O = floor((I - K + (S-1 if ceil_mode)) / S) + 1; channels kept
    params: 0;  MACs: 0 (a power and an addition per element of every window)
    """

    norm_type: Any


@register
@rule
class LPPool1d(LPPoolNd):
    __doc__ = LPPoolNd.__doc__
    rank = 1


@register
@rule
class LPPool2d(LPPoolNd):
    __doc__ = LPPoolNd.__doc__
    rank = 2


@register
@rule
class LPPool3d(LPPoolNd):
    __doc__ = LPPoolNd.__doc__
    rank = 3
