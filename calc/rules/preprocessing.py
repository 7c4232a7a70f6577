"""Preprocessing layers: Rescaling, Resizing, CenterCrop, RandomCrop, and the image augmentation layers (RandomFlip,
RandomRotation, ..., AugMix, MixUp, RandAugment), which keep the shape and hold no weights."""

from __future__ import annotations

from dataclasses import field
from typing import Any, Optional, Tuple

from ..dims import Dim, Shape, format_shape, prod
from ..errors import ShapeError, SpecError
from .arguments import NonNegativeInt, PositiveInt, choices
from .base import PASS_THROUGH, Layer, Tap, elements, join_channels, rearranging, rule, split_channels
from .conv import DATA_FORMATS
from .core import Identity
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


# -- image augmentation --------------------------------------------------------------------------------


@register
@rule
class RandomCrop(ImageSize):
    """Crops a random height × width window of images in training, the center one at inference (resizing first if
    an image is smaller), as CenterCrop.

    output: height and width replaced, as for Resizing
    params: 0;  MACs: 0
    """

    height: NonNegativeInt
    width: NonNegativeInt
    seed: Any = None
    data_format: str = field(default="channels_last", metadata=DATA_FORMATS)


@rule
class Augmentation(Identity):
    """An image augmentation layer (keras.layers.preprocessing.image_preprocessing): it changes pixels, never the
    shape, and holds no weights (its seed generator is no weight Keras counts). Its arguments change no figure.

    output: the input's shape
    params: 0;  MACs: 0;  elementwise: not counted (most apply only in training)
    """



@register
@rule
class AugMix(Augmentation):
    __doc__ = Augmentation.__doc__
    value_range: Any = (0, 255)
    num_chains: Any = 3
    chain_depth: Any = 3
    factor: Any = 0.3
    alpha: Any = 1.0
    all_ops: Any = True
    interpolation: Any = 'bilinear'
    seed: Any = None
    data_format: str = field(default="channels_last", metadata=DATA_FORMATS)


@register
@rule
class AutoContrast(Augmentation):
    __doc__ = Augmentation.__doc__
    value_range: Any = (0, 255)
    data_format: str = field(default="channels_last", metadata=DATA_FORMATS)  # in its config, not its signature


@register
@rule
class CutMix(Augmentation):
    __doc__ = Augmentation.__doc__
    factor: Any = 1.0
    seed: Any = None
    data_format: str = field(default="channels_last", metadata=DATA_FORMATS)


@register
@rule
class Equalization(Augmentation):
    __doc__ = Augmentation.__doc__
    value_range: Any = (0, 255)
    bins: Any = 256
    data_format: str = field(default="channels_last", metadata=DATA_FORMATS)


@register
@rule
class MixUp(Augmentation):
    __doc__ = Augmentation.__doc__
    alpha: Any = 0.2
    data_format: str = field(default="channels_last", metadata=DATA_FORMATS)
    seed: Any = None


@register
@rule
class RandAugment(Augmentation):
    __doc__ = Augmentation.__doc__
    value_range: Any = (0, 255)
    num_ops: Any = 2
    factor: Any = 0.5
    interpolation: Any = 'bilinear'
    seed: Any = None
    data_format: str = field(default="channels_last", metadata=DATA_FORMATS)


@register
@rule
class RandomBrightness(Augmentation):
    __doc__ = Augmentation.__doc__
    factor: Any
    value_range: Any = (0, 255)
    seed: Any = None
    data_format: str = field(default="channels_last", metadata=DATA_FORMATS)  # in its config, not its signature


@register
@rule
class RandomColorDegeneration(Augmentation):
    __doc__ = Augmentation.__doc__
    factor: Any
    value_range: Any = (0, 255)
    data_format: str = field(default="channels_last", metadata=DATA_FORMATS)
    seed: Any = None


@register
@rule
class RandomColorJitter(Augmentation):
    __doc__ = Augmentation.__doc__
    value_range: Any = (0, 255)
    brightness_factor: Any = None
    contrast_factor: Any = None
    saturation_factor: Any = None
    hue_factor: Any = None
    seed: Any = None
    data_format: str = field(default="channels_last", metadata=DATA_FORMATS)


@register
@rule
class RandomContrast(Augmentation):
    __doc__ = Augmentation.__doc__
    factor: Any
    value_range: Any = (0, 255)
    seed: Any = None
    data_format: str = field(default="channels_last", metadata=DATA_FORMATS)  # in its config, not its signature


@register
@rule
class RandomElasticTransform(Augmentation):
    __doc__ = Augmentation.__doc__
    factor: Any = 1.0
    scale: Any = 1.0
    interpolation: Any = 'bilinear'
    fill_mode: Any = 'reflect'
    fill_value: Any = 0.0
    value_range: Any = (0, 255)
    seed: Any = None
    data_format: str = field(default="channels_last", metadata=DATA_FORMATS)


