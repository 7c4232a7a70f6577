"""Convolutions of any rank: plain, transposed, depthwise and separable.

`Window` holds what they share (the kernel window normalized once, the channel
axis, the output length of each spatial axis); each family writes its rules once,
against any rank, and the rank-specific Keras classes are one-liners.
"""

from __future__ import annotations

from dataclasses import field
from functools import cached_property
from typing import Any, ClassVar, List, Tuple

from ..dims import Dim, Shape, ceildiv, conv_out, conv_transpose_out, padding_before, prod, standardize_tuple
from ..errors import ShapeError, SpecError
from .arguments import Axis, PositiveInt, Size, activation_field, choices
from .base import WHOLE, Layer, Tap, Weight, join_channels, ratio, rule, spatial_axis, split_channels
from .registry import register

DATA_FORMATS = choices("channels_last", "channels_first", ignore_case=True)
PADDINGS = choices("valid", "same", ignore_case=True)


class WindowArguments:
    """kernel_size, strides and dilation_rate, normalized once to tuples of `rank` ints
    (shared by the convolutions and ConvLSTM)."""

    rank: ClassVar[int]

    @cached_property
    def kernel(self) -> Tuple[int, ...]:
        return standardize_tuple(self.kernel_size, self.rank, "kernel_size")

    @cached_property
    def stride(self) -> Tuple[int, ...]:
        return standardize_tuple(self.strides, self.rank, "strides")

    @cached_property
    def dilation(self) -> Tuple[int, ...]:
        return standardize_tuple(self.dilation_rate, self.rank, "dilation_rate")

    def refuse_strides_with_dilation(self) -> None:
        if max(self.stride) > 1 and max(self.dilation) > 1:
            raise SpecError(
                f"strides {self.stride} > 1 cannot be combined with dilation_rate {self.dilation} > 1 "
                "(Keras refuses it)",
                argument="dilation_rate",
            )

    def lengths(self, spatial, first_axis: int) -> List[Dim]:
        """Output length of each spatial axis (numbered from first_axis in messages); refuses a
        (dilated) kernel larger than a valid-padded input."""
        out_spatial = []
        for index, (size, kernel, stride, dilation) in enumerate(zip(spatial, self.kernel, self.stride, self.dilation)):
            out = conv_out(size, kernel, stride, dilation, self.padding)
            if out is not None and out < 1:
                span = f"kernel {kernel}" + (f" (dilated to {dilation * (kernel - 1) + 1})" if dilation > 1 else "")
                raise ShapeError(f"{span} is larger than input {size} on axis {first_axis + index}",
                                 argument="kernel_size")
            out_spatial.append(out)
        return out_spatial


@rule
class Window(WindowArguments, Layer):
    """Base of the convolutions: a kernel window sliding over `rank` spatial axes.

    Subclasses declare the Keras arguments kernel_size, strides, padding,
    data_format and dilation_rate (in Keras' order); WindowArguments normalizes them once.
    """

    def validate(self) -> None:
        self.kernel, self.stride, self.dilation  # noqa: B018 - normalize now, so errors point at the arguments

    def in_channels(self, x: Shape) -> int:
        _, _, channels = split_channels(x, self.data_format, self.rank)
        if channels is None:
            raise ShapeError("the channel axis must be known, found None")
        return channels

    def window(self, x: Shape) -> Tuple[Any, ...]:
        """Each spatial axis a Tap of the dilated kernel D·(F-1) + 1, padded as TensorFlow pads; every
        channel is read (WHOLE)."""
        _, spatial, _ = split_channels(x, self.data_format, self.rank)
        taps = []
        for size, kernel, stride, dilation in zip(spatial, self.kernel, self.stride, self.dilation):
            extent = dilation * (kernel - 1) + 1
            taps.append(Tap(extent, stride, padding_before(size, extent, stride, self.padding)))
        return join_channels(None, taps, WHOLE, self.data_format)

    def window_out(self, x: Shape) -> List[Dim]:
        """Output length of each spatial axis; refuses a (dilated) kernel larger than a valid-padded input."""
        _, spatial, _ = split_channels(x, self.data_format, self.rank)
        return self.lengths(spatial, spatial_axis(0, self.data_format))


