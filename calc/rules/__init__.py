"""The layer registry and the base every layer rule derives from.

A rule is a frozen dataclass whose fields ARE the Keras arguments (Keras
names, Keras defaults), so the class is also the argument schema.  It has
three pure methods over shapes: `output_shape`, `weights` (parameter counts
are summed from weight shapes, as Keras counts the weights it creates) and
`macs` (multiply-accumulates for one example, bias additions excluded); and
three more for calc/costs.py, with defaults most layers keep: `bias_adds`,
`elementwise` (what FLOPs add to 2 × MACs) and `window` (receptive fields).
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Callable, ClassVar, Dict, List, NamedTuple, Optional, Sequence, Tuple, Union

from ..dims import Dim, Shape, format_shape, prod
from ..errors import ShapeError, SpecError, closest, describe

FAMILIES = (
    "core", "conv", "pooling", "reshaping", "preprocessing", "norm", "regularization", "activation", "rnn",
    "attention", "merge",
)

# Base-layer arguments every Keras layer takes that never change shapes or counts.
COMMON_IGNORED = ("dtype", "autocast", "activity_regularizer", "input_shape", "input_dim", "batch_size")


# Names of argument types, used as field annotations (see ARGUMENT_TYPES).
PositiveInt = NonNegativeInt = int
Size = Union[int, Tuple[int, ...]]
Axis = Union[int, Tuple[int, ...]]
TargetShape = Tuple[int, ...]
LayerConfig = Dict[str, Any]  # a wrapped layer: {type: LSTM, units: 64, ...}
Array = Union[float, Tuple[Any, ...]]  # a number or a (nested) list of numbers
Padding = Union[int, Tuple[Union[int, Tuple[int, ...]], ...]]
PartialShape = Union[int, Tuple[Optional[int], ...]]  # EinsumDense output_shape: null = not fixed


class Weight(NamedTuple):
    name: str
    shape: Shape
    trainable: bool = True


class Tap(NamedTuple):
    """One axis of a layer's sliding window, in the terms of Araujo et al., "Computing Receptive Fields
    of Convolutional Neural Networks" (Distill, 2019): each output position reads `kernel` consecutive
    input positions, the next output's start `stride` input positions further on, the first one's
    `padding` positions before the input's first (negative: cropped away)."""

    kernel: Optional[int]  # None: every position of the axis (see WHOLE)
    stride: Any = 1  # an int, or a Fraction below 1 where the layer upsamples
    padding: Any = 0  # an int, a Fraction, a symbolic expression, or None (unknown)


WHOLE = Tap(None)  # window(): the layer reads every position of this axis (Dense's last axis, a softmax axis)
PASS_THROUGH: Tuple[Tap, ...] = ()  # window(): the layer keeps the receptive field as it is


def rearranging(x: Shape) -> Tuple[Tap, ...]:
    """window() of a layer that moves every position (Flatten, Reshape, Permute, Resizing): it ends a receptive
    field, but keeps the model's own input as one, so windows after it count from its output."""
    return (None,) + (WHOLE,) * (len(x) - 1)


def activation_ops(name: Optional[str]) -> int:
    """Elementwise operations per element of a Keras activation: 0 for none (null, linear), 5 for softmax
    and log_softmax (tf.profiler's Softmax: shift, exp, normalize), 1 for any other function.

    >>> activation_ops(None), activation_ops("relu"), activation_ops("softmax")
    (0, 1, 5)
    """
    if name in (None, "linear"):
        return 0
    return SOFTMAX_OPS if name in SOFTMAXES else 1


SOFTMAXES = ("softmax", "log_softmax")  # activations that read the whole last axis
SOFTMAX_OPS = 5  # tf.profiler's Softmax per element: shift, exponentiate, sum, normalize, (log)


def ratio(numerator: int, denominator: int) -> Any:
    """numerator / denominator exactly: an int when it divides, else a Fraction.

    >>> ratio(4, 2), ratio(1, 2)
    (2, Fraction(1, 2))
    """
    return numerator // denominator if numerator % denominator == 0 else Fraction(numerator, denominator)


def elements(shape: Shape) -> Dim:
    """Elements of one example of a shape (batch axis excluded)."""
    return prod(shape[1:])


