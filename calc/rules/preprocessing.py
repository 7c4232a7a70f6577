"""Preprocessing layers (Keras' layers/preprocessing/): Rescaling, Resizing, CenterCrop, RandomCrop; the encoding
and lookup layers (CategoryEncoding, Hashing, HashedCrossing, Discretization, IntegerLookup, StringLookup,
TextVectorization), whose inputs may be integers or strings (`input: {shape: [], dtype: string}`); the audio
layers and Pipeline; and the image augmentation layers (image_preprocessing/: RandomFlip, RandomRotation, ...,
AugMix, MixUp, RandAugment), which keep the shape. None of them holds a weight Keras counts: a lookup layer's
vocabulary lives in a lookup table, not in a variable."""

from __future__ import annotations

from dataclasses import field
from functools import cached_property
from typing import Any, List, Optional, Tuple

from ..dims import Dim, Shape, conv_out, dim_sum, format_shape, prod
from ..errors import ShapeError, SpecError
from .arguments import Array, LayerConfigs, NonNegativeInt, PositiveInt, Vocabulary, choices, renamed
from .base import PASS_THROUGH, Layer, Tap, Weight, elements, join_channels, rearranging, rule, split_channels
from .conv import DATA_FORMATS
from .core import Identity
from .registry import register
from .reshaping import INTERPOLATIONS
from .wrapped import Wrapped


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


# -- encoding and lookup layers ---------------------------------------------------------------


def last_axis_is_1(x: Shape) -> bool:
    """Whether the last axis is 1, which decides a one-hot encoding's shape: an unknown one (None) is not, as in
    Keras; a symbolic one is refused, since its value would decide."""
    if x[-1] is not None and not isinstance(x[-1], int):
        raise ShapeError(f"whether the last axis ({x[-1]}) is 1 decides the one-hot output's shape: give it as a "
                         "number")
    return x[-1] == 1


def one_hot_shape(x: Shape, depth: Dim) -> Shape:
    """Keras' one_hot output (IndexLookup, Discretization): each element gets a depth axis, except that a
    last axis of 1 (of an input of rank 2 or more) is replaced by it."""
    if len(x) > 1 and last_axis_is_1(x):
        return (*x[:-1], depth)
    return (*x, depth)


ENCODINGS = ("int", "one_hot", "multi_hot", "count")


@register
@rule
class CategoryEncoding(Layer):
    """Encodes integer ids below num_tokens as multi-hot, one-hot or count vectors.

    output: multi_hot, count: the last axis (the sample's ids) becomes num_tokens, (..., num_tokens);
            one_hot: each id gets a num_tokens axis, (..., last, num_tokens), a last axis of 1
            replaced by it (of a rank-1 input too)
    params: 0;  MACs: 0
    """

    num_tokens: PositiveInt | None = None
    output_mode: str = field(default="multi_hot", metadata=choices("one_hot", "multi_hot", "count"))
    sparse: Any = False

    def validate(self) -> None:
        if self.num_tokens is None:
            raise SpecError("num_tokens must be set to use this layer (IntegerLookup counts tokens it does not "
                            "know beforehand)", argument="num_tokens")

    def output_shape(self, x: Shape) -> Shape:
        if self.output_mode == "one_hot" and (len(x) == 1 or not last_axis_is_1(x)):
            return (*x, self.num_tokens)
        return (*x[:-1], self.num_tokens)


@register
@rule
class Hashing(Layer):
    """Hashes integers or strings into num_bins bins (mask_value, when given, to bin 0).

    output: int: x;  one_hot, multi_hot, count: the last axis becomes num_bins, (..., num_bins)
    params: 0;  MACs: 0
    """

    num_bins: PositiveInt
    mask_value: Any = None
    salt: Any = None
    output_mode: str = field(default="int", metadata=choices(*ENCODINGS))
    sparse: Any = False

    def output_shape(self, x: Shape) -> Shape:
        return x if self.output_mode == "int" else (*x[:-1], self.num_bins)


