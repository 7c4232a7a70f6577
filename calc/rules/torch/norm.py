"""torch.nn's normalizations: BatchNorm1d/2d/3d, InstanceNorm1d/2d/3d, LayerNorm, GroupNorm, RMSNorm,
LocalResponseNorm.  Their running statistics are buffers (running_mean, running_var, num_batches_tracked)."""

from __future__ import annotations

from typing import Any, ClassVar, List, Optional, Tuple

from ...dims import Dim, Shape, prod
from ...errors import ShapeError, SpecError
from ..arguments import PositiveInt, Size
from ..base import PASS_THROUGH, Tap, Weight, elements, rule
from ..norm import reading, statistics_ops
from ..registry import register
from .base import Module, expect_ranks, inferred, torch_shape


def running_statistics(channels: int) -> List[Weight]:
    """The buffers of a module that tracks running statistics: the mean and variance of each channel, and
    the number of batches seen (one integer)."""
    return [Weight("running_mean", (channels,), buffer=True), Weight("running_var", (channels,), buffer=True),
            Weight("num_batches_tracked", (), buffer=True)]


@rule
class BatchNormNd(Module):
    """Normalizes each channel (axis 1) with batch statistics, then scales and shifts it.

    output: x
    params: weight C + bias C (affine)
    buffers: running_mean C + running_var C + num_batches_tracked 1 (track_running_stats)
    MACs:   0 (folded into the preceding layer at inference)
    """

    ranks: ClassVar[Tuple[int, ...]]
    num_features: PositiveInt | None = None  # inferred from the input when omitted
    eps: Any = 1e-05
    momentum: Any = 0.1
    affine: bool = True
    track_running_stats: bool = True

    def channels(self, x: Shape) -> int:
        expect_ranks(x, self.ranks, "(N, C, ...)")
        return inferred(self.num_features, x[1], "num_features", x, "channels")

    def output_shape(self, x: Shape) -> Shape:
        self.channels(x)
        return x

    def weights(self, x: Shape) -> List[Weight]:
        channels = self.channels(x)
        weights = [Weight("weight", (channels,)), Weight("bias", (channels,))] if self.affine else []
        return weights + (running_statistics(channels) if self.track_running_stats else [])

    def elementwise(self, x: Shape, y: Shape) -> Dim:
        return prod([2, elements(y)])  # x·a + b, a and b folded per channel, as Keras' BatchNormalization

    def bias_adds(self, x: Shape, y: Shape) -> Dim:
        return 0  # the shift is in elementwise(), as Keras' normalizations count their beta

    def window(self, x: Shape) -> Any:
        return PASS_THROUGH


@register
@rule
class BatchNorm1d(BatchNormNd):
    __doc__ = BatchNormNd.__doc__
    ranks = (2, 3)


@register
@rule
class BatchNorm2d(BatchNormNd):
    __doc__ = BatchNormNd.__doc__
    ranks = (4,)


@register
@rule
class BatchNorm3d(BatchNormNd):
    __doc__ = BatchNormNd.__doc__
    ranks = (5,)


@rule
class InstanceNormNd(BatchNormNd):
    """Normalizes each channel of each example over its spatial axes.

    output: x
    params: weight C + bias C (affine)
    buffers: running_mean C + running_var C + num_batches_tracked 1 (track_running_stats)
    MACs:   0 (elementwise arithmetic only)
    """

    affine: bool = False
    track_running_stats: bool = False

    def elementwise(self, x: Shape, y: Shape) -> Dim:
        return prod([statistics_ops(self.affine, self.affine), elements(y)])

    def window(self, x: Shape) -> Tuple[Optional[Tap], ...]:
        return reading(x, range(2, len(x)))


@register
@rule
class InstanceNorm1d(InstanceNormNd):
    __doc__ = InstanceNormNd.__doc__
    ranks = (3,)


@register
@rule
class InstanceNorm2d(InstanceNormNd):
    __doc__ = InstanceNormNd.__doc__
    ranks = (4,)


@register
@rule
class InstanceNorm3d(InstanceNormNd):
    __doc__ = InstanceNormNd.__doc__
    ranks = (5,)


def normalized(value: Any) -> Tuple[int, ...]:
    return (value,) if isinstance(value, int) else tuple(value)


