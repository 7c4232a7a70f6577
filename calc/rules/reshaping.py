"""Layers that rearrange elements without computing: Flatten, Reshape, Permute, RepeatVector,
ZeroPadding, Cropping and UpSampling (the last three written once, for any rank, in `Spatial`)."""

from __future__ import annotations

from dataclasses import field
from functools import cached_property
from typing import Any, ClassVar, Optional, Tuple

from ..dims import Dim, Shape, format_shape, prod, standardize_tuple
from ..errors import ShapeError, SpecError
from .arguments import Axis, Padding, PositiveInt, Size, TargetShape, choices
from .base import Layer, Tap, expect_rank, join_channels, ratio, rearranging, rule, spatial_axis, split_channels
from .conv import DATA_FORMATS
from .registry import register


@register
@rule
class Flatten(Layer):
    """Flattens every axis but the batch.

    output: (batch, product of the other axes), unknown if any is unknown;
            (batch, 1) for a rank-1 input
    params: 0;  MACs: 0
    """

    data_format: str = field(default="channels_last", metadata=DATA_FORMATS)

    def output_shape(self, x: Shape) -> Shape:
        return (x[0], prod(x[1:]))

    def window(self, x: Shape) -> Tuple[Optional[Tap], ...]:
        return rearranging(x)