@register
@rule
class HashedCrossing(Layer):
    """Hashes the pairs of values of two inputs (a feature cross) into num_bins bins; `inputs: [a, b]`.

    output: int: the first input's shape;  one_hot: (*a, num_bins), a last axis of 1 replaced by it.
            The two inputs' last axes must be equal
    params: 0;  MACs: 0
    """

    min_inputs = 2
    max_inputs = 2

    num_bins: PositiveInt
    output_mode: str = field(default="int", metadata=choices("int", "one_hot"))
    sparse: Any = False

    def output_shape(self, x: Tuple[Shape, ...]) -> Shape:
        first, second = x
        if first[-1] != second[-1]:
            raise ShapeError("expected the two input tensors to have identical shapes, found "
                             f"{format_shape(first)} and {format_shape(second)}")
        if self.output_mode == "int":
            return first
        if not last_axis_is_1(first):
            return (*first, self.num_bins)
        return (*first[:-1], self.num_bins)


@register
@rule
class Discretization(Layer):
    """Buckets numbers by bin_boundaries (len + 1 bins), or into num_bins bins learned by adapt().

    output: int: x;  one_hot: each value gets a bins axis (a last axis of 1, rank ≥ 2, replaced);
            multi_hot, count: (batch, *x[2:], bins), Keras dropping the second axis; a rank-1 input (bins,)
    params: 0;  MACs: 0
    """

    bin_boundaries: Array | None = None
    num_bins: PositiveInt | None = None
    epsilon: Any = 0.01
    output_mode: str = field(default="int", metadata=choices(*ENCODINGS))
    sparse: Any = False

    def validate(self) -> None:
        if (self.num_bins is None) == (self.bin_boundaries is None):
            raise SpecError("set either num_bins or bin_boundaries" if self.num_bins is None
                            else "num_bins and bin_boundaries cannot both be set", argument="num_bins")
        if self.bin_boundaries is not None and not isinstance(self.bin_boundaries, tuple):
            raise SpecError("bin_boundaries must be a list of numbers", argument="bin_boundaries")

    def output_shape(self, x: Shape) -> Shape:
        depth = self.num_bins if self.bin_boundaries is None else len(self.bin_boundaries) + 1
        if self.output_mode == "int":
            return x
        if self.output_mode == "one_hot":
            return one_hot_shape(x, depth)
        return (x[0], *x[2:], depth) if len(x) >= 2 else (depth,)


LOOKUP_MODES = ("int", "one_hot", "multi_hot", "count", "tf_idf")


@rule
class Lookup(Layer):
    """Base of IntegerLookup and StringLookup (Keras' IndexLookup): maps tokens to indices of a vocabulary.

    output: int: x (ids);  one_hot: each token gets a depth axis (a last axis of 1, rank ≥ 2, replaced);
            multi_hot, count, tf_idf: the last axis becomes depth, (..., depth). depth: max_tokens with
            pad_to_max_tokens, else the vocabulary's tokens + num_oov_indices, else vocabulary_size
            (what a saved model's config records), else unknown
    params: 0;  MACs: 0
    """

    max_tokens: PositiveInt | None = None
    num_oov_indices: NonNegativeInt = 1
    mask_token: Any = None
    vocabulary: Vocabulary | None = None
    idf_weights: Any = None
    invert: bool = False
    output_mode: str = field(default="int", metadata=choices(*LOOKUP_MODES))
    pad_to_max_tokens: bool = False
    sparse: Any = False
    salt: Any = None
    oov_method: Any = "floormod"
    vocabulary_size: PositiveInt | None = None  # in a saved config: the size of the vocabulary adapt() made

    def validate(self) -> None:
        if self.pad_to_max_tokens and self.max_tokens is None:
            raise SpecError("pad_to_max_tokens needs max_tokens", argument="pad_to_max_tokens")

    def depth(self) -> Dim:
        """The encoded axis' size: the vocabulary's tokens (a leading copy of the OOV tokens, which Keras
        strips, not counted) and one index per OOV bucket. The mask token has an index in int mode only."""
        if self.pad_to_max_tokens:
            return self.max_tokens
        if not isinstance(self.vocabulary, tuple):
            return self.vocabulary_size
        oov_tokens = (getattr(self, "oov_token"),) * self.num_oov_indices
        tokens = self.vocabulary[len(oov_tokens):] if self.vocabulary[:len(oov_tokens)] == oov_tokens else self.vocabulary
        return len(tokens) + self.num_oov_indices

    def output_shape(self, x: Shape) -> Shape:
        if self.output_mode == "int":
            return x
        if self.output_mode == "one_hot":
            return one_hot_shape(x, self.depth())
        return (*x[:-1], self.depth())