@rule
class Conv(Window):
    """Convolution over `rank` spatial axes.

    output: O = floor((I - D·(F-1) - 1) / S) + 1 (valid), ceil(I / S) (same, causal)
    params: kernel F…·(C/groups)·K + bias K (use_bias)
    MACs:   output elements · F… · C/groups
    """

    filters: PositiveInt
    kernel_size: Size
    strides: Size = 1
    padding: str = field(default="valid", metadata=PADDINGS)
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

    def validate(self) -> None:
        super().validate()
        self.refuse_strides_with_dilation()
        if self.filters % self.groups:
            raise SpecError(
                f"filters {self.filters} must be divisible by groups {self.groups}", argument="groups"
            )

    def in_channels(self, x: Shape) -> int:
        channels = super().in_channels(x)
        if channels % self.groups:
            raise ShapeError(
                f"input channels {channels} must be divisible by groups {self.groups}", argument="groups"
            )
        return channels

    def group_channels(self, x: Shape) -> int:
        """Input channels each filter reads: C / groups (C itself when ungrouped)."""
        channels = self.in_channels(x)
        return channels if self.groups == 1 else channels // self.groups

    def output_shape(self, x: Shape) -> Shape:
        self.in_channels(x)
        return join_channels(x[0], self.window_out(x), self.filters, self.data_format)

    def weights(self, x: Shape) -> List[Weight]:
        weights = [Weight("kernel", (*self.kernel, self.group_channels(x), self.filters))]
        if self.use_bias:
            weights.append(Weight("bias", (self.filters,)))
        return weights

    def macs(self, x: Shape, y: Shape) -> Dim:
        _, out_spatial, _ = split_channels(y, self.data_format, self.rank)
        per_output = prod(self.kernel) * self.group_channels(x)
        return prod([*out_spatial, self.filters, per_output])


@register
@rule
class Conv1D(Conv):
    __doc__ = Conv.__doc__
    rank = 1
    aliases = ("Convolution1D",)
    padding: str = field(default="valid", metadata=choices("valid", "same", "causal", ignore_case=True))


@register
@rule
class Conv2D(Conv):
    __doc__ = Conv.__doc__
    rank = 2
    aliases = ("Convolution2D",)


@register
@rule
class Conv3D(Conv):
    __doc__ = Conv.__doc__
    rank = 3
    aliases = ("Convolution3D",)


