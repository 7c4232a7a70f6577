"""Max and average pooling of any rank, written once in `Pooling` (windows) and `GlobalPooling`."""

from __future__ import annotations

from dataclasses import field
from functools import cached_property
from typing import Any, ClassVar, Tuple

from ..dims import Dim, Shape, format_shape, padding_before, pool_out, prod, standardize_tuple
from ..errors import ShapeError
from .arguments import Size, choices
from .base import Layer, Tap, elements, join_channels, rule, spatial_axis, split_channels
from .conv import DATA_FORMATS
from .registry import register


@rule
class Pooling(Layer):
    """Pooling window over `rank` spatial axes; strides default to pool_size.

    output: O = floor((I - P) / S) + 1 (valid), ceil(I / S) (same); channels kept
    params: 0
    MACs:   0 (comparisons and additions, no multiply-accumulate)
    """

    rank: ClassVar[int]

    pool_size: Size = 2
    strides: Size | None = None
    padding: str = field(default="valid", metadata=choices("valid", "same", ignore_case=True))
    data_format: str = field(default="channels_last", metadata=DATA_FORMATS)

    @cached_property
    def pool(self) -> Tuple[int, ...]:
        return standardize_tuple(self.pool_size, self.rank, "pool_size")

    @cached_property
    def stride(self) -> Tuple[int, ...]:
        if self.strides is None:
            return self.pool
        return standardize_tuple(self.strides, self.rank, "strides")

    def validate(self) -> None:
        self.pool, self.stride  # noqa: B018 - normalize now, so errors point at the arguments

    def output_shape(self, x: Shape) -> Shape:
        batch, spatial, channels = split_channels(x, self.data_format, self.rank)
        out_spatial = []
        for index, (size, pool, stride) in enumerate(zip(spatial, self.pool, self.stride)):
            out = pool_out(size, pool, stride, self.padding)
            if out is not None and out < 1:
                raise ShapeError(
                    f"pool_size {pool} is larger than input {size} on axis {spatial_axis(index, self.data_format)}",
                    argument="pool_size",
                )
            out_spatial.append(out)
        return join_channels(batch, out_spatial, channels, self.data_format)

    def elementwise(self, x: Shape, y: Shape) -> Dim:
        """A comparison or an addition for every element of every window (tf.profiler's pooling count)."""
        return prod([elements(y), *self.pool])

    def window(self, x: Shape) -> Tuple[Any, ...]:
        _, spatial, _ = split_channels(x, self.data_format, self.rank)
        taps = [Tap(pool, stride, padding_before(size, pool, stride, self.padding))
                for size, pool, stride in zip(spatial, self.pool, self.stride)]
        return join_channels(None, taps, None, self.data_format)


@register
@rule
class MaxPooling1D(Pooling):
    __doc__ = Pooling.__doc__
    rank = 1
    aliases = ("MaxPool1D",)


@register
@rule
class MaxPooling2D(Pooling):
    __doc__ = Pooling.__doc__
    rank = 2
    aliases = ("MaxPool2D",)


@register
@rule
class MaxPooling3D(Pooling):
    __doc__ = Pooling.__doc__
    rank = 3
    aliases = ("MaxPool3D",)


@register
@rule
class AveragePooling1D(Pooling):
    __doc__ = Pooling.__doc__
    rank = 1
    aliases = ("AvgPool1D",)
    pool_size: Size = field()  # required: unlike MaxPooling, Keras gives AveragePooling no default


@register
@rule
class AveragePooling2D(Pooling):
    __doc__ = Pooling.__doc__
    rank = 2
    aliases = ("AvgPool2D",)
    pool_size: Size = field()  # required: unlike MaxPooling, Keras gives AveragePooling no default


@register
@rule
class AveragePooling3D(Pooling):
    __doc__ = Pooling.__doc__
    rank = 3
    aliases = ("AvgPool3D",)
    pool_size: Size = field()  # required: unlike MaxPooling, Keras gives AveragePooling no default


@rule
class GlobalPooling(Layer):
    """Max or average over all `rank` spatial axes at once.

    output: (batch, C), or with keepdims (batch, 1…, C) (channels_first: (batch, C, 1…))
    params: 0
    MACs:   0 (comparisons and additions, no multiply-accumulate)
    """

    rank: ClassVar[int]

    data_format: str = field(default="channels_last", metadata=DATA_FORMATS)
    keepdims: bool = False

    def output_shape(self, x: Shape) -> Shape:
        batch, _, channels = split_channels(x, self.data_format, self.rank)
        return join_channels(batch, (1,) * self.rank if self.keepdims else (), channels, self.data_format)

    def elementwise(self, x: Shape, y: Shape) -> Dim:
        """A window over every position: one comparison or addition per input element."""
        return elements(x)


