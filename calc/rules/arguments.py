"""The arguments a layer rule takes: the names of their types (used as field annotations),
how each type is checked and described, and field helpers (choices, activation, renamed).

A rule's fields ARE the Keras arguments; `check_argument` validates one spec value against
its field once, at the boundary, with the argument's name in the message.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any, Callable, Dict, Optional, Tuple, Union

from ..errors import SpecError, closest, describe

# Base-layer arguments every Keras layer takes that never change shapes or counts.
COMMON_IGNORED = ("dtype", "autocast", "activity_regularizer", "input_shape", "input_dim", "batch_size")

# A layer's `dtype` (Keras' per-layer dtype argument): the dtype policies it may name, whatever the spec's.
LAYER_DTYPES = ("float32", "float16", "bfloat16", "float64", "mixed_float16", "mixed_bfloat16")


def check_dtype_policy(value: Any) -> Optional[str]:
    """A layer's `dtype` checked: one of LAYER_DTYPES, or None (Keras' default: the model's policy)."""
    if value is not None and value not in LAYER_DTYPES:
        hint = closest(value, LAYER_DTYPES) if isinstance(value, str) else ""
        raise SpecError(f"dtype must be one of {', '.join(LAYER_DTYPES)} (Keras' dtype policies), found "
                        f"{describe(value)}{hint}", argument="dtype")
    return value


# Names of argument types, used as field annotations (see ARGUMENT_TYPES).
PositiveInt = NonNegativeInt = int
Size = Union[int, Tuple[int, ...]]
Axis = Union[int, Tuple[int, ...]]
TargetShape = Tuple[int, ...]
LayerConfig = Dict[str, Any]  # a wrapped layer: {type: LSTM, units: 64, ...}
LayerConfigs = Union[LayerConfig, Tuple[LayerConfig, ...]]  # RNN's cell: one layer config, or a list of them
Array = Union[float, Tuple[Any, ...]]  # a number or a (nested) list of numbers
Padding = Union[int, Tuple[Union[int, Tuple[int, ...]], ...]]
PartialShape = Union[int, Tuple[Optional[int], ...]]  # EinsumDense output_shape: null = not fixed
Vocabulary = Union[str, Tuple[Any, ...]]  # a lookup layer's tokens, or the path of a file of them
ConvPadding = Union[int, Tuple[int, ...], str]  # torch's Conv padding: ints, or 'same' / 'valid'
NonNegativeSize = Union[int, Tuple[int, ...]]  # torch's pooling padding
AxisNames = Tuple[Any, ...]  # Custom's input_axes: [B, H, W, C]; several inputs: [[B, L, C], [B, D]]
SizeExpression = Union[int, str]  # Custom's sizes: 64, or an expression of the input's axes, "H // 2"
SizeExpressions = Tuple[SizeExpression, ...]
WeightShapes = Dict[str, SizeExpressions]  # Custom's weights: {kernel: [3, 3, C, 64], bias: [64]}

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


def _is_size(value: Any) -> bool:
    return (_is_int(value) and value >= 0) or (isinstance(value, str) and value.strip() != "")


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
    "Vocabulary": (
        "a list of tokens, or the path of a file of tokens",
        lambda v: isinstance(v, str) or isinstance(v, (list, tuple)) and all(isinstance(i, (str, int)) for i in v),
    ),
    "Array": ("a number or a (nested, rectangular) list of numbers", lambda v: array_shape(v) is not None),
    "ConvPadding": (
        "a non-negative integer, a list of them, or 'same' or 'valid'",
        lambda v: v in ("same", "valid") or (_is_int(v) and v >= 0) or _int_list(v, lambda i: i >= 0),
    ),
    "NonNegativeSize": (
        "a non-negative integer or a list of them",
        lambda v: (_is_int(v) and v >= 0) or _int_list(v, lambda i: i >= 0),
    ),
    "LayerConfig": (
        "a layer as a mapping with a 'type', such as {type: LSTM, units: 64}",
        lambda v: isinstance(v, dict) and isinstance(v.get("type"), str),
    ),
    "LayerConfigs": (
        "a layer as a mapping with a 'type', or a list of them",
        lambda v: all(isinstance(item, dict) and isinstance(item.get("type"), str)
                      for item in (v if isinstance(v, (list, tuple)) else [v])),
    ),
    "AxisNames": ("a list of names, or one list of names per input",
                  lambda v: isinstance(v, (list, tuple)) and (all(isinstance(i, str) for i in v) or all(
                      isinstance(i, (list, tuple)) and all(isinstance(n, str) for n in i) for i in v))),
    "SizeExpression": ("an integer or an expression of input_axes' names", _is_size),
    "SizeExpressions": ("a list of integers and expressions of input_axes' names (null: unknown)",
                        lambda v: isinstance(v, (list, tuple)) and all(i is None or _is_size(i) for i in v)),
    "WeightShapes": ("a mapping of weight names to shapes (lists of integers and expressions of input_axes' names)",
                     lambda v: isinstance(v, dict) and all(
                         isinstance(k, str) and isinstance(s, (list, tuple)) and all(_is_size(i) for i in s)
                         for k, s in v.items())),
    "Any": ("any value", lambda v: True),
}


@functools.lru_cache(maxsize=None)
def argument_type(annotation: str) -> Tuple[str, bool]:
    """('Size', True) for 'Size | None': the type name and whether null is allowed."""
    parts = [part.strip() for part in annotation.split("|")]
    optional = "None" in parts
    names = [part for part in parts if part != "None"]
    return (names[0] if names else "Any"), optional


def describe_type(f: dataclasses.Field) -> str:
    type_name, optional = argument_type(str(f.type))
    if "choices" in f.metadata:
        text = "one of " + ", ".join(f.metadata["choices"])
    else:
        text = ARGUMENT_TYPES[type_name][0]
    return f"{text} or null" if optional else text


def check_argument(f: dataclasses.Field, value: Any) -> Any:
    """Validate one argument against its field; lists become tuples."""
    type_name, optional = argument_type(str(f.type))
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