# Keras 3.15 keras.activations names (case-sensitive, as Keras reads them).
ACTIVATIONS = (
    "celu", "elu", "exponential", "gelu", "glu", "hard_shrink", "hard_sigmoid", "hard_silu", "hard_swish",
    "hard_tanh", "leaky_relu", "linear", "log_sigmoid", "log_softmax", "mish", "relu", "relu6", "selu",
    "sigmoid", "silu", "soft_shrink", "softmax", "softplus", "softsign", "sparse_plus", "sparse_sigmoid",
    "sparsemax", "squareplus", "swish", "tanh", "tanh_shrink", "threshold",
)


def choices(*values: str, ignore_case: bool = False, ignored: bool = False) -> Dict[str, Any]:
    """Field metadata for an argument that takes one of a few strings.

    ignore_case: Keras lowercases the value first (padding, data_format).
    ignored: the value is checked but changes no shape or count (activation).
    """
    return {"choices": values, "ignore_case": ignore_case, "ignored": ignored}


def activation_field(required: bool = False) -> Any:
    """An `activation` argument: a Keras activation name (or null), checked, then ignored."""
    metadata = choices(*ACTIVATIONS, ignored=True)
    return dataclasses.field(metadata=metadata) if required else dataclasses.field(default=None, metadata=metadata)


def renamed(keras_name: str, **field_kwargs: Any) -> Any:
    """A field for the Keras argument `keras_name` when that name is a rule method's
    (output_shape): declare it as `output_shape_`; specs, listings and messages use the Keras name."""
    return dataclasses.field(metadata={"keras_name": keras_name}, **field_kwargs)


def argument_name(f: dataclasses.Field) -> str:
    """The Keras name of the argument a field holds."""
    return f.metadata.get("keras_name", f.name)


def affects_shapes(f: dataclasses.Field) -> bool:
    """Whether an argument can change shapes or counts (the others are accepted and ignored)."""
    return str(f.type) != "Any" and not f.metadata.get("ignored", False)


# -- argument types ----------------------------------------------------------------
# Field annotations name one of these; each validator returns an error text or None.


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _int_list(value: Any, ok: Callable[[int], bool]) -> bool:
    return isinstance(value, (list, tuple)) and len(value) > 0 and all(_is_int(v) and ok(v) for v in value)


def array_shape(value: Any) -> Optional[Tuple[int, ...]]:
    """NumPy's shape of a number or a rectangular nested list of numbers; None for anything else.

    >>> array_shape(0.5), array_shape([[1, 2], [3, 4.5]]), array_shape([[1], [2, 3]])
    ((), (2, 2), None)
    """
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return ()
    if not isinstance(value, (list, tuple)):
        return None
    shapes = {array_shape(item) for item in value}
    if None in shapes or len(shapes) > 1:
        return None
    return (len(value), *(shapes.pop() if shapes else ()))


ARGUMENT_TYPES: Dict[str, Tuple[str, Callable[[Any], bool]]] = {
    "int": ("an integer", _is_int),
    "PositiveInt": ("a positive integer", lambda v: _is_int(v) and v >= 1),
    "NonNegativeInt": ("a non-negative integer", lambda v: _is_int(v) and v >= 0),
    "bool": ("true or false", lambda v: isinstance(v, bool)),
    "str": ("a string", lambda v: isinstance(v, str)),
    "float": ("a number", lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)),
    "Size": (
        "a positive integer or a list of positive integers",
        lambda v: (_is_int(v) and v >= 1) or _int_list(v, lambda i: i >= 1),
    ),
    "Axis": ("an integer or a list of integers", lambda v: _is_int(v) or _int_list(v, lambda i: True)),
    "TargetShape": (
        "a list of positive integers, with at most one -1",
        lambda v: isinstance(v, (list, tuple)) and all(_is_int(i) and (i >= 1 or i == -1) for i in v),
    ),
    "Padding": (
        "an integer, a list of integers, or a list of [before, after] pairs",
        lambda v: _is_int(v) or (
            isinstance(v, (list, tuple)) and len(v) > 0
            and all(_is_int(item) or _int_list(item, lambda i: True) for item in v)
        ),
    ),
    "PartialShape": (
        "a positive integer or a list of positive integers and nulls",
        lambda v: (_is_int(v) and v >= 1) or (
            isinstance(v, (list, tuple)) and len(v) > 0 and all(i is None or (_is_int(i) and i >= 1) for i in v)
        ),
    ),
    "Array": ("a number or a (nested, rectangular) list of numbers", lambda v: array_shape(v) is not None),
    "LayerConfig": (
        "a layer as a mapping with a 'type', such as {type: LSTM, units: 64}",
        lambda v: isinstance(v, dict) and isinstance(v.get("type"), str),
    ),
    "Any": ("any value", lambda v: True),
}


