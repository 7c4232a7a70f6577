"""Preprocessing layers that change shapes or hold weights: Rescaling, Resizing, CenterCrop."""

from __future__ import annotations

from dataclasses import field
from typing import Any, Optional, Tuple

from ..dims import Dim, Shape, format_shape, prod
from ..errors import ShapeError, SpecError
from .arguments import NonNegativeInt, PositiveInt, choices
from .base import PASS_THROUGH, Layer, Tap, elements, join_channels, rearranging, rule, split_channels
from .conv import DATA_FORMATS
from .registry import register
from .reshaping import INTERPOLATIONS


@register
@rule
class Rescaling(Layer):
    """Multiplies by scale and adds offset, elementwise.

    output: x;  params: 0 (scale and offset are constants, not weights);  MACs: 0
    """

    scale: Any
    offset: Any = 0.0

    def output_shape(self, x: Shape) -> Shape:
        return x

    def elementwise(self, x: Shape, y: Shape) -> Dim:
        return prod([2, elements(y)])  # x·scale + offset

    def window(self, x: Shape) -> Tuple[Optional[Tap], ...]:
        return PASS_THROUGH


@rule
class ImageSize(Layer):
    """Base of the layers that set an image's height and width (fields: height, width, data_format)."""

    def output_shape(self, x: Shape) -> Shape:
        # As Keras reads it: rank 4 is a batch of images, rank 3 ONE image, whose first axis
        # (the spec's batch axis) is then the image's height, or its channels for channels_first.
        if len(x) not in (3, 4):
            raise ShapeError(
                f"expected a batch of images (rank 4) or one image (rank 3), found rank {len(x)} {format_shape(x)}"
            )
        height_axis = len(x) - 3 + (self.data_format == "channels_first")
        out = list(x)
        out[height_axis:height_axis + 2] = [self.height, self.width]
        return tuple(out)


@register
@rule
class Resizing(ImageSize):
    """Resizes images to height × width (optionally cropping or padding to keep the aspect ratio).

    output: (batch, height, width, C), or (batch, C, height, width) channels_first;
            a rank-3 input is ONE image, so its first axis (the spec's batch) is
            resized too: (height, width, C), or (C, height, width)
    params: 0;  MACs: 0 (interpolation is elementwise)
    """

    height: PositiveInt
    width: PositiveInt
    interpolation: str = field(default="bilinear", metadata=choices(*INTERPOLATIONS, ignored=True))
    crop_to_aspect_ratio: bool = False
    pad_to_aspect_ratio: bool = False
    fill_mode: str = field(default="constant", metadata=choices("constant", ignored=True))
    fill_value: Any = 0.0
    antialias: Any = False
    data_format: str = field(default="channels_last", metadata=DATA_FORMATS)

    def window(self, x: Shape) -> Tuple[Optional[Tap], ...]:
        return rearranging(x)

    def validate(self) -> None:
        if self.crop_to_aspect_ratio and self.pad_to_aspect_ratio:
            raise SpecError(
                "crop_to_aspect_ratio and pad_to_aspect_ratio cannot both be true", argument="pad_to_aspect_ratio"
            )


@register
@rule
class CenterCrop(ImageSize):
    """Crops the center height × width of images (resizing first if an image is smaller).

    output: height and width replaced, as for Resizing
    params: 0;  MACs: 0
    """

    height: NonNegativeInt
    width: NonNegativeInt
    data_format: str = field(default="channels_last", metadata=DATA_FORMATS)

    def window(self, x: Shape) -> Optional[Tuple[Optional[Tap], ...]]:
        """A crop of a batch of images at least as large as the target: the first (I - target) // 2 rows and
        columns go; a smaller image is resized first, as by Resizing."""
        if len(x) != 4:
            return rearranging(x)
        _, spatial, _ = split_channels(x, self.data_format, 2)
        pairs = list(zip(spatial, (self.height, self.width)))
        if not all(isinstance(size, int) and size >= target for size, target in pairs):
            return rearranging(x)
        taps = [Tap(1, 1, -((size - target) // 2)) for size, target in pairs]
        return join_channels(None, taps, None, self.data_format)