@rule
class ConvTranspose(Window):
    """Transposed convolution over `rank` spatial axes; F' = D·(F-1) + 1, P = output_padding.

    output: O = (I-1)·S + F' + P (valid), (I-1)·S + F' mod 2 + P (same);
            without output_padding: (I-1)·S + max(F', S) (valid), I·S (same)
    params: kernel F…·K·C + bias K (use_bias)
    MACs:   input elements (spatial positions · C) · F… · K (each input element is scattered through the kernel)
    """

    filters: PositiveInt
    kernel_size: Size
    strides: Size = 1
    padding: str = field(default="valid", metadata=PADDINGS)
    output_padding: Axis | None = None  # non-negative, each below its stride (checked in validate)
    data_format: str = field(default="channels_last", metadata=DATA_FORMATS)
    dilation_rate: Size = 1
    activation: str | None = activation_field()
    use_bias: bool = True
    kernel_initializer: Any = "glorot_uniform"
    bias_initializer: Any = "zeros"
    kernel_regularizer: Any = None
    bias_regularizer: Any = None
    kernel_constraint: Any = None
    bias_constraint: Any = None

    @cached_property
    def output_pad(self) -> Tuple[int | None, ...]:
        if self.output_padding is None:
            return (None,) * self.rank
        return standardize_tuple(self.output_padding, self.rank, "output_padding")

    def validate(self) -> None:
        super().validate()
        for index, (pad, stride) in enumerate(zip(self.output_pad, self.stride)):
            if pad is not None and pad < 0:
                raise SpecError(f"output_padding must be non-negative, found {pad}", argument="output_padding")
            if pad is not None and pad >= stride:
                raise SpecError(
                    f"output_padding {pad} must be smaller than strides {stride} "
                    f"on axis {spatial_axis(index, self.data_format)} (Keras refuses it)",
                    argument="output_padding",
                )
        self.refuse_strides_with_dilation()

    def output_shape(self, x: Shape) -> Shape:
        self.in_channels(x)
        _, spatial, _ = split_channels(x, self.data_format, self.rank)
        axes = zip(spatial, self.kernel, self.stride, self.dilation, self.output_pad)
        out_spatial = [
            conv_transpose_out(size, kernel, stride, dilation, self.padding, pad)
            for size, kernel, stride, dilation, pad in axes
        ]
        return join_channels(x[0], out_spatial, self.filters, self.data_format)

    def weights(self, x: Shape) -> List[Weight]:
        weights = [Weight("kernel", (*self.kernel, self.filters, self.in_channels(x)))]
        if self.use_bias:
            weights.append(Weight("bias", (self.filters,)))
        return weights

    def macs(self, x: Shape, y: Shape) -> Dim:
        _, in_spatial, _ = split_channels(x, self.data_format, self.rank)
        return prod([*in_spatial, self.in_channels(x), prod(self.kernel), self.filters])

    def window(self, x: Shape) -> Tuple[Any, ...]:
        """As a stride-1 convolution (kernel F' = D·(F-1) + 1) over the input upsampled S times by inserting
        zeros: jump 1/S; an output position reads at most ceil(F'/S) input positions; the first one starts
        (F' - 1 - P)/S positions before the input, P the crop TensorFlow applies (its same padding for
        the output size: max((I-1)·S + F' - O, 0) // 2, a constant)."""
        self.output_shape(x)
        taps = []
        for kernel, stride, dilation, pad in zip(self.kernel, self.stride, self.dilation, self.output_pad):
            extent = dilation * (kernel - 1) + 1
            if self.padding == "valid":
                crop = 0
            else:  # same: O - (I-1)·S is F' mod 2 + output_padding, or S without one
                crop = max(extent - (stride if pad is None else extent % 2 + pad), 0) // 2
            taps.append(Tap(ceildiv(extent, stride), ratio(1, stride), ratio(extent - 1 - crop, stride)))
        return join_channels(None, taps, WHOLE, self.data_format)


@register
@rule
class Conv1DTranspose(ConvTranspose):
    __doc__ = ConvTranspose.__doc__
    rank = 1
    aliases = ("Convolution1DTranspose",)


@register
@rule
class Conv2DTranspose(ConvTranspose):
    __doc__ = ConvTranspose.__doc__
    rank = 2
    aliases = ("Convolution2DTranspose",)


@register
@rule
class Conv3DTranspose(ConvTranspose):
    __doc__ = ConvTranspose.__doc__
    rank = 3
    aliases = ("Convolution3DTranspose",)


