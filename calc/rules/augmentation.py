"""Image augmentation and adjustment layers (Keras' layers/preprocessing/image_preprocessing/): RandomFlip,
RandomRotation, RandomCrop, AugMix, MixUp, RandAugment, AutoContrast, Solarization, ...

At inference the Random* layers, AugMix, CutMix, MixUp and RandAugment return their input as it is; the
others (AutoContrast, Equalization, ...) remap each value. None holds a weight: the SeedGenerator of a
random layer keeps its state in a variable that is not among the layer's weights, and that Keras 3.15.1's
model.summary() does not count (tests/data/keras/rule_cases/augmentation.json: 0 and 0 for every
layer). Keras builds them on inputs of any rank; only RandomCrop changes a shape.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional, Tuple

from ..dims import Shape, format_shape
from ..errors import ShapeError
from .arguments import NonNegativeInt, choices
from .base import PASS_THROUGH, Layer, Tap, rearranging
from .conv import DATA_FORMATS
from .registry import register

# The arguments every image preprocessing layer takes (Keras' BaseImagePreprocessingLayer).
DATA_FORMAT_UNUSED = choices("channels_last", "channels_first", ignore_case=True, ignored=True)


@dataclass(frozen=True, kw_only=True)
class ImagePreprocessing(Layer):
    """Base of the image preprocessing layers: the output is the input's shape, without weights.

    output: x;  params: 0;  MACs: 0
    """

    data_format: str = field(default="channels_last", metadata=DATA_FORMAT_UNUSED)
    bounding_box_format: Any = None
    seed: Any = None

    def output_shape(self, x: Shape) -> Shape:
        return x

    def window(self, x: Shape) -> Optional[Tuple[Optional[Tap], ...]]:
        return PASS_THROUGH


@dataclass(frozen=True, kw_only=True)
class ColorAdjustment(ImagePreprocessing):
    """Base of the layers that change pixel values within value_range."""

    value_range: Any = (0, 255)


@register
@dataclass(frozen=True, kw_only=True)
class AugMix(ColorAdjustment):
    """Mixes chains of random augmentations of each image (training only; the identity at inference).

    output: x;  params: 0;  MACs: 0
    """

    num_chains: Any = 3
    chain_depth: Any = 3
    factor: Any = 0.3
    alpha: Any = 1.0
    all_ops: Any = True
    interpolation: Any = "bilinear"


@register
@dataclass(frozen=True, kw_only=True)
class AutoContrast(ColorAdjustment):
    """Stretches each image's values to value_range (in training and at inference).

    output: x;  params: 0;  MACs: 0
    """


@register
@dataclass(frozen=True, kw_only=True)
class ContrastLimitedAdaptiveHistogramEqualization(ColorAdjustment):
    """CLAHE: equalizes the histogram of each tile of tile_grid_size, clipped at clip_limit.

    output: x;  params: 0;  MACs: 0
    """

    clip_limit: Any = 4.0
    tile_grid_size: Any = (8, 8)


@register
@dataclass(frozen=True, kw_only=True)
class CutMix(ImagePreprocessing):
    """Pastes a patch of another image of the batch into each image (training only).

    output: x;  params: 0;  MACs: 0
    """

    factor: Any = 1.0


@register
@dataclass(frozen=True, kw_only=True)
class Equalization(ColorAdjustment):
    """Equalizes each image's histogram over `bins` bins (in training and at inference). Keras 3.15.1 returns
    the input tensor itself from a symbolic call, so a functional model with it fails to build there.

    output: x;  params: 0;  MACs: 0
    """

    bins: Any = 256


@register
@dataclass(frozen=True, kw_only=True)
class MaxNumBoundingBoxes(ImagePreprocessing):
    """Pads or truncates the bounding boxes that come with the images to max_number; the images pass.

    output: x;  params: 0;  MACs: 0
    """

    max_number: Any
    fill_value: Any = -1


@register
@dataclass(frozen=True, kw_only=True)
class MixUp(ImagePreprocessing):
    """Blends each image with another of the batch (training only).

    output: x;  params: 0;  MACs: 0
    """

    alpha: Any = 0.2


@register
@dataclass(frozen=True, kw_only=True)
class RandAugment(ColorAdjustment):
    """Applies num_ops random augmentations of strength factor (training only).

    output: x;  params: 0;  MACs: 0
    """

    num_ops: Any = 2
    factor: Any = 0.5
    interpolation: Any = "bilinear"


@dataclass(frozen=True, kw_only=True)
class RandomColor(ColorAdjustment):
    """Base of the random colour layers whose strength `factor` is required (training only)."""

    factor: Any


@register
@dataclass(frozen=True, kw_only=True)
class RandomBrightness(RandomColor):
    """Adds a random brightness delta (training only).

    output: x;  params: 0;  MACs: 0
    """


@register
@dataclass(frozen=True, kw_only=True)
class RandomColorDegeneration(RandomColor):
    """Blends each image with its grayscale version (training only). Unlike the other layers, Keras refuses
    an input that is not one image (rank 3) or a batch of images (rank 4).

    output: x;  params: 0;  MACs: 0
    """

    def output_shape(self, x: Shape) -> Shape:
        if len(x) not in (3, 4):
            raise ShapeError("Invalid images rank: expected rank 3 (single image) or rank 4 (batch of images), "
                             f"found rank {len(x)} {format_shape(x)}")
        return x


@register
@dataclass(frozen=True, kw_only=True)
class RandomColorJitter(ColorAdjustment):
    """Random brightness, contrast, saturation and hue changes (training only).

    output: x;  params: 0;  MACs: 0
    """

    brightness_factor: Any = None
    contrast_factor: Any = None
    saturation_factor: Any = None
    hue_factor: Any = None


@register
@dataclass(frozen=True, kw_only=True)
class RandomContrast(RandomColor):
    """Scales each image's contrast by a random factor (training only).

    output: x;  params: 0;  MACs: 0
    """


@register
@dataclass(frozen=True, kw_only=True)
class RandomCrop(ImagePreprocessing):
    """Crops a random height × width window (training), the center one at inference (resizing first if an
    image is smaller); the two axes before the channels (channels_last) or the last two (channels_first).

    output: (batch, height, width, C), or (batch, C, height, width) channels_first; on any rank the
            height and width axes are counted from the end, so a rank-3 input is one image
    params: 0;  MACs: 0
    """

    height: NonNegativeInt
    width: NonNegativeInt
    data_format: str = field(default="channels_last", metadata=DATA_FORMATS)

    def output_shape(self, x: Shape) -> Shape:
        height_axis = -2 if self.data_format == "channels_first" else -3
        if len(x) < -height_axis:
            raise ShapeError(f"expected an image with height, width and channels axes, found rank {len(x)} "
                             f"{format_shape(x)}")
        out = list(x)
        out[height_axis], out[height_axis + 1] = self.height, self.width
        return tuple(out)

    def window(self, x: Shape) -> Optional[Tuple[Optional[Tap], ...]]:
        return rearranging(x)


@register
@dataclass(frozen=True, kw_only=True)
class RandomElasticTransform(ColorAdjustment):
    """Distorts each image with a random displacement field (training only).

    output: x;  params: 0;  MACs: 0
    """

    factor: Any = 1.0
    scale: Any = 1.0
    interpolation: Any = "bilinear"
    fill_mode: Any = "reflect"
    fill_value: Any = 0.0


@register
@dataclass(frozen=True, kw_only=True)
class RandomErasing(ColorAdjustment):
    """Erases a random rectangle of each image (training only).

    output: x;  params: 0;  MACs: 0
    """

    factor: Any = 1.0
    scale: Any = (0.02, 0.33)
    fill_value: Any = None


@register
@dataclass(frozen=True, kw_only=True)
class RandomFlip(ImagePreprocessing):
    """Flips images horizontally, vertically or both at random (training only).

    output: x;  params: 0;  MACs: 0
    """

    mode: Any = "horizontal_and_vertical"  # Keras 3.15.1 accepts any value (rule case randomflip-mode-invalid)


@register
@dataclass(frozen=True, kw_only=True)
class RandomGaussianBlur(ColorAdjustment):
    """Blurs each image with a random Gaussian kernel (training only).

    output: x;  params: 0;  MACs: 0
    """

    factor: Any = 1.0
    kernel_size: Any = 3
    sigma: Any = 1.0


@register
@dataclass(frozen=True, kw_only=True)
class RandomGrayscale(ImagePreprocessing):
    """Turns images to grayscale with probability factor, keeping the channels (training only).

    output: x;  params: 0;  MACs: 0
    """

    factor: Any = 0.5


@register
@dataclass(frozen=True, kw_only=True)
class RandomHue(RandomColor):
    """Shifts each image's hue at random (training only).

    output: x;  params: 0;  MACs: 0
    """


@register
@dataclass(frozen=True, kw_only=True)
class RandomInvert(ColorAdjustment):
    """Inverts images with probability factor (training only).

    output: x;  params: 0;  MACs: 0
    """

    factor: Any = 1.0


@register
@dataclass(frozen=True, kw_only=True)
class RandomPerspective(ImagePreprocessing):
    """Applies a random perspective transform (training only).

    output: x;  params: 0;  MACs: 0
    """

    factor: Any = 1.0
    scale: Any = 1.0
    interpolation: Any = "bilinear"
    fill_value: Any = 0.0


@register
@dataclass(frozen=True, kw_only=True)
class RandomPosterization(RandomColor):
    """Reduces each image's bits per channel at random (training only).

    output: x;  params: 0;  MACs: 0
    """


@dataclass(frozen=True, kw_only=True)
class RandomGeometry(ImagePreprocessing):
    """Base of the random affine transforms, which fill the pixels they uncover (training only)."""

    interpolation: Any = "bilinear"
    fill_mode: Any = "reflect"
    fill_value: Any = 0.0


@register
@dataclass(frozen=True, kw_only=True)
class RandomRotation(RandomGeometry):
    """Rotates images by a random fraction of 2π (training only).

    output: x;  params: 0;  MACs: 0
    """

    factor: Any


@register
@dataclass(frozen=True, kw_only=True)
class RandomSaturation(RandomColor):
    """Scales each image's saturation at random (training only).

    output: x;  params: 0;  MACs: 0
    """


@register
@dataclass(frozen=True, kw_only=True)
class RandomSharpness(RandomColor):
    """Sharpens or blurs each image at random (training only).

    output: x;  params: 0;  MACs: 0
    """


@register
@dataclass(frozen=True, kw_only=True)
class RandomShear(RandomGeometry):
    """Shears images along x and y at random (training only).

    output: x;  params: 0;  MACs: 0
    """

    x_factor: Any = 0.0
    y_factor: Any = 0.0


@register
@dataclass(frozen=True, kw_only=True)
class RandomTranslation(RandomGeometry):
    """Translates images by random fractions of their height and width (training only).

    output: x;  params: 0;  MACs: 0
    """

    height_factor: Any
    width_factor: Any


@register
@dataclass(frozen=True, kw_only=True)
class RandomZoom(RandomGeometry):
    """Zooms images in or out by random factors of their height and width (training only).

    output: x;  params: 0;  MACs: 0
    """

    height_factor: Any
    width_factor: Any = None


@register
@dataclass(frozen=True, kw_only=True)
class Solarization(ColorAdjustment):
    """Inverts the values above a threshold, after adding addition_factor (training: random factors; at
    inference the identity with the default factors).

    output: x;  params: 0;  MACs: 0
    """

    addition_factor: Any = 0.0
    threshold_factor: Any = 0.0