@functools.lru_cache(maxsize=None)
def _argument_type(annotation: str) -> Tuple[str, bool]:
    """('Size', True) for 'Size | None': the type name and whether null is allowed."""
    parts = [part.strip() for part in annotation.split("|")]
    optional = "None" in parts
    names = [part for part in parts if part != "None"]
    return (names[0] if names else "Any"), optional


# -- the base rule -------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Layer:
    """Base of all layer rules. Subclasses declare Keras arguments as fields."""

    family: ClassVar[str] = ""
    aliases: ClassVar[Tuple[str, ...]] = ()
    min_inputs: ClassVar[int] = 1
    max_inputs: ClassVar[Optional[int]] = 1  # None: any number; >1: x is a tuple of shapes

    # -- the three rules --------------------------------------------------------------
    def output_shape(self, x: Any) -> Any:
        raise NotImplementedError

    def weights(self, x: Any) -> List[Weight]:
        return []

    def macs(self, x: Any, y: Any) -> Dim:
        return 0

    # -- what FLOPs and receptive fields add (calc/costs.py) ------------------------------
    def bias_adds(self, x: Any, y: Any) -> Dim:
        """Bias additions for one example: one per output element when the layer has a weight named bias."""
        if any(weight.name == "bias" for weight in self.weights(x)):
            return elements(y[0] if isinstance(y, list) else y)
        return 0

    def elementwise(self, x: Any, y: Any) -> Dim:
        """Elementwise operations for one example (activation functions, normalization arithmetic, pooling
        windows, merges); by default the fused `activation`'s, on every output element."""
        ops = activation_ops(getattr(self, "activation", None))
        return prod([ops, elements(y[0] if isinstance(y, list) else y)]) if ops else 0

    def window(self, x: Any) -> Optional[Tuple[Optional[Tap], ...]]:
        """How the layer changes the receptive field: one Tap, WHOLE or None (kept as it is) for each axis
        of x, batch included; PASS_THROUGH for a layer that keeps the field as it is (elementwise layers,
        merges); None for one that ends it (Flatten, global pooling, recurrent layers: the default)."""
        return None

    # -- construction from spec arguments -------------------------------------------------
    def validate(self) -> None:
        """Checks across arguments; raise SpecError(argument=...) on failure."""

    @classmethod
    def keras_name(cls) -> str:
        return cls.__name__

    @classmethod
    def arguments(cls) -> Dict[str, dataclasses.Field]:
        """Keras argument name -> field (computed once per class)."""
        if "_arguments" not in cls.__dict__:
            cls._arguments = {argument_name(f): f for f in dataclasses.fields(cls)}
        return cls._arguments

    @classmethod
    def from_args(cls, args: Dict[str, Any]) -> "Layer":
        fields = cls.arguments()
        for key in args:
            if key not in fields and key not in COMMON_IGNORED:
                raise SpecError(
                    f"unknown argument '{key}'{closest(str(key), fields)}; "
                    f"{cls.keras_name()} takes: {', '.join(fields) or 'no arguments'}",
                    argument=key,
                )
        missing = [
            name
            for name, f in fields.items()
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING and name not in args
        ]
        if missing:
            raise SpecError(
                f"missing required argument '{missing[0]}' ({describe_type(fields[missing[0]])})"
            )
        values = {fields[key].name: check_argument(fields[key], value) for key, value in args.items() if key in fields}
        layer = cls(**values)
        layer.validate()
        return layer


