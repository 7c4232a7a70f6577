"""Convolutions of any rank, written once in `Conv`."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, ClassVar, List, Tuple

from ..dims import Dim, Shape, conv_out, prod, standardize_tuple
from ..errors import ShapeError, SpecError
from . import Layer, PositiveInt, Size, Weight, activation_field, choices, join_channels, register, spatial_axis, split_channels

DATA_FORMATS = choices("channels_last", "channels_first", ignore_case=True)


@dataclass(frozen=True, kw_only=True)
class Conv(Layer):
    """Convolution over `rank` spatial axes.

    output: O = floor((I - D·(F-1) - 1) / S) + 1 (valid), ceil(I / S) (same, causal)
    params: kernel F…·(C/groups)·K + bias K (use_bias)
    MACs:   output elements · F… · C/groups
    """

    rank: ClassVar[int]

    filters: PositiveInt
    kernel_size: Size
    strides: Size = 1
    padding: str = field(default="valid", metadata=choices("valid", "same", ignore_case=True))
    data_format: str = field(default="channels_last", metadata=DATA_FORMATS)
    dilation_rate: Size = 1
    groups: PositiveInt = 1
    activation: str | None = activation_field()
    use_bias: bool = True
    kernel_initializer: Any = "glorot_uniform"
    bias_initializer: Any = "zeros"
    kernel_regularizer: Any = None
    bias_regularizer: Any = None
    kernel_constraint: Any = None
    bias_constraint: Any = None

    @cached_property
    def kernel(self) -> Tuple[int, ...]:
        return standardize_tuple(self.kernel_size, self.rank, "kernel_size")

    @cached_property
    def stride(self) -> Tuple[int, ...]:
        return standardize_tuple(self.strides, self.rank, "strides")

    @cached_property
    def dilation(self) -> Tuple[int, ...]:
        return standardize_tuple(self.dilation_rate, self.rank, "dilation_rate")

    def validate(self) -> None:
        if max(self.stride) > 1 and max(self.dilation) > 1:
            raise SpecError(
                f"strides {self.stride} > 1 cannot be combined with dilation_rate {self.dilation} > 1 (Keras refuses it)",
                argument="dilation_rate",
            )
        if self.filters % self.groups:
            raise SpecError(
                f"filters {self.filters} must be divisible by groups {self.groups}", argument="groups"
            )

    def in_channels(self, x: Shape) -> int:
        _, _, channels = split_channels(x, self.data_format, self.rank)
        if channels is None:
            raise ShapeError("the channel axis must be known, found None")
        if channels % self.groups:
            raise ShapeError(
                f"input channels {channels} must be divisible by groups {self.groups}", argument="groups"
            )
        return channels

    def output_shape(self, x: Shape) -> Shape:
        self.in_channels(x)
        batch, spatial, _ = split_channels(x, self.data_format, self.rank)
        out_spatial = []
        for index, (size, kernel, stride, dilation) in enumerate(zip(spatial, self.kernel, self.stride, self.dilation)):
            out = conv_out(size, kernel, stride, dilation, self.padding)
            if out is not None and out < 1:
                span = f"kernel {kernel}" + (f" (dilated to {dilation * (kernel - 1) + 1})" if dilation > 1 else "")
                raise ShapeError(
                    f"{span} is larger than input {size} on axis {spatial_axis(index, self.data_format)}",
                    argument="kernel_size",
                )
            out_spatial.append(out)
        return join_channels(batch, out_spatial, self.filters, self.data_format)

    def weights(self, x: Shape) -> List[Weight]:
        weights = [Weight("kernel", (*self.kernel, self.in_channels(x) // self.groups, self.filters))]
        if self.use_bias:
            weights.append(Weight("bias", (self.filters,)))
        return weights

    def macs(self, x: Shape, y: Shape) -> Dim:
        _, out_spatial, _ = split_channels(y, self.data_format, self.rank)
        per_output = prod(self.kernel) * (self.in_channels(x) // self.groups)
        return prod([*out_spatial, self.filters, per_output])


@register
@dataclass(frozen=True, kw_only=True)
class Conv1D(Conv):
    __doc__ = Conv.__doc__
    rank = 1
    aliases = ("Convolution1D",)
    padding: str = field(default="valid", metadata=choices("valid", "same", "causal", ignore_case=True))


@register
@dataclass(frozen=True, kw_only=True)
class Conv2D(Conv):
    __doc__ = Conv.__doc__
    rank = 2
    aliases = ("Convolution2D",)


@register
@dataclass(frozen=True, kw_only=True)
class Conv3D(Conv):
    __doc__ = Conv.__doc__
    rank = 3
    aliases = ("Convolution3D",)
