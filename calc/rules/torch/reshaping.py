"""torch.nn's modules that move elements: Flatten, Unflatten, PixelShuffle, PixelUnshuffle, Upsample and
the padding modules (ZeroPad, ConstantPad, ReflectionPad, ReplicationPad, CircularPad 1d/2d/3d)."""

from __future__ import annotations

import math
from dataclasses import field
from typing import Any, ClassVar, Tuple

from ...dims import Dim, Shape, format_shape, prod
from ...errors import ShapeError, SpecError
from ..arguments import Padding, PartialShape, PositiveInt, TargetShape, choices
from ..base import elements, rearranging, rule
from ..registry import register
from .activation import dim_position
from .base import Module, expect_ranks, tuple_of


def flattened(x: Shape, start_dim: int, end_dim: int) -> Shape:
    """x with the axes start_dim..end_dim (the batch axis counts) as one."""
    start, end = dim_position(x, start_dim), dim_position(x, end_dim)
    if start > end:
        raise ShapeError(f"flatten() has invalid args: start_dim {start_dim} cannot come after end_dim {end_dim} "
                         f"for input {format_shape(x)}", argument="start_dim")
    return (*x[:start], prod(x[start:end + 1]), *x[end + 1:])


@register
@rule
class Flatten(Module):
    """Flattens the axes start_dim..end_dim (the batch is axis 0) into one.

    output: x with those axes as their product: (N, C·H·W) by default;  params: 0;  MACs: 0
    """

    start_dim: int = 1
    end_dim: int = -1

    def output_shape(self, x: Shape) -> Shape:
        return flattened(x, self.start_dim, self.end_dim)

    def window(self, x: Shape) -> Any:
        return rearranging(x)


@register
@rule
class Unflatten(Module):
    """Splits axis `dim` into unflattened_size (one -1 inferred).

    output: x with dim replaced by unflattened_size;  params: 0;  MACs: 0
    """

    dim: int
    unflattened_size: TargetShape

    def output_shape(self, x: Shape) -> Shape:
        position = dim_position(x, self.dim)
        size, target = x[position], list(self.unflattened_size)
        known = prod(item for item in target if item != -1)
        if -1 in target:
            if target.count(-1) > 1:
                raise SpecError("unflattened_size can hold at most one -1", argument="unflattened_size")
            inferred = None if size is None else size // known
            if size is not None and size % known:
                raise ShapeError(f"unflattened_size {target} does not divide axis {self.dim} of size {size}",
                                 argument="unflattened_size")
            target = [inferred if item == -1 else item for item in target]
        elif size is not None and known != size:
            raise ShapeError(f"unflattened_size {target} must multiply to the size of axis {self.dim}, {size}",
                             argument="unflattened_size")
        return (*x[:position], *target, *x[position + 1:])

    def window(self, x: Shape) -> Any:
        return rearranging(x)


@register
@rule
class PixelShuffle(Module):
    """(N, C·r², H, W) -> (N, C, H·r, W·r), r = upscale_factor.

    output: as above;  params: 0;  MACs: 0
    """

    upscale_factor: PositiveInt

    def output_shape(self, x: Shape) -> Shape:
        factor = self.upscale_factor
        if len(x) < 4:
            raise ShapeError(f"pixel_shuffle expects an input of at least 4 dimensions, found {format_shape(x)}")
        channels = x[-3]
        if channels is not None and channels % (factor * factor):
            raise ShapeError(f"the channels {channels} must be divisible by the square of upscale_factor "
                             f"{factor * factor}", argument="upscale_factor")
        return (*x[:-3], None if channels is None else channels // (factor * factor),
                *(None if size is None else size * factor for size in x[-2:]))

    def window(self, x: Shape) -> Any:
        return rearranging(x)