def describe_type(f: dataclasses.Field) -> str:
    type_name, optional = _argument_type(str(f.type))
    if "choices" in f.metadata:
        text = "one of " + ", ".join(f.metadata["choices"])
    else:
        text = ARGUMENT_TYPES[type_name][0]
    return f"{text} or null" if optional else text


def check_argument(f: dataclasses.Field, value: Any) -> Any:
    """Validate one argument against its field; lists become tuples."""
    type_name, optional = _argument_type(str(f.type))
    if value is None and optional:
        return None
    allowed = f.metadata.get("choices")
    if allowed is not None:
        if f.metadata.get("ignore_case") and isinstance(value, str):
            value = value.lower()
        if value not in allowed:
            hint = closest(str(value), allowed) if isinstance(value, str) else ""
            raise SpecError(
                f"argument '{argument_name(f)}' must be {describe_type(f)}, found {describe(value)}{hint}",
                argument=argument_name(f),
            )
        return value
    if not ARGUMENT_TYPES[type_name][1](value):
        raise SpecError(f"argument '{argument_name(f)}' must be {describe_type(f)}, found {describe(value)}",
                        argument=argument_name(f))
    return tuple(value) if isinstance(value, list) else value


# -- registry ---------------------------------------------------------------------------------

REGISTRY: Dict[str, type] = {}  # canonical Keras class name -> rule class
ALIASES: Dict[str, str] = {}  # alias -> canonical name


def register(cls: type) -> type:
    """Class decorator: make a rule available under its Keras name and aliases."""
    cls.family = cls.__module__.rsplit(".", 1)[-1]
    REGISTRY[cls.__name__] = cls
    for alias in cls.aliases:
        ALIASES[alias] = cls.__name__
    return cls


# The family module that defines each type and alias, so a spec imports only the families it
# uses (importing all of them costs tens of milliseconds at start-up). A test checks it against
# the registry: a type missing here still works, through load_all().
FAMILY_OF = {
    "Activation": "core", "Dense": "core", "EinsumDense": "core", "Identity": "core",
    "Conv1D": "conv", "Conv1DTranspose": "conv", "Conv2D": "conv", "Conv2DTranspose": "conv", "Conv3D": "conv",
    "Conv3DTranspose": "conv", "Convolution1D": "conv", "Convolution1DTranspose": "conv", "Convolution2D": "conv",
    "Convolution2DTranspose": "conv", "Convolution3D": "conv", "Convolution3DTranspose": "conv",
    "DepthwiseConv1D": "conv", "DepthwiseConv2D": "conv", "SeparableConv1D": "conv", "SeparableConv2D": "conv",
    "SeparableConvolution1D": "conv", "SeparableConvolution2D": "conv",
    "AveragePooling1D": "pooling", "AveragePooling2D": "pooling", "AveragePooling3D": "pooling",
    "AvgPool1D": "pooling", "AvgPool2D": "pooling", "AvgPool3D": "pooling", "GlobalAveragePooling1D": "pooling",
    "GlobalAveragePooling2D": "pooling", "GlobalAveragePooling3D": "pooling", "GlobalAvgPool1D": "pooling",
    "GlobalAvgPool2D": "pooling", "GlobalAvgPool3D": "pooling", "GlobalMaxPool1D": "pooling",
    "GlobalMaxPool2D": "pooling", "GlobalMaxPool3D": "pooling", "GlobalMaxPooling1D": "pooling",
    "GlobalMaxPooling2D": "pooling", "GlobalMaxPooling3D": "pooling", "MaxPool1D": "pooling",
    "MaxPool2D": "pooling", "MaxPool3D": "pooling", "MaxPooling1D": "pooling", "MaxPooling2D": "pooling",
    "MaxPooling3D": "pooling",
    "Cropping1D": "reshaping", "Cropping2D": "reshaping", "Cropping3D": "reshaping", "Flatten": "reshaping",
    "Permute": "reshaping", "RepeatVector": "reshaping", "Reshape": "reshaping", "UpSampling1D": "reshaping",
    "UpSampling2D": "reshaping", "UpSampling3D": "reshaping", "ZeroPadding1D": "reshaping",
    "ZeroPadding2D": "reshaping", "ZeroPadding3D": "reshaping",
    "CenterCrop": "preprocessing", "Rescaling": "preprocessing", "Resizing": "preprocessing",
    "BatchNormalization": "norm", "GroupNormalization": "norm", "LayerNormalization": "norm",
    "Normalization": "norm", "RMSNormalization": "norm", "UnitNormalization": "norm",
    "AlphaDropout": "regularization", "Dropout": "regularization", "GaussianDropout": "regularization",
    "GaussianNoise": "regularization", "SpatialDropout1D": "regularization", "SpatialDropout2D": "regularization",
    "SpatialDropout3D": "regularization",
    "ELU": "activation", "LeakyReLU": "activation", "PReLU": "activation", "ReLU": "activation",
    "Softmax": "activation",
    "Bidirectional": "rnn", "ConvLSTM1D": "rnn", "ConvLSTM2D": "rnn", "ConvLSTM3D": "rnn", "Embedding": "rnn",
    "GRU": "rnn", "LSTM": "rnn", "SimpleRNN": "rnn", "TimeDistributed": "rnn",
    "AdditiveAttention": "attention", "Attention": "attention", "MultiHeadAttention": "attention",
    "Add": "merge", "Average": "merge", "Concatenate": "merge", "Dot": "merge", "Maximum": "merge",
    "Minimum": "merge", "Multiply": "merge", "Subtract": "merge",
}