@register
@rule
class IntegerLookup(Lookup):
    __doc__ = Lookup.__doc__

    oov_token: Any = -1
    vocabulary_dtype: Any = "int64"


@register
@rule
class StringLookup(Lookup):
    __doc__ = Lookup.__doc__

    oov_token: Any = "[UNK]"
    encoding: Any = "utf-8"


@register
@rule
class TextVectorization(Layer):
    """Standardizes, splits and looks up strings (a StringLookup with the mask token "" and one OOV index).

    output: int: (batch, output_sequence_length), whatever the input's rank (null length: unknown);
            the other modes: the tokens of each string as a new last axis (split: null keeps the input,
            a rank-1 input gaining an axis of 1), then encoded as by StringLookup: depth = max_tokens with
            pad_to_max_tokens, else the vocabulary's tokens + 1, else vocabulary_size
    params: 0;  MACs: 0
    """

    max_tokens: PositiveInt | None = None
    standardize: Any = "lower_and_strip_punctuation"
    split: Any = "whitespace"
    ngrams: Any = None
    output_mode: str = field(default="int", metadata=choices(*LOOKUP_MODES))
    output_sequence_length: PositiveInt | None = None
    pad_to_max_tokens: bool = False
    vocabulary: Vocabulary | None = None
    idf_weights: Any = None
    sparse: Any = False
    ragged: Any = False
    encoding: Any = "utf-8"
    vocabulary_size: PositiveInt | None = None  # in a saved config: the size of the vocabulary adapt() made

    def validate(self) -> None:
        if self.output_sequence_length is not None and self.output_mode != "int":
            raise SpecError("output_sequence_length must not be set if output_mode is not 'int'",
                            argument="output_sequence_length")
        self.lookup().validate()

    def lookup(self) -> StringLookup:
        return StringLookup(max_tokens=self.max_tokens, mask_token="", vocabulary=self.vocabulary,
                            output_mode=self.output_mode, pad_to_max_tokens=self.pad_to_max_tokens,
                            vocabulary_size=self.vocabulary_size)

    def output_shape(self, x: Shape) -> Shape:
        if self.output_mode == "int":
            return (x[0], self.output_sequence_length)
        if self.split is not None:
            tokens = (*x, None)
        else:
            tokens = (*x, 1) if len(x) <= 1 else x
        return self.lookup().output_shape(tokens)


# -- audio ----------------------------------------------------------------------------------


@register
@rule
class MelSpectrogram(Layer):
    """The mel spectrogram of audio samples (batch, samples), in frames sequence_stride apart.

    output: (batch, num_mel_bins, (samples + sequence_stride + 1) // sequence_stride), Keras' formula
            (a rank-1 input, one signal: (num_mel_bins, frames)); an input of higher rank keeps its first
            two axes' reading
    params: 0 (the mel filters are constants);  MACs: 0
    """

    fft_length: PositiveInt = 2048
    sequence_stride: PositiveInt = 512
    sequence_length: Any = None
    window_: Any = renamed("window", default="hann")  # the rule method window() is another thing
    sampling_rate: Any = 16000
    num_mel_bins: PositiveInt = 128
    min_freq: Any = 20.0
    max_freq: Any = None
    power_to_db: Any = True
    top_db: Any = 80.0
    mag_exp: Any = 2.0
    min_power: Any = 1e-10
    ref_power: Any = 1.0

    def output_shape(self, x: Shape) -> Shape:
        samples = x[0] if len(x) == 1 else x[1]
        frames = None if samples is None else (samples + self.sequence_stride + 1) // self.sequence_stride
        return (self.num_mel_bins, frames) if len(x) == 1 else (x[0], self.num_mel_bins, frames)