@register
@rule
class PixelUnshuffle(Module):
    """(N, C, H·r, W·r) -> (N, C·r², H, W), r = downscale_factor.

    output: as above;  params: 0;  MACs: 0
    """

    downscale_factor: PositiveInt

    def output_shape(self, x: Shape) -> Shape:
        factor = self.downscale_factor
        if len(x) < 4:
            raise ShapeError(f"pixel_unshuffle expects an input of at least 4 dimensions, found {format_shape(x)}")
        for size in x[-2:]:
            if size is not None and size % factor:
                raise ShapeError(f"the height and width {format_shape(x[-2:])} must be divisible by "
                                 f"downscale_factor {factor}", argument="downscale_factor")
        channels = x[-3]
        return (*x[:-3], None if channels is None else channels * factor * factor,
                *(None if size is None else size // factor for size in x[-2:]))

    def window(self, x: Shape) -> Any:
        return rearranging(x)


@register
@rule
class Upsample(Module):
    """Resizes the spatial axes of (N, C, *spatial) to `size`, or each times scale_factor (floored).

    output: (N, C, *size) or (N, C, *floor(I·scale_factor));  params: 0
    MACs:   0 (interpolation is elementwise arithmetic)
    """

    size: PartialShape | None = None
    scale_factor: Any = None
    mode: str = field(default="nearest", metadata=choices("nearest", "linear", "bilinear", "bicubic", "trilinear",
                                                          "nearest-exact", ignored=True))
    align_corners: Any = None
    recompute_scale_factor: Any = None

    def validate(self) -> None:
        if (self.size is None) == (self.scale_factor is None):
            raise SpecError("give either size or scale_factor, not both or neither", argument="size")
        factors = self.scale_factor if isinstance(self.scale_factor, (list, tuple)) else [self.scale_factor]
        if self.scale_factor is not None and not all(
                isinstance(factor, (int, float)) and not isinstance(factor, bool) and factor > 0 for factor in factors):
            raise SpecError(f"scale_factor must be a positive number or a list of them, found {self.scale_factor}",
                            argument="scale_factor")

    def output_shape(self, x: Shape) -> Shape:
        expect_ranks(x, (3, 4, 5), "(N, C, *spatial)")
        rank = len(x) - 2
        if self.size is not None:
            sizes = (self.size,) * rank if isinstance(self.size, int) else tuple_of(self.size, rank, "size")
            return (*x[:2], *sizes)
        factors = self.scale_factor if isinstance(self.scale_factor, (list, tuple)) else (self.scale_factor,) * rank
        factors = tuple_of(list(factors), rank, "scale_factor")
        return (*x[:2], *(scaled(size, factor) for size, factor in zip(x[2:], factors)))

    def elementwise(self, x: Shape, y: Shape) -> Dim:
        return 0 if self.mode in ("nearest", "nearest-exact") else elements(y)

    def window(self, x: Shape) -> Any:
        return rearranging(x)


def scaled(size: Dim, factor: Any) -> Dim:
    """floor(size · factor), as torch computes an upsampled size."""
    if size is None:
        return None
    if isinstance(factor, int) or float(factor).is_integer():
        return size * int(factor)
    return math.floor(size * factor) if isinstance(size, int) else None


@rule
class PadNd(Module):
    """Pads (or, negative, crops) the last `rank` axes; an int pads every side, a list gives
    (left, right, top, bottom, front, back): the last axis first.

    output: each padded axis + its two pads;  params: 0;  MACs: 0
    """

    rank: ClassVar[int]
    padding: Padding

    @property
    def pads(self) -> Tuple[int, ...]:
        if isinstance(self.padding, int):
            return (self.padding,) * (2 * self.rank)
        if len(self.padding) != 2 * self.rank or not all(isinstance(item, int) for item in self.padding):
            raise SpecError(f"padding must be an integer or a list of {2 * self.rank} integers, found "
                            f"{list(self.padding)}", argument="padding")
        return tuple(self.padding)

    def validate(self) -> None:
        self.pads  # noqa: B018 - checked now, so errors point at the argument

    def output_shape(self, x: Shape) -> Shape:
        if len(x) < self.rank + 1:
            raise ShapeError(f"expected an input with at least {self.rank + 1} axes, found {format_shape(x)}")
        padded = list(x)
        for index in range(self.rank):
            axis = len(x) - 1 - index
            before, after = self.pads[2 * index:2 * index + 2]
            size = x[axis]
            padded[axis] = None if size is None else size + before + after
            if size is not None and padded[axis] < 1:
                raise ShapeError(f"the padding {list(self.pads)} leaves axis {axis} of {format_shape(x)} empty",
                                 argument="padding")
        return tuple(padded)


@register
@rule
class ZeroPad1d(PadNd):
    __doc__ = PadNd.__doc__
    rank = 1


@register
@rule
class ZeroPad2d(PadNd):
    __doc__ = PadNd.__doc__
    rank = 2


@register
@rule
class ZeroPad3d(PadNd):
    __doc__ = PadNd.__doc__
    rank = 3


@register
@rule
class ConstantPad1d(PadNd):
    __doc__ = PadNd.__doc__
    rank = 1
    value: Any


@register
@rule
class ConstantPad2d(PadNd):
    __doc__ = PadNd.__doc__
    rank = 2
    value: Any


@register
@rule
class ConstantPad3d(PadNd):
    __doc__ = PadNd.__doc__
    rank = 3
    value: Any


@register
@rule
class ReflectionPad1d(PadNd):
    __doc__ = PadNd.__doc__
    rank = 1


@register
@rule
class ReflectionPad2d(PadNd):
    __doc__ = PadNd.__doc__
    rank = 2


@register
@rule
class ReflectionPad3d(PadNd):
    __doc__ = PadNd.__doc__
    rank = 3


@register
@rule
class ReplicationPad1d(PadNd):
    __doc__ = PadNd.__doc__
    rank = 1


@register
@rule
class ReplicationPad2d(PadNd):
    __doc__ = PadNd.__doc__
    rank = 2


@register
@rule
class ReplicationPad3d(PadNd):
    __doc__ = PadNd.__doc__
    rank = 3


@register
@rule
class CircularPad1d(PadNd):
    __doc__ = PadNd.__doc__
    rank = 1


@register
@rule
class CircularPad2d(PadNd):
    __doc__ = PadNd.__doc__
    rank = 2


@register
@rule
class CircularPad3d(PadNd):
    __doc__ = PadNd.__doc__
    rank = 3
