"""The base every layer rule derives from, and the helpers the families share.

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
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, ClassVar, Dict, List, NamedTuple, Optional, Sequence, Tuple

from ..dims import Dim, Shape, format_shape, prod
from ..errors import ShapeError, SpecError, closest
from ..record import Record
from .arguments import COMMON_IGNORED, argument_name, check_argument, describe_type


class Weight(NamedTuple):
    name: str
    shape: Shape
    trainable: bool = True
    buffer: bool = False  # a PyTorch buffer (BatchNorm's running_mean): state that is not a parameter
    dtype: Optional[str] = None  # the dtype policy of the wrapped layer that made it, when it has one of its own


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


# -- the base rule -------------------------------------------------------------------


def rule(cls: type) -> type:
    """A layer rule's dataclass: a frozen record (calc/record.py) of keyword-only fields, no method compiled for
    it (compiling them was a third of the CPU time of a ResNet-50 summary)."""
    return dataclass(init=False, kw_only=True, eq=False, repr=False)(cls)


@rule
class Layer(Record):
    """Base of all layer rules. Subclasses declare Keras arguments as fields (with @rule)."""

    family: ClassVar[str] = ""
    aliases: ClassVar[Tuple[str, ...]] = ()
    keras_class: ClassVar[str] = ""  # Keras' class name, where it differs from the name Keras exports (auto names)
    type_name: ClassVar[str] = ""  # the name a spec gives as its type (set by register: Dense, ops.add)
    min_inputs: ClassVar[int] = 1
    max_inputs: ClassVar[Optional[int]] = 1  # None: any number; >1: x is a tuple of shapes
    # Arguments of the layer's Keras call() that change its figures, which a later call may give
    # ({call: wte, reverse: true}); for_call() gives the rule for such a call.
    call_arguments: ClassVar[Tuple[str, ...]] = ()
    # Arguments every layer of the framework takes that never change shapes or counts (Keras' base Layer's).
    ignored_arguments: ClassVar[Tuple[str, ...]] = COMMON_IGNORED
    # Its `dtype` argument is a Keras layer's dtype policy: its weights' and outputs' dtype (not a keras.ops
    # function's, nor a torch module's).
    dtype_policy: ClassVar[bool] = True

    def rule_input(self, shapes: Sequence[Shape]) -> Any:
        """What the other methods take from the input shapes: one shape, or a tuple of them for a layer of
        several inputs (a recurrent layer's initial states are checked here, and its methods take the sequence)."""
        return shapes[0] if self.max_inputs == 1 else tuple(shapes)

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

    def saved_tensors(self, x: Any, y: Any) -> Dim:
        """Elements per example the layer keeps for the backward pass beyond its outputs, when they are
        materialized (attention's scores and probabilities); a fused kernel (flash attention) keeps none,
        which the analysis decides (calc/costs.py).  None by default."""
        return 0

    def kv_cache(self, x: Any, y: Any) -> Dim:
        """Elements per example of the keys and values a decoder caches for generation: the projected
        keys and values of every key position (attention layers).  None by default."""
        return 0

    def active_params(self, x: Any) -> Dim:
        """Parameters that run for one token, for a layer that routes each token through some of its weights
        (a mixture of experts); None (the default) where every weight runs."""
        return None

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
        return cls.type_name or cls.__name__

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
            if key not in fields and key not in cls.ignored_arguments:
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

    def called_with(self, arguments: Dict[str, Any]) -> "Layer":
        """The rule for a later call of this layer with these call arguments (none: the layer itself);
        an argument its call() does not take, or takes without changing a figure, is refused."""
        for key in arguments:
            if key not in self.call_arguments:
                takes = ", ".join(self.call_arguments)
                raise SpecError(f"a call of {self.keras_name()} takes "
                                f"{'only the call arguments ' + takes if takes else 'no arguments'}, found '{key}'"
                                f"{closest(str(key), self.call_arguments)}: it applies the layer as it is, with the "
                                "same arguments and weights", argument=key)
        return self.for_call(arguments) if arguments else self

    def for_call(self, arguments: Dict[str, Any]) -> "Layer":
        """The rule for a call with these (known) call arguments; a layer with call_arguments overrides it."""
        return self

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