@register
@rule
class RandomErasing(Augmentation):
    __doc__ = Augmentation.__doc__
    factor: Any = 1.0
    scale: Any = (0.02, 0.33)
    fill_value: Any = None
    value_range: Any = (0, 255)
    seed: Any = None
    data_format: str = field(default="channels_last", metadata=DATA_FORMATS)


@register
@rule
class RandomFlip(Augmentation):
    __doc__ = Augmentation.__doc__
    mode: Any = 'horizontal_and_vertical'
    seed: Any = None
    data_format: str = field(default="channels_last", metadata=DATA_FORMATS)


@register
@rule
class RandomGaussianBlur(Augmentation):
    __doc__ = Augmentation.__doc__
    factor: Any = 1.0
    kernel_size: Any = 3
    sigma: Any = 1.0
    value_range: Any = (0, 255)
    data_format: str = field(default="channels_last", metadata=DATA_FORMATS)
    seed: Any = None


@register
@rule
class RandomGrayscale(Augmentation):
    __doc__ = Augmentation.__doc__
    factor: Any = 0.5
    data_format: str = field(default="channels_last", metadata=DATA_FORMATS)
    seed: Any = None


@register
@rule
class RandomHue(Augmentation):
    __doc__ = Augmentation.__doc__
    factor: Any
    value_range: Any = (0, 255)
    data_format: str = field(default="channels_last", metadata=DATA_FORMATS)
    seed: Any = None


@register
@rule
class RandomInvert(Augmentation):
    __doc__ = Augmentation.__doc__
    factor: Any = 1.0
    value_range: Any = (0, 255)
    seed: Any = None
    data_format: str = field(default="channels_last", metadata=DATA_FORMATS)


@register
@rule
class RandomPerspective(Augmentation):
    __doc__ = Augmentation.__doc__
    factor: Any = 1.0
    scale: Any = 1.0
    interpolation: Any = 'bilinear'
    fill_value: Any = 0.0
    seed: Any = None
    data_format: str = field(default="channels_last", metadata=DATA_FORMATS)


@register
@rule
class RandomPosterization(Augmentation):
    __doc__ = Augmentation.__doc__
    factor: Any
    value_range: Any = (0, 255)
    data_format: str = field(default="channels_last", metadata=DATA_FORMATS)
    seed: Any = None


@register
@rule
class RandomRotation(Augmentation):
    __doc__ = Augmentation.__doc__
    factor: Any
    fill_mode: Any = 'reflect'
    interpolation: Any = 'bilinear'
    seed: Any = None
    fill_value: Any = 0.0
    data_format: str = field(default="channels_last", metadata=DATA_FORMATS)


@register
@rule
class RandomSaturation(Augmentation):
    __doc__ = Augmentation.__doc__
    factor: Any
    value_range: Any = (0, 255)
    data_format: str = field(default="channels_last", metadata=DATA_FORMATS)
    seed: Any = None


@register
@rule
class RandomSharpness(Augmentation):
    __doc__ = Augmentation.__doc__
    factor: Any
    value_range: Any = (0, 255)
    data_format: str = field(default="channels_last", metadata=DATA_FORMATS)
    seed: Any = None


@register
@rule
class RandomShear(Augmentation):
    __doc__ = Augmentation.__doc__
    x_factor: Any = 0.0
    y_factor: Any = 0.0
    interpolation: Any = 'bilinear'
    fill_mode: Any = 'reflect'
    fill_value: Any = 0.0
    data_format: str = field(default="channels_last", metadata=DATA_FORMATS)
    seed: Any = None


@register
@rule
class RandomTranslation(Augmentation):
    __doc__ = Augmentation.__doc__
    height_factor: Any
    width_factor: Any
    fill_mode: Any = 'reflect'
    interpolation: Any = 'bilinear'
    seed: Any = None
    fill_value: Any = 0.0
    data_format: str = field(default="channels_last", metadata=DATA_FORMATS)


@register
@rule
class RandomZoom(Augmentation):
    __doc__ = Augmentation.__doc__
    height_factor: Any
    width_factor: Any = None
    fill_mode: Any = 'reflect'
    interpolation: Any = 'bilinear'
    seed: Any = None
    fill_value: Any = 0.0
    data_format: str = field(default="channels_last", metadata=DATA_FORMATS)


@register
@rule
class Solarization(Augmentation):
    __doc__ = Augmentation.__doc__
    addition_factor: Any = 0.0
    threshold_factor: Any = 0.0
    value_range: Any = (0, 255)
    seed: Any = None
    data_format: str = field(default="channels_last", metadata=DATA_FORMATS)  # in its config, not its signature