@register
@rule
class Reshape(Layer):
    """Reshapes the non-batch axes to target_shape; one -1 is inferred.

    output: (batch, *target_shape), -1 = input size / product of the others
            (unknown when the input has an unknown axis)
    params: 0;  MACs: 0
    """

    target_shape: TargetShape

    def validate(self) -> None:
        if list(self.target_shape).count(-1) > 1:
            raise SpecError(
                f"target_shape {list(self.target_shape)} has more than one -1; at most one axis can be inferred",
                argument="target_shape",
            )

    def output_shape(self, x: Shape) -> Shape:
        target = list(self.target_shape)
        input_size = prod(x[1:])
        known: Dim = prod(dim for dim in target if dim != -1)
        if input_size is None:
            return (x[0], *(None if dim == -1 else dim for dim in target))
        if -1 not in target:
            if input_size != known:
                raise ShapeError(
                    f"target_shape {target} has {known} elements but the input {format_shape(x[1:])} has "
                    f"{input_size}",
                    argument="target_shape",
                )
            return (x[0], *target)
        if input_size % known:
            raise ShapeError(
                f"input size {input_size} {format_shape(x[1:])} is not divisible by {known}, the product of "
                f"target_shape {target} without its -1",
                argument="target_shape",
            )
        return (x[0], *(input_size // known if dim == -1 else dim for dim in target))

    def window(self, x: Shape) -> Tuple[Optional[Tap], ...]:
        return rearranging(x)


@register
@rule
class Permute(Layer):
    """Reorders the non-batch axes; dims is a permutation of 1..rank-1 (1-based, batch excluded).

    output: (batch, x[dims[0]], x[dims[1]], ...); the input rank must be len(dims) + 1
    params: 0;  MACs: 0
    """

    dims: Axis

    def validate(self) -> None:
        dims = [self.dims] if isinstance(self.dims, int) else list(self.dims)
        if isinstance(self.dims, int) or sorted(dims) != list(range(1, len(dims) + 1)):
            raise SpecError(
                f"dims must list each of 1..{len(dims)} once (a permutation of the non-batch axes, "
                f"numbered from 1), found {plain(self.dims)}",
                argument="dims",
            )

    def output_shape(self, x: Shape) -> Shape:
        expect_rank(x, len(self.dims) + 1, f"for dims {list(self.dims)}")
        return (x[0], *(x[dim] for dim in self.dims))

    def window(self, x: Shape) -> Tuple[Optional[Tap], ...]:
        return rearranging(x)


@register
@rule
class RepeatVector(Layer):
    """Repeats a (batch, features) input n times along a new axis 1.

    output: (batch, n, features)
    params: 0;  MACs: 0
    """

    n: PositiveInt

    def output_shape(self, x: Shape) -> Shape:
        expect_rank(x, 2, "(batch, features)")
        return (x[0], self.n, x[1])


def side_pairs(value: Any, rank: int, name: str) -> Tuple[Tuple[int, int], ...]:
    """Keras' padding / cropping forms as one (before, after) pair per spatial axis.

    An integer applies to every side. With one spatial axis a list is its [before, after];
    with more, a list has one entry per axis, each an integer or a [before, after] pair.

    >>> side_pairs(1, 2, "padding")
    ((1, 1), (1, 1))
    >>> side_pairs([2, 3], 1, "cropping")
    ((2, 3),)
    >>> side_pairs([1, [2, 3]], 2, "padding")
    ((1, 1), (2, 3))
    """
    if isinstance(value, int):
        entries = [value] * rank
    else:
        entries = [list(value)] if rank == 1 else list(value)
        if len(entries) != rank:
            raise SpecError(
                f"'{name}' must be an integer or a list of {rank} entries (one per spatial axis), "
                f"found {len(entries)}: {plain(value)}",
                argument=name,
            )
    pairs = []
    for entry in entries:
        pair = (entry, entry) if isinstance(entry, int) else tuple(entry)
        if len(pair) != 2 or not all(isinstance(side, int) for side in pair):
            what = f"'{name}'" if rank == 1 else f"each entry of '{name}'"
            raise SpecError(
                f"{what} must be an integer or a [before, after] pair of integers, found {plain(entry)}",
                argument=name,
            )
        if min(pair) < 0:
            raise SpecError(f"'{name}' cannot be negative, found {plain(value)}", argument=name)
        pairs.append(pair)
    return tuple(pairs)


def plain(value: Any) -> Any:
    """Nested tuples as lists, as a spec spells them in messages."""
    return [plain(item) for item in value] if isinstance(value, (list, tuple)) else value


@rule
class Spatial(Layer):
    """Base of the layers that change each spatial axis on its own: padding, cropping, upsampling."""

    rank: ClassVar[int]

    @property
    def layout(self) -> str:
        return getattr(self, "data_format", "channels_last")  # Cropping1D, UpSampling1D take no data_format

    def output_shape(self, x: Shape) -> Shape:
        batch, spatial, channels = split_channels(x, self.layout, self.rank)
        out = [None if size is None else self.resize(size, index, x) for index, size in enumerate(spatial)]
        return join_channels(batch, out, channels, self.layout)

    def resize(self, size: int, index: int, x: Shape) -> int:
        raise NotImplementedError

    def window(self, x: Shape) -> Tuple[Any, ...]:
        split_channels(x, self.layout, self.rank)
        return join_channels(None, [self.tap(index) for index in range(self.rank)], None, self.layout)

    def tap(self, index: int) -> Tap:
        raise NotImplementedError


@rule
class ZeroPadding(Spatial):
    """Pads each spatial axis with zeros before and after.

    output: O = I + before + after on each spatial axis; channels kept
    params: 0;  MACs: 0
    """

    padding: Padding = 1
    data_format: str = field(default="channels_last", metadata=DATA_FORMATS)

    @cached_property
    def pairs(self) -> Tuple[Tuple[int, int], ...]:
        return side_pairs(self.padding, self.rank, "padding")

    def validate(self) -> None:
        self.pairs  # noqa: B018 - normalize now, so errors point at the argument

    def resize(self, size: int, index: int, x: Shape) -> int:
        return size + sum(self.pairs[index])

    def tap(self, index: int) -> Tap:
        return Tap(1, 1, self.pairs[index][0])


@rule
class Cropping(Spatial):
    """Crops each spatial axis before and after; something must be left.

    output: O = I - before - after on each spatial axis (an error unless O >= 1); channels kept
    params: 0;  MACs: 0
    """

    cropping: Padding

    @cached_property
    def pairs(self) -> Tuple[Tuple[int, int], ...]:
        return side_pairs(self.cropping, self.rank, "cropping")

    def validate(self) -> None:
        self.pairs  # noqa: B018 - normalize now, so errors point at the argument

    def resize(self, size: int, index: int, x: Shape) -> int:
        before, after = self.pairs[index]
        if before + after >= size:
            raise ShapeError(
                f"cropping {before} + {after} leaves nothing of input {size} on axis "
                f"{spatial_axis(index, self.layout)} of {format_shape(x)}",
                argument="cropping",
            )
        return size - before - after

    def tap(self, index: int) -> Tap:
        return Tap(1, 1, -self.pairs[index][0])


@rule
class UpSampling(Spatial):
    """Repeats (or, in 2D, interpolates) each spatial axis `size` times.

    output: O = I · size on each spatial axis; channels kept
    params: 0;  MACs: 0 (copies; interpolation is elementwise)
    """

    size: Size = 2

    @cached_property
    def factors(self) -> Tuple[int, ...]:
        return standardize_tuple(self.size, self.rank, "size")

    def validate(self) -> None:
        self.factors  # noqa: B018 - normalize now, so errors point at the argument

    def resize(self, size: int, index: int, x: Shape) -> int:
        return size * self.factors[index]

    def tap(self, index: int) -> Tap:
        """Jump 1/size; an output reads 1 input (nearest), 2 (bilinear, area), 4 (bicubic), 6 or 10 (lanczos3,
        lanczos5), the kernel's width; with half-pixel centres the first output's taps start half that width
        before the input (nearest and area: 0)."""
        taps, before = INTERPOLATION_TAPS[getattr(self, "interpolation", "nearest")]
        return Tap(taps, ratio(1, self.factors[index]), before)


@register
@rule
class ZeroPadding1D(ZeroPadding):
    __doc__ = ZeroPadding.__doc__
    rank = 1


@register
@rule
class ZeroPadding2D(ZeroPadding):
    __doc__ = ZeroPadding.__doc__
    rank = 2
    padding: Padding = (1, 1)


@register
@rule
class ZeroPadding3D(ZeroPadding):
    __doc__ = ZeroPadding.__doc__
    rank = 3
    padding: Padding = ((1, 1), (1, 1), (1, 1))


@register
@rule
class Cropping1D(Cropping):
    __doc__ = Cropping.__doc__
    rank = 1
    cropping: Padding = (1, 1)  # and, unlike 2D and 3D, no data_format


@register
@rule
class Cropping2D(Cropping):
    __doc__ = Cropping.__doc__
    rank = 2
    cropping: Padding = ((0, 0), (0, 0))
    data_format: str = field(default="channels_last", metadata=DATA_FORMATS)


@register
@rule
class Cropping3D(Cropping):
    __doc__ = Cropping.__doc__
    rank = 3
    cropping: Padding = ((1, 1), (1, 1), (1, 1))
    data_format: str = field(default="channels_last", metadata=DATA_FORMATS)


# What Keras' image resize accepts (UpSampling2D lowercases it first; "nearest" only repeats).
INTERPOLATIONS = ("bilinear", "nearest", "lanczos3", "lanczos5", "bicubic", "area")
# Input positions an upsampled output reads, and how far before the input the first output's start.
INTERPOLATION_TAPS = {"nearest": (1, 0), "bilinear": (2, 1), "area": (2, 0), "bicubic": (4, 2),
                      "lanczos3": (6, 3), "lanczos5": (10, 5)}


@register
@rule
class UpSampling1D(UpSampling):
    __doc__ = UpSampling.__doc__
    rank = 1
    size: PositiveInt = 2  # a single integer, and no data_format


@register
@rule
class UpSampling2D(UpSampling):
    __doc__ = UpSampling.__doc__
    rank = 2
    size: Size = (2, 2)
    data_format: str = field(default="channels_last", metadata=DATA_FORMATS)
    interpolation: str = field(default="nearest", metadata=choices(*INTERPOLATIONS, ignore_case=True, ignored=True))


@register
@rule
class UpSampling3D(UpSampling):
    __doc__ = UpSampling.__doc__
    rank = 3
    size: Size = (2, 2, 2)
    data_format: str = field(default="channels_last", metadata=DATA_FORMATS)
