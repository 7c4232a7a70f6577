"""The algebra of costs over what the analysis recorded: FLOPs under stated conventions, tensor bytes,
the memory figures and inference peak, and the receptive-field recurrence (Araujo et al., "Computing
Receptive Fields of Convolutional Neural Networks", Distill 2019).  Pure functions: the analysis
(calc/analysis.py) calls them in its one pass; they never call a rule.  Numbers only.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

from .dims import Dim, Shape, dim_sum, prod
from .errors import Param, UsageError, closest, describe
from .graph import parse_reference
from .record import Record
from .report import Conventions, LayerRow, Memory, ReceptiveField, Report
from .rules import PASS_THROUGH, Tap

# Bytes per element of each --dtype (and `dtype:` in a spec).
DTYPE_BYTES = {"float32": 4, "float16": 2, "bfloat16": 2, "int8": 1, "float64": 8}
# Integer inputs (token ids) keep their own size whatever the report's dtype, and so do float inputs of a
# declared dtype (FLOAT_BYTES).
INTEGER_BYTES = {"bool": 1, "int8": 1, "uint8": 1, "int16": 2, "uint16": 2, "int32": 4, "uint32": 4, "int64": 8,
                 "uint64": 8}
FLOAT_BYTES = {dtype: DTYPE_BYTES[dtype] for dtype in ("float16", "bfloat16", "float32", "float64")}
# Extra copies of each trainable parameter an optimizer keeps: momentum's velocity, RMSprop's mean
# square, Adam's first and second moments.
OPTIMIZER_SLOTS = {"sgd": 0, "momentum": 1, "rmsprop": 1, "adam": 2, "adamw": 2}
# Mixed precision as frameworks train today (Keras' "mixed_bfloat16" policy, PyTorch autocast): variables,
# gradients and optimizer states in float32, activations in the lower precision.
MIXED_PRECISION = {"bfloat16": 2, "float16": 2}
# What attention keeps for the backward pass: its scores and their softmax, or (a fused kernel) none.
ATTENTION = ("materialized", "fused")


def conventions(dtype: str = "float32", optimizer: str = "adam", count_bias: bool = False,
                count_elementwise: bool = False, mixed_precision: Optional[str] = None,
                attention: str = "materialized", training_flops: bool = False) -> Conventions:
    """What the cost figures count (whether MACs are per batch is the analysis' to say)."""
    for parameter, value, known in (("dtype", dtype, DTYPE_BYTES), ("optimizer", optimizer, OPTIMIZER_SLOTS),
                                    ("attention", attention, ATTENTION)):
        if value not in known:
            raise UsageError((Param(parameter), f" must be one of {', '.join(known)}, found {describe(value)}"
                              f"{closest(str(value), known)}"))
    if mixed_precision is not None:
        if mixed_precision not in MIXED_PRECISION:
            raise UsageError((Param("mixed_precision"), f" must be one of {', '.join(MIXED_PRECISION)}, found "
                              f"{describe(mixed_precision)}{closest(str(mixed_precision), MIXED_PRECISION)}"))
        if dtype != "float32":
            raise UsageError((Param("mixed_precision"), " keeps parameters, gradients and optimizer states in "
                              "float32, but ", Param("dtype"), f" is {dtype}: give one or the other"))
    return Conventions(dtype=dtype, bytes_per_element=DTYPE_BYTES[dtype], optimizer=optimizer,
                       optimizer_slots=OPTIMIZER_SLOTS[optimizer], count_bias=count_bias,
                       count_elementwise=count_elementwise, mixed_precision=mixed_precision,
                       activation_itemsize=MIXED_PRECISION.get(mixed_precision), attention=attention,
                       training_flops=training_flops)


def flops(macs: Dim, bias: Dim, ops: Dim, convention: Conventions) -> Dim:
    """FLOPs under the convention: 2 × MACs, plus bias additions and elementwise operations when it says so."""
    if macs is None:
        return None
    return dim_sum([2 * macs, bias if convention.count_bias else 0, ops if convention.count_elementwise else 0])


# -- memory ---------------------------------------------------------------------------------------


def layer_itemsizes(policy: Optional[str], variables: int, activations: int) -> Tuple[int, int]:
    """(bytes per weight, bytes per output element) of a layer under its Keras dtype policy, as Keras' DTypePolicy
    reads the name: mixed_float16 keeps float32 variables and computes (outputs) in float16, any other policy is
    both; a layer without a policy of its own takes the model's (`variables`, `activations`).

    >>> layer_itemsizes("mixed_bfloat16", 8, 8), layer_itemsizes("float16", 4, 4), layer_itemsizes(None, 4, 2)
    ((4, 2), (2, 2), (4, 2))
    """
    if policy is None:
        return variables, activations
    compute = policy.removeprefix("mixed_")
    return DTYPE_BYTES["float32" if compute != policy else compute], DTYPE_BYTES[compute]


def parameter_bytes(rows: Sequence[LayerRow], bytes_per_parameter: int) -> Dict[str, Dim]:
    """The bytes of the parameters of each column ("params", "trainable_params", "non_trainable_params"), as Keras'
    summary weighs them: each weight in its layer's policy's variable dtype (a wrapped layer's own policy's for its
    weights), else `bytes_per_parameter`."""
    trainable: List[Dim] = []
    frozen: List[Dim] = []
    for row in rows:
        for policy, trainable_params, frozen_params in row.weight_dtypes or (
                (row.dtype, row.counts.trainable_params, row.counts.non_trainable_params),):
            itemsize = layer_itemsizes(policy, bytes_per_parameter, bytes_per_parameter)[0]
            trainable.append(prod([trainable_params, itemsize]))
            frozen.append(prod([frozen_params, itemsize]))
    return {"params": dim_sum([*trainable, *frozen]), "trainable_params": dim_sum(trainable),
            "non_trainable_params": dim_sum(frozen)}


def itemsize(dtype: Optional[str], convention: Conventions) -> int:
    """An input's bytes per element: a declared integer or float dtype's own; an input without one is in the
    numbers' dtype (--dtype, `dtype:`), float32 under mixed precision, as Keras' Input (backend.floatx()) and
    PyTorch autocast leave the model's input; any other (a string input) in the activations'."""
    if dtype is None:
        return convention.bytes_per_element
    return INTEGER_BYTES.get(dtype) or FLOAT_BYTES.get(dtype, convention.bytes_per_activation)


def attention_bytes(elements: Dim, batch: Dim, convention: Conventions, saved: bool, bytes_per_element: int) -> Dim:
    """Bytes of a layer's saved tensors (saved, and none when the convention fuses attention) or KV cache, from
    its elements per example: the whole batch when known, in the layer's activations' dtype."""
    if saved and convention.attention == "fused" or elements == 0:
        return 0
    return prod([elements, bytes_per_element, 1 if batch is None else batch])


def training_flops(forward: Dim, trainable: Dim, tokens: Dim, convention: Conventions) -> Tuple[Dim, Dim]:
    """(3 × the forward FLOPs of the whole batch, 6 · trainable params · tokens): a backward pass costs
    twice the forward (a product's gradient with respect to its input, and to its weight)."""
    batch = convention.batch
    step = forward if convention.per_batch or batch is None else prod([forward, batch])
    return prod([3, step]), prod([6, trainable, tokens])


def per_token(total: Dim, tokens: Dim) -> Union[Dim, Fraction]:
    """total ÷ tokens: an int when it divides exactly, else the exact Fraction; with symbols, the quotient when
    every term is a multiple of tokens (2·(T·T + T) ÷ T = 2·T + 2), else None, as when a figure is unknown."""
    if total is None or tokens is None or tokens == 0:
        return None
    if type(total) is int and type(tokens) is int:
        quotient = Fraction(total, tokens)
        return int(quotient) if quotient.denominator == 1 else quotient
    from .symbolic import exact_quotient

    return exact_quotient(total, tokens)


def tensor_bytes(shapes: Sequence[Shape], bytes_per_element: int) -> Dim:
    """Bytes of these tensors, the batch axis included when known."""
    total: Dim = 0
    for shape in shapes:
        size = prod(shape[1:])
        if size is None:
            return None
        total = total + size * bytes_per_element * (1 if shape[0] is None else shape[0])
    return total


def memory(report: Report, input_bytes: Tuple[Dim, ...], convention: Conventions) -> Memory:
    """The model's memory figures from the report's rows (each with its costs) and its inputs' bytes."""
    rows = report.layers
    trainable = report.parameter_bytes("trainable_params")  # gradients and optimizer slots: in the weights' dtypes
    peak, peak_layer = _inference_peak(report, rows, input_bytes)
    return Memory(parameters=report.parameter_bytes("params"),
                  activations=dim_sum([*input_bytes, *(row.costs.activation_bytes for row in rows)]),
                  inference_peak=peak, peak_layer=peak_layer, gradients=trainable,
                  optimizer_state=prod([trainable, convention.optimizer_slots]),
                  attention=any(row.costs.attention for row in rows),
                  attention_saved=dim_sum(row.costs.saved_bytes for row in rows),
                  kv_cache=dim_sum(row.costs.kv_cache_bytes for row in rows))


def _inference_peak(report: Report, rows: Sequence[LayerRow],
                    input_bytes: Tuple[Dim, ...]) -> Tuple[Dim, Optional[str]]:
    """The most bytes alive at once running the layers in the report's order, each layer's outputs (all
    of them) allocated while its inputs are alive and freed after their last consumer; the model's
    outputs stay.  Exact for that order; None when a size is unknown or symbols decide the maximum."""
    last_use: Dict[str, int] = {}
    for index, row in enumerate(rows):
        for reference in row.inputs:
            last_use[parse_reference(reference)[0]] = index
    for reference in report.outputs:
        last_use[parse_reference(reference)[0]] = len(rows)
    freed: Dict[int, List[Dim]] = {}  # step -> sizes of the tensors freed after it
    for row, size in zip(report.inputs, input_bytes):
        freed.setdefault(last_use.get(row.name, -1), []).append(size)
    for row in rows:
        freed.setdefault(last_use.get(row.name, len(rows)), []).append(row.costs.activation_bytes)
    live: Dim = dim_sum(input_bytes)
    peak: Dim = live
    peak_layer = None
    for index, row in enumerate(rows):
        live = dim_sum([live, row.costs.activation_bytes])
        larger = _at_least(live, peak)
        if larger is None:
            return None, None
        if larger and (live != peak or peak_layer is None):
            peak, peak_layer = live, row.name
        for size in freed.get(index, ()):
            live = live - size
    return peak, peak_layer


def _at_least(a: Dim, b: Dim) -> Optional[bool]:
    """a >= b, or None when unknown or decided by the symbols' values."""
    if type(a) is int and type(b) is int:  # the common case, first
        return a >= b
    if a is None or b is None:
        return None
    if not any(hasattr(value, "terms") for value in (a, b)):  # ints and Fractions (jumps after upsampling)
        return a >= b
    from .symbolic import surely_at_least

    return surely_at_least(a, b)


# -- receptive fields ---------------------------------------------------------------------------

ORIGIN = "origin"  # a model input: any axis a window slides over starts as one position, jump 1, start 0
Entry = Tuple[Any, Any, Any]  # one spatial axis: (size, jump, start), in input positions
IDENTITY: Entry = (1, 1, 0)


@dataclass(frozen=True, eq=False, repr=False)
class Field(Record):
    """The receptive field of a tensor: an Entry on each spatial axis (None on the others, batch included)."""

    entries: Tuple[Optional[Entry], ...]
    jumps_differ: bool = False
    includes_global: bool = False


FieldState = Union[str, Field, None]  # ORIGIN, a Field, or None: ended (depends on the whole input)


def propagate(window: Optional[Tuple[Optional[Tap], ...]], sources: List[FieldState], x: Any,
               y: Shape) -> FieldState:
    if window is None:
        return None
    if window == PASS_THROUGH:
        return sources[0] if len(sources) == 1 else _merge(sources, x, y)
    return _apply(sources[0], window)


def _apply(source: FieldState, window: Tuple[Optional[Tap], ...]) -> FieldState:
    """Araujo et al.'s recurrence on each axis: r' = r + (k - 1)·j, j' = j·s, u' = u - p·j."""
    if source is None:
        return None
    slides = any(tap is not None and tap.kernel is not None for tap in window)
    if source == ORIGIN:
        if not slides:
            return ORIGIN
        return Field(tuple(_step(IDENTITY, tap) if tap is not None and tap.kernel is not None else None
                           for tap in window))
    entries = []
    for entry, tap in zip(source.entries, window):
        if tap is None or entry is None:
            entries.append(entry if tap is None else None)
        elif tap.kernel is None:
            return None  # reads a whole spatial axis: depends on the whole input
        else:
            entries.append(_step(entry, tap))
    if all(entry is None for entry in entries):
        return None
    return Field(tuple(entries), source.jumps_differ, source.includes_global)


def _step(entry: Entry, tap: Tap) -> Entry:
    size, jump, start = entry
    return (_add(size, _times(tap.kernel - 1, jump)), _times(jump, tap.stride),
            _add(start, _times(-1, _times(tap.padding, jump))))


def _merge(sources: List[FieldState], x: Tuple[Shape, ...], y: Shape) -> FieldState:
    """Inputs merged (Add, Concatenate, ...): on each axis the largest field, noting different jumps and
    inputs that depend on the whole input; the inputs' axes align on the right, as Keras broadcasts."""
    fields = [source for source in sources if isinstance(source, Field)]
    if not fields:
        return None if all(source is None for source in sources) else ORIGIN
    spatial = set()
    aligned = []
    for source, shape in zip(sources, x):
        shift = len(y) - len(shape)
        if isinstance(source, Field):
            entries = {index + shift: entry for index, entry in enumerate(source.entries) if index and entry}
            spatial |= set(entries)
            aligned.append(entries)
    if ORIGIN in sources:
        aligned.append({index: IDENTITY for index in spatial})
    merged = []
    differ = any(field.jumps_differ for field in fields)
    for index in range(len(y)):
        candidates = [entries[index] for entries in aligned if index in entries]
        if not candidates:
            merged.append(None)
            continue
        differ = differ or any(entry[1] != candidates[0][1] for entry in candidates)
        merged.append(_largest(candidates))
    return Field(tuple(merged), differ, None in sources or any(field.includes_global for field in fields))


def _largest(candidates: List[Entry]) -> Entry:
    best = candidates[0]
    for entry in candidates[1:]:
        larger = _at_least(entry[0], best[0])
        if larger is None:
            return (None, None, None)
        if larger and entry[0] != best[0]:
            best = entry
    return best


def receptive_field(state: FieldState) -> Optional[ReceptiveField]:
    if not isinstance(state, Field):
        return None
    axes = tuple(index for index, entry in enumerate(state.entries) if entry is not None)
    size, jump, start = (tuple(state.entries[index][part] for index in axes) for part in range(3))
    return ReceptiveField(axes, size, jump, start, state.jumps_differ, state.includes_global)


def _add(a: Any, b: Any) -> Any:
    return _exactly(lambda: a + b, a, b)


def _times(a: Any, b: Any) -> Any:
    return _exactly(lambda: a * b, a, b)


def _exactly(operation, a: Any, b: Any) -> Any:
    """An operation on ints, Fractions and symbolic expressions; None when a value is unknown or a symbolic
    expression meets a fraction (no exact form for that)."""
    if a is None or b is None:
        return None
    try:
        result = operation()
    except TypeError:
        return None
    return int(result) if isinstance(result, Fraction) and result.denominator == 1 else result