def check_trailing(x: Shape, shape: Tuple[int, ...]) -> None:
    """The input must end with `shape` (torch: "expected input with shape [*, 4]")."""
    if len(x) - 1 < len(shape) or any(found is not None and found != size
                                      for found, size in zip(x[len(x) - len(shape):], shape)):
        raise ShapeError(f"normalized_shape {list(shape)} expects an input with shape [*, "
                         f"{', '.join(map(str, shape))}], found {torch_shape(x)}", argument="normalized_shape")


@register
@rule
class LayerNorm(Module):
    """Normalizes each example over its last axes (normalized_shape), then scales and shifts.

    output: x
    params: weight prod(normalized_shape) (elementwise_affine) + bias prod(normalized_shape) (and bias)
    MACs:   0 (elementwise arithmetic only)
    """

    normalized_shape: Size
    eps: Any = 1e-05
    elementwise_affine: bool = True
    bias: bool = True

    def output_shape(self, x: Shape) -> Shape:
        check_trailing(x, normalized(self.normalized_shape))
        return x

    def weights(self, x: Shape) -> List[Weight]:
        shape = normalized(self.normalized_shape)
        if not self.elementwise_affine:
            return []
        return [Weight("weight", shape)] + [Weight("bias", shape)] * self.bias

    def elementwise(self, x: Shape, y: Shape) -> Dim:
        affine = self.elementwise_affine
        return prod([statistics_ops(affine, affine and self.bias), elements(y)])

    def bias_adds(self, x: Shape, y: Shape) -> Dim:
        return 0  # the shift is in elementwise(), as Keras' normalizations count their beta

    def window(self, x: Shape) -> Tuple[Optional[Tap], ...]:
        return reading(x, range(len(x) - len(normalized(self.normalized_shape)), len(x)))


@register
@rule
class RMSNorm(Module):
    """Divides each example by the root mean square over its last axes (normalized_shape), then scales.

    output: x
    params: weight prod(normalized_shape) (elementwise_affine)
    MACs:   0 (elementwise arithmetic only)
    """

    normalized_shape: Size
    eps: Any = None
    elementwise_affine: bool = True

    def output_shape(self, x: Shape) -> Shape:
        check_trailing(x, normalized(self.normalized_shape))
        return x

    def weights(self, x: Shape) -> List[Weight]:
        return [Weight("weight", normalized(self.normalized_shape))] * self.elementwise_affine

    def elementwise(self, x: Shape, y: Shape) -> Dim:
        return prod([statistics_ops(self.elementwise_affine, False, rms=True), elements(y)])

    def window(self, x: Shape) -> Tuple[Optional[Tap], ...]:
        return reading(x, range(len(x) - len(normalized(self.normalized_shape)), len(x)))


@register
@rule
class GroupNorm(Module):
    """Normalizes each group of num_channels/num_groups channels of each example, then scales and shifts.

    output: x
    params: weight C + bias C (affine)
    MACs:   0 (elementwise arithmetic only)
    """

    num_groups: PositiveInt
    num_channels: PositiveInt
    eps: Any = 1e-05
    affine: bool = True

    def validate(self) -> None:
        if self.num_channels % self.num_groups:
            raise SpecError(f"num_channels {self.num_channels} must be divisible by num_groups {self.num_groups}",
                            argument="num_groups")

    def output_shape(self, x: Shape) -> Shape:
        expect_ranks(x, tuple(range(2, 9)), "(N, C, *)")
        inferred(self.num_channels, x[1], "num_channels", x, "channels")
        return x

    def weights(self, x: Shape) -> List[Weight]:
        return [Weight("weight", (self.num_channels,)), Weight("bias", (self.num_channels,))] * self.affine

    def elementwise(self, x: Shape, y: Shape) -> Dim:
        return prod([statistics_ops(self.affine, self.affine), elements(y)])

    def bias_adds(self, x: Shape, y: Shape) -> Dim:
        return 0  # the shift is in elementwise(), as Keras' normalizations count their beta

    def window(self, x: Shape) -> Tuple[Optional[Tap], ...]:
        return reading(x, range(1, len(x)))


@register
@rule
class LocalResponseNorm(Module):
    """Divides each element by a power of the sum of squares over `size` neighbouring channels.

    output: x;  params: 0;  MACs: 0 (elementwise arithmetic only)
    """

    size: PositiveInt
    alpha: Any = 0.0001
    beta: Any = 0.75
    k: Any = 1.0

    def output_shape(self, x: Shape) -> Shape:
        expect_ranks(x, tuple(range(3, 9)), "(N, C, *)")
        return x

    def elementwise(self, x: Shape, y: Shape) -> Dim:
        return prod([self.size + 3, elements(y)])  # square and sum the window, scale, power, divide