@register
@rule
class GlobalMaxPooling1D(GlobalPooling):
    __doc__ = GlobalPooling.__doc__
    rank = 1
    aliases = ("GlobalMaxPool1D",)


@register
@rule
class GlobalMaxPooling2D(GlobalPooling):
    __doc__ = GlobalPooling.__doc__
    rank = 2
    aliases = ("GlobalMaxPool2D",)


@register
@rule
class GlobalMaxPooling3D(GlobalPooling):
    __doc__ = GlobalPooling.__doc__
    rank = 3
    aliases = ("GlobalMaxPool3D",)


@register
@rule
class GlobalAveragePooling1D(GlobalPooling):
    __doc__ = GlobalPooling.__doc__
    rank = 1
    aliases = ("GlobalAvgPool1D",)


@register
@rule
class GlobalAveragePooling2D(GlobalPooling):
    __doc__ = GlobalPooling.__doc__
    rank = 2
    aliases = ("GlobalAvgPool2D",)


@register
@rule
class GlobalAveragePooling3D(GlobalPooling):
    __doc__ = GlobalPooling.__doc__
    rank = 3
    aliases = ("GlobalAvgPool3D",)


def adaptive_reads(size: Dim, out: int) -> Dim:
    """Input positions an adaptive pooling reads along one axis, over all `out` windows: window i covers
    [floor(i·size/out), ceil((i+1)·size/out)), as in Keras' ops.adaptive_*_pool (PyTorch's windows);
    unknown for an unknown or symbolic size.

    >>> adaptive_reads(10, 4), adaptive_reads(10, 5), adaptive_reads(None, 4)
    (12, 10, None)
    """
    if not isinstance(size, int):
        return None
    return sum(-(-(i + 1) * size // out) - i * size // out for i in range(out))


@rule
class AdaptivePooling(Layer):
    """Pools each channel to output_size positions, whatever the input's size: window i of an axis of size I
    covers [floor(i·I/O), ceil((i+1)·I/O)).

    output: (batch, *output_size, C), or (batch, C, *output_size) channels_first. Keras' symbolic shape
            takes the batch from the first axis and the channels from the last (the second,
            channels_first) whatever the input's rank, and so does layercalc
    params: 0
    MACs:   0 (a comparison or an addition for every position of every window)
    """

    rank: ClassVar[int]

    output_size: Size
    data_format: str = field(default="channels_last", metadata=DATA_FORMATS)

    @cached_property
    def size(self) -> Tuple[int, ...]:
        return standardize_tuple(self.output_size, self.rank, "output_size")

    def validate(self) -> None:
        self.size  # noqa: B018 - normalize now, so errors point at the argument

    def output_shape(self, x: Shape) -> Shape:
        if len(x) < 2:
            raise ShapeError(f"expected input with a channels axis, found rank {len(x)} {format_shape(x)}")
        channels = x[1] if self.data_format == "channels_first" else x[-1]
        return join_channels(x[0], self.size, channels, self.data_format)

    def elementwise(self, x: Shape, y: Shape) -> Dim:
        if len(x) != self.rank + 2:
            return None
        _, spatial, channels = split_channels(x, self.data_format, self.rank)
        return prod([channels, *(adaptive_reads(size, out) for size, out in zip(spatial, self.size))])


@register
@rule
class AdaptiveAveragePooling1D(AdaptivePooling):
    __doc__ = AdaptivePooling.__doc__
    rank = 1


@register
@rule
class AdaptiveAveragePooling2D(AdaptivePooling):
    __doc__ = AdaptivePooling.__doc__
    rank = 2


@register
@rule
class AdaptiveAveragePooling3D(AdaptivePooling):
    __doc__ = AdaptivePooling.__doc__
    rank = 3


@register
@rule
class AdaptiveMaxPooling1D(AdaptivePooling):
    __doc__ = AdaptivePooling.__doc__
    rank = 1


@register
@rule
class AdaptiveMaxPooling2D(AdaptivePooling):
    __doc__ = AdaptivePooling.__doc__
    rank = 2


@register
@rule
class AdaptiveMaxPooling3D(AdaptivePooling):
    __doc__ = AdaptivePooling.__doc__
    rank = 3