STFT_MODES = ("log", "magnitude", "psd", "real", "imag", "angle", "stft")


@register
@rule
class STFTSpectrogram(Layer):
    """The short-time Fourier transform of each channel of (batch, samples, channels), as a convolution with
    frame_length-long real and imaginary kernels of fft_length // 2 + 1 frequencies, frame_step apart
    (default frame_length // 2; fft_length default: the power of two at or above frame_length).

    output: (batch, frames, frequencies · channels), frames as a 1-D convolution's (padding valid/same);
            frequencies doubled in mode stft (real and imaginary); expand_dims: (batch, frames,
            frequencies, channels); channels_first: (batch, frequencies · channels, frames) and
            (batch, channels, frames, frequencies)
    params: real_kernel and imag_kernel (frame_length, 1, frequencies), trainable (mode real: the real
            one only, imag: the imaginary one only)
    MACs:   frames · frame_length · frequencies · channels, for each kernel
    """

    mode: str = field(default="log", metadata=choices(*STFT_MODES))
    frame_length: PositiveInt = 256
    frame_step: PositiveInt | None = None
    fft_length: PositiveInt | None = None
    window_: Any = renamed("window", default="hann")  # the rule method window() is another thing
    periodic: Any = False
    scaling: Any = "density"
    padding: str = field(default="valid", metadata=choices("valid", "same"))
    expand_dims: bool = False
    data_format: str = field(default="channels_last", metadata=DATA_FORMATS)

    def validate(self) -> None:
        if self.frame_step is not None and self.frame_step > self.frame_length:
            raise SpecError("frame_step should be a positive integer not greater than frame_length, found "
                            f"frame_step={self.frame_step}, frame_length={self.frame_length}", argument="frame_step")
        if self.fft_length is not None and self.fft_length < self.frame_length:
            raise SpecError(f"fft_length should be not less than frame_length, found fft_length={self.fft_length}, "
                            f"frame_length={self.frame_length}", argument="fft_length")

    @property
    def frequencies(self) -> int:
        fft_length = self.fft_length or 1 << (self.frame_length - 1).bit_length()
        return fft_length // 2 + 1

    @property
    def kernels(self) -> Tuple[str, ...]:
        return tuple(part for part in ("real", "imag") if self.mode != {"real": "imag", "imag": "real"}.get(part))

    def frames(self, x: Shape) -> Tuple[Dim, Dim]:
        """(frames, channels) of the input, checked."""
        _, (samples,), channels = split_channels(x, self.data_format, 1)
        step = self.frame_step or self.frame_length // 2
        if step == 0:  # Keras divides by it and fails with an OverflowError
            raise SpecError(f"frame_step defaults to frame_length // 2, which is 0 for frame_length "
                            f"{self.frame_length}: give frame_step (1 or more)", argument="frame_step")
        frames = conv_out(samples, self.frame_length, step, 1, self.padding)
        if frames is not None and isinstance(frames, int) and frames < 1:
            raise ShapeError(f"frame_length {self.frame_length} is longer than the {samples} samples",
                             argument="frame_length")
        return frames, channels

    def output_shape(self, x: Shape) -> Shape:
        frames, channels = self.frames(x)
        frequencies = self.frequencies * (2 if self.mode == "stft" else 1)
        if self.expand_dims:
            return (x[0], channels, frames, frequencies) if self.data_format == "channels_first" else (
                x[0], frames, frequencies, channels)
        return join_channels(x[0], (frames,), prod([frequencies, channels]), self.data_format)

    def weights(self, x: Shape) -> List[Weight]:
        return [Weight(f"{part}_kernel", (self.frame_length, 1, self.frequencies)) for part in self.kernels]

    def macs(self, x: Shape, y: Any) -> Dim:
        frames, channels = self.frames(x)
        return prod([frames, self.frame_length, self.frequencies, channels, len(self.kernels)])


