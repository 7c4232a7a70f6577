"""torch.nn's convolutions, Conv1d/2d/3d and ConvTranspose1d/2d/3d, written once for any rank."""

from __future__ import annotations

from dataclasses import field
from functools import cached_property
from typing import Any, ClassVar, List, Tuple

from ...dims import Dim, Shape, ceildiv, prod
from ...errors import ShapeError, SpecError
from ..arguments import ConvPadding, NonNegativeSize, PositiveInt, Size, choices
from ..base import WHOLE, Tap, Weight, ratio, rule
from ..registry import register
from .base import Module, check_length, expect_ranks, inferred, positive, tuple_of, window_length

PADDING_MODES = choices("zeros", "reflect", "replicate", "circular")


@rule
class ConvNd(Module):
    """Convolution over `rank` spatial axes, channels first: (N, C, *spatial).

    output: O = floor((I + 2P - D·(K-1) - 1) / S) + 1; 'same': O = I; 'valid': P = 0
    params: weight out_channels·(in_channels/groups)·K… + bias out_channels (bias)
    MACs:   output elements · K… · in_channels/groups
    """

    rank: ClassVar[int]

    in_channels: PositiveInt | None = None  # inferred from the input when omitted
    out_channels: PositiveInt
    kernel_size: Size
    stride: Size = 1
    padding: ConvPadding = 0
    dilation: Size = 1
    groups: PositiveInt = 1
    bias: bool = True
    padding_mode: str = field(default="zeros", metadata=PADDING_MODES)

    @cached_property
    def kernel(self) -> Tuple[int, ...]:
        return tuple_of(self.kernel_size, self.rank, "kernel_size")

    @cached_property
    def strides(self) -> Tuple[int, ...]:
        return tuple_of(self.stride, self.rank, "stride")

    @cached_property
    def dilations(self) -> Tuple[int, ...]:
        return tuple_of(self.dilation, self.rank, "dilation")

    @cached_property
    def pads(self) -> Tuple[int, ...]:
        """Zeros before each spatial axis (as many after; 'same' with an even extent puts the extra one after)."""
        if self.padding == "valid":
            return (0,) * self.rank
        if self.padding == "same":
            return tuple(dilation * (kernel - 1) // 2 for kernel, dilation in zip(self.kernel, self.dilations))
        return tuple_of(self.padding, self.rank, "padding")

    def validate(self) -> None:
        positive(self.kernel, "kernel_size")
        positive(self.strides, "stride")
        positive(self.dilations, "dilation")
        self.pads  # noqa: B018 - normalize now, so errors point at the argument
        if isinstance(self.padding, str) and self.padding not in ("same", "valid"):
            raise SpecError(f"invalid padding string '{self.padding}', should be one of same, valid",
                            argument="padding")
        if self.padding == "same" and max(self.strides) > 1:
            raise SpecError("padding='same' is not supported for strided convolutions (torch refuses it)",
                            argument="padding")
        if self.in_channels is not None and self.in_channels % self.groups:
            raise SpecError(f"in_channels {self.in_channels} must be divisible by groups {self.groups}",
                            argument="groups")
        if self.out_channels % self.groups:
            raise SpecError(f"out_channels {self.out_channels} must be divisible by groups {self.groups}",
                            argument="groups")

    def channels(self, x: Shape) -> int:
        expect_ranks(x, (self.rank + 2,), "(N, C, " + ", ".join("DHW"[3 - self.rank:]) + ")")
        channels = inferred(self.in_channels, x[1], "in_channels", x, "channels")
        if channels % self.groups:
            raise ShapeError(f"input channels {channels} must be divisible by groups {self.groups}", argument="groups")
        return channels

    def output_shape(self, x: Shape) -> Shape:
        self.channels(x)
        out = []
        for index, (size, kernel, stride, dilation, pad) in enumerate(
                zip(x[2:], self.kernel, self.strides, self.dilations, self.pads)):
            length = size if self.padding == "same" else window_length(size, kernel, stride, dilation, pad)
            check_length(length, size, index + 2, f"kernel {kernel}" + (f" dilated by {dilation}" if dilation > 1
                                                                         else ""))
            out.append(length)
        return (x[0], self.out_channels, *out)

    def weights(self, x: Shape) -> List[Weight]:
        weights = [Weight("weight", (self.out_channels, self.channels(x) // self.groups, *self.kernel))]
        return weights + [Weight("bias", (self.out_channels,))] * self.bias

    def macs(self, x: Shape, y: Shape) -> Dim:
        return prod([*y[2:], self.out_channels, prod(self.kernel), self.channels(x) // self.groups])

    def window(self, x: Shape) -> Tuple[Any, ...]:
        taps = [Tap(dilation * (kernel - 1) + 1, stride, pad)
                for kernel, stride, dilation, pad in zip(self.kernel, self.strides, self.dilations, self.pads)]
        return (None, WHOLE, *taps)


@register
@rule
class Conv1d(ConvNd):
    __doc__ = ConvNd.__doc__
    rank = 1


@register
@rule
class Conv2d(ConvNd):
    __doc__ = ConvNd.__doc__
    rank = 2


@register
@rule
class Conv3d(ConvNd):
    __doc__ = ConvNd.__doc__
    rank = 3


@rule
class ConvTransposeNd(ConvNd):
    """Transposed convolution over `rank` spatial axes, channels first; A = output_padding.

    output: O = (I-1)·S - 2P + D·(K-1) + A + 1 (A below S or D)
    params: weight in_channels·(out_channels/groups)·K… + bias out_channels (bias)
    MACs:   input elements (spatial positions · in_channels) · K… · out_channels/groups
    """

    padding: NonNegativeSize = 0
    output_padding: NonNegativeSize = 0

    @cached_property
    def output_pads(self) -> Tuple[int, ...]:
        return tuple_of(self.output_padding, self.rank, "output_padding")

    def validate(self) -> None:
        super().validate()
        if self.padding_mode != "zeros":
            raise SpecError(f"only padding_mode 'zeros' is supported for {type(self).__name__}, found "
                            f"'{self.padding_mode}'", argument="padding_mode")
        for pad, stride, dilation in zip(self.output_pads, self.strides, self.dilations):
            if pad >= stride and pad >= dilation:
                raise SpecError(f"output_padding {pad} must be smaller than either stride {stride} or dilation "
                                f"{dilation}", argument="output_padding")

    def output_shape(self, x: Shape) -> Shape:
        self.channels(x)
        out = []
        for index, (size, kernel, stride, dilation, pad, extra) in enumerate(
                zip(x[2:], self.kernel, self.strides, self.dilations, self.pads, self.output_pads)):
            length = None if size is None else (size - 1) * stride - 2 * pad + dilation * (kernel - 1) + extra + 1
            check_length(length, size, index + 2, f"padding {pad}")
            out.append(length)
        return (x[0], self.out_channels, *out)

    def weights(self, x: Shape) -> List[Weight]:
        weights = [Weight("weight", (self.channels(x), self.out_channels // self.groups, *self.kernel))]
        return weights + [Weight("bias", (self.out_channels,))] * self.bias

    def macs(self, x: Shape, y: Shape) -> Dim:
        return prod([*x[2:], self.channels(x), prod(self.kernel), self.out_channels // self.groups])

    def window(self, x: Shape) -> Tuple[Any, ...]:
        """As a stride-1 convolution over the input upsampled S times (as Keras' Conv2DTranspose): jump 1/S,
        at most ceil(K'/S) input positions read, the first (K' - 1 - P)/S before the input."""
        taps = []
        for kernel, stride, dilation, pad in zip(self.kernel, self.strides, self.dilations, self.pads):
            extent = dilation * (kernel - 1) + 1
            taps.append(Tap(ceildiv(extent, stride), ratio(1, stride), ratio(extent - 1 - pad, stride)))
        return (None, WHOLE, *taps)


@register
@rule
class ConvTranspose1d(ConvTransposeNd):
    __doc__ = ConvTransposeNd.__doc__
    rank = 1


@register
@rule
class ConvTranspose2d(ConvTransposeNd):
    __doc__ = ConvTransposeNd.__doc__
    rank = 2


@register
@rule
class ConvTranspose3d(ConvTransposeNd):
    __doc__ = ConvTransposeNd.__doc__
    rank = 3