_LOADED = []


def load_all() -> Dict[str, type]:
    """Import every family module once, so the registry is complete."""
    if not _LOADED:
        for family in FAMILIES:
            importlib.import_module(f"{__name__}.{family}")
        _LOADED.append(True)
    return REGISTRY


def lookup(type_name: str, ignore_case: bool = False) -> Optional[type]:
    """The rule class for a Keras layer name or alias, or None."""
    known = REGISTRY.get(ALIASES.get(type_name, type_name))
    if known is not None:
        return known
    family = None if ignore_case else FAMILY_OF.get(type_name)
    if family is not None:
        importlib.import_module(f"{__name__}.{family}")
        rule_class = REGISTRY.get(ALIASES.get(type_name, type_name))
        if rule_class is not None:
            return rule_class
    load_all()
    if ignore_case:
        by_lower = {name.lower(): name for name in all_type_names()}
        type_name = by_lower.get(type_name.lower(), type_name)
    canonical = ALIASES.get(type_name, type_name)
    return REGISTRY.get(canonical)


def all_type_names() -> List[str]:
    load_all()
    return sorted([*REGISTRY, *ALIASES])


@functools.lru_cache(maxsize=None)
def snake_case(name: str) -> str:
    """Keras' auto-name prefix for a class name.

    >>> snake_case("MaxPooling2D"), snake_case("BatchNormalization"), snake_case("Conv2DTranspose")
    ('max_pooling2d', 'batch_normalization', 'conv2d_transpose')
    """
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


# -- helpers shared by the families ---------------------------------------------------------


def expect_rank(x: Shape, rank: int, layout: str) -> None:
    """Refuse an input whose rank (batch included) is not `rank`."""
    if len(x) != rank:
        raise ShapeError(f"expected input of rank {rank} {layout}, found rank {len(x)} {format_shape(x)}")


SPATIAL_NAMES = {1: ("steps",), 2: ("height", "width"), 3: ("depth", "height", "width")}


def split_channels(x: Shape, data_format: str, spatial_rank: int) -> Tuple[Dim, Tuple[Dim, ...], Dim]:
    """(batch, spatial dims, channels) of a conv-style input in either data format."""
    spatial = SPATIAL_NAMES[spatial_rank]
    axes = ("channels", *spatial) if data_format == "channels_first" else (*spatial, "channels")
    expect_rank(x, spatial_rank + 2, f"(batch, {', '.join(axes)})")
    if data_format == "channels_first":
        return x[0], tuple(x[2:]), x[1]
    return x[0], tuple(x[1:-1]), x[-1]


def join_channels(batch: Dim, spatial: Sequence[Dim], channels: Dim, data_format: str) -> Shape:
    if data_format == "channels_first":
        return (batch, channels, *spatial)
    return (batch, *spatial, channels)


def spatial_axis(index: int, data_format: str) -> int:
    """Position in the full shape (batch = axis 0) of the index-th spatial axis."""
    return index + (2 if data_format == "channels_first" else 1)