# -- Pipeline -------------------------------------------------------------------------------


@register
@rule
class Pipeline(Layer):
    """Applies its layers one after another (`layers: [{type: RandomFlip}, {type: RandomZoom, ...}]`), for a
    tf.data preprocessing pipeline. Keras traces its layers' real calls, which may refuse inputs their
    symbolic shapes accept (RandomFlip on a rank-2 input).

    output: the last layer's;  params: the layers' (each its own trainable key);  MACs: the layers' sum
    """

    layers: LayerConfigs

    @cached_property
    def steps(self) -> Tuple[Wrapped, ...]:
        configs = self.layers if isinstance(self.layers, tuple) else (self.layers,)
        return tuple(Wrapped.build(config, f"layers[{index}]") for index, config in enumerate(configs))

    def validate(self) -> None:
        self.steps  # noqa: B018 - build the layers now, so their errors are spec errors

    def inputs(self, x: Shape) -> List[Shape]:
        """Each layer's input: x, then the previous layer's output."""
        shapes = [x]
        for step in self.steps:
            shapes.append(step.output_shape(shapes[-1]))
        return shapes

    def output_shape(self, x: Shape) -> Any:
        return self.inputs(x)[-1]

    def weights(self, x: Shape) -> List[Weight]:
        return [weight for step, shape in zip(self.steps, self.inputs(x)) for weight in step.weights(shape)]

    def macs(self, x: Shape, y: Any) -> Dim:
        return dim_sum([step.macs(shape) for step, shape in zip(self.steps, self.inputs(x))])

    def bias_adds(self, x: Shape, y: Any) -> Dim:
        return dim_sum([step.bias_adds(shape) for step, shape in zip(self.steps, self.inputs(x))])

    def elementwise(self, x: Shape, y: Any) -> Dim:
        return dim_sum([step.elementwise(shape) for step, shape in zip(self.steps, self.inputs(x))])
# -- image augmentation --------------------------------------------------------------------------------


@register
@rule
class RandomCrop(Layer):
    """Crops a random height × width window of images in training, the center one at inference (resizing first if
    an image is smaller), as CenterCrop; the two axes before the channels (channels_last) or the last two
    (channels_first).

    output: (batch, height, width, C), or (batch, C, height, width) channels_first; on any rank the
            height and width axes are counted from the end, so a rank-3 input is one image
    params: 0;  MACs: 0
    """

    height: NonNegativeInt
    width: NonNegativeInt
    seed: Any = None
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
class ContrastLimitedAdaptiveHistogramEqualization(Augmentation):
    __doc__ = Augmentation.__doc__
    value_range: Any = (0, 255)
    clip_limit: Any = 4.0
    tile_grid_size: Any = (8, 8)
    data_format: str = field(default="channels_last", metadata=DATA_FORMATS)


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
class MaxNumBoundingBoxes(Augmentation):
    """Pads or truncates the bounding boxes that come with the images to max_number; the images pass.

    output: the input's shape
    params: 0;  MACs: 0
    """

    max_number: Any
    fill_value: Any = -1
    bounding_box_format: Any = None
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
    """Blends each image with its grayscale version (training only). Unlike the other augmentation layers, Keras
    refuses an input that is not one image (rank 3) or a batch of images (rank 4).

    output: the input's shape
    params: 0;  MACs: 0
    """

    factor: Any
    value_range: Any = (0, 255)
    data_format: str = field(default="channels_last", metadata=DATA_FORMATS)
    seed: Any = None

    def output_shape(self, x: Shape) -> Shape:
        if len(x) not in (3, 4):
            raise ShapeError("Invalid images rank: expected rank 3 (single image) or rank 4 (batch of images), "
                             f"found rank {len(x)} {format_shape(x)}")
        return x


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