@rule
class DepthwiseConv(Window):
    """Depthwise convolution: each input channel gets its own depth_multiplier (M) kernels.

    output: O as Conv (valid, same); channels C·M
    params: kernel F…·C·M + bias C·M (use_bias)
    MACs:   output positions · C·M · F…
    """

    kernel_size: Size
    strides: Size = 1
    padding: str = field(default="valid", metadata=PADDINGS)
    depth_multiplier: PositiveInt = 1
    data_format: str = field(default="channels_last", metadata=DATA_FORMATS)
    dilation_rate: Size = 1
    activation: str | None = activation_field()
    use_bias: bool = True
    depthwise_initializer: Any = "glorot_uniform"
    bias_initializer: Any = "zeros"
    depthwise_regularizer: Any = None
    bias_regularizer: Any = None
    depthwise_constraint: Any = None
    bias_constraint: Any = None

    # Keras accepts strides > 1 with dilation_rate > 1 here (unlike Conv), and so do we.

    def output_shape(self, x: Shape) -> Shape:
        out_channels = self.in_channels(x) * self.depth_multiplier
        return join_channels(x[0], self.window_out(x), out_channels, self.data_format)

    def weights(self, x: Shape) -> List[Weight]:
        channels = self.in_channels(x)
        weights = [Weight("kernel", (*self.kernel, channels, self.depth_multiplier))]
        if self.use_bias:
            weights.append(Weight("bias", (channels * self.depth_multiplier,)))
        return weights

    def macs(self, x: Shape, y: Shape) -> Dim:
        _, out_spatial, out_channels = split_channels(y, self.data_format, self.rank)
        return prod([*out_spatial, out_channels, prod(self.kernel)])


@register
@rule
class DepthwiseConv1D(DepthwiseConv):
    __doc__ = DepthwiseConv.__doc__
    rank = 1


@register
@rule
class DepthwiseConv2D(DepthwiseConv):
    __doc__ = DepthwiseConv.__doc__
    rank = 2


@rule
class SeparableConv(Window):
    """Depthwise convolution (depth_multiplier M) then a pointwise (1×…) convolution to K filters.

    output: O as Conv (valid, same); channels K
    params: depthwise kernel F…·C·M + pointwise kernel C·M·K + bias K (use_bias)
    MACs:   output positions · C·M · F… (depthwise) + output positions · C·M · K (pointwise)
    """

    filters: PositiveInt
    kernel_size: Size
    strides: Size = 1
    padding: str = field(default="valid", metadata=PADDINGS)
    data_format: str = field(default="channels_last", metadata=DATA_FORMATS)
    dilation_rate: Size = 1
    depth_multiplier: PositiveInt = 1
    activation: str | None = activation_field()
    use_bias: bool = True
    depthwise_initializer: Any = "glorot_uniform"
    pointwise_initializer: Any = "glorot_uniform"
    bias_initializer: Any = "zeros"
    depthwise_regularizer: Any = None
    pointwise_regularizer: Any = None
    bias_regularizer: Any = None
    depthwise_constraint: Any = None
    pointwise_constraint: Any = None
    bias_constraint: Any = None

    # Keras accepts strides > 1 with dilation_rate > 1 here (unlike Conv), and so do we.

    def output_shape(self, x: Shape) -> Shape:
        self.in_channels(x)
        return join_channels(x[0], self.window_out(x), self.filters, self.data_format)

    def weights(self, x: Shape) -> List[Weight]:
        channels = self.in_channels(x)
        weights = [
            Weight("depthwise_kernel", (*self.kernel, channels, self.depth_multiplier)),
            Weight("pointwise_kernel", ((1,) * self.rank + (channels * self.depth_multiplier, self.filters))),
        ]
        if self.use_bias:
            weights.append(Weight("bias", (self.filters,)))
        return weights

    def macs(self, x: Shape, y: Shape) -> Dim:
        _, out_spatial, _ = split_channels(y, self.data_format, self.rank)
        depthwise_channels = self.in_channels(x) * self.depth_multiplier
        return prod([*out_spatial, depthwise_channels, prod(self.kernel) + self.filters])


@register
@rule
class SeparableConv1D(SeparableConv):
    __doc__ = SeparableConv.__doc__
    rank = 1
    aliases = ("SeparableConvolution1D",)


@register
@rule
class SeparableConv2D(SeparableConv):
    __doc__ = SeparableConv.__doc__
    rank = 2
    aliases = ("SeparableConvolution2D",)
