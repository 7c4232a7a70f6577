"""The Report: numbers only, no formatting.  Renderers turn it into text."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Dict, List, Optional, Tuple, Union

from .dims import Dim, Shape, dim_sum, prod
from .record import Record, record


COLUMNS = ("params", "trainable_params", "non_trainable_params", "macs")


def number(value: Dim) -> Any:
    """A dimension or count for JSON: an int, null, or a symbolic expression as a string."""
    return value if value is None or isinstance(value, int) else str(value)


@dataclass(frozen=True, eq=False, repr=False)
class Counts(Record):
    """A layer's (or the model's) parameters, trainable and not, and MACs."""

    params: Dim
    trainable_params: Dim
    non_trainable_params: Dim
    macs: Dim
    buffers: Dim = 0  # elements of PyTorch buffers (not parameters); 0 in a Keras model
    # The parameters that run for one token, in a model with a mixture of experts (None in any other:
    # all of them run); the MACs are then the active path's.
    active_params: Dim = None

    def as_dict(self, buffers: bool = False) -> Dict[str, Any]:
        """The JSON counts; `buffers` for a framework that has them (torch), `active_params` for a mixture of
        experts, after the others."""
        data = {column: number(getattr(self, column)) for column in COLUMNS}
        if buffers:
            data["buffers"] = number(self.buffers)
        if self.active_params is not None:
            data["active_params"] = number(self.active_params)
        return data

    @staticmethod
    def summed(rows: List["LayerRow"]) -> "Counts":
        """The rows' counts, column by column (buffers too, and the active parameters of a mixture of experts)."""
        counts = [row.counts for row in rows]
        active = None if all(item.active_params is None for item in counts) else \
            dim_sum(item.active_params for item in counts)
        return Counts(*(dim_sum(getattr(item, column) for item in counts) for column in (*COLUMNS, "buffers")),
                      active)


@dataclass(frozen=True, eq=False, repr=False)
class InputRow(Record):
    """A model input as the report lists it."""

    name: str
    shape: Shape  # batch included
    dtype: Optional[str]  # as declared, else None


@dataclass(frozen=True, eq=False, repr=False)
class LayerRow(Record):
    """One layer's row: its shapes, counts and, when asked for, costs."""

    name: str
    type: str
    inputs: Tuple[str, ...]
    output_shapes: Tuple[Shape, ...]  # one per output (several for an LSTM with return_state)
    counts: Counts
    scope: Tuple[str, ...] = ()  # the block instances this layer is in, outermost first
    costs: Optional["LayerCosts"] = None  # FLOPs, memory and receptive field, when the analysis computed them
    shared_with: Optional[str] = None  # another call of that layer: its weights, counted on that layer's row
    call: int = 0  # which call of that layer (1, 2, ... in report order; the layer's own row is call 0)
    level: int = 0  # in the tree view (analysis.tree): blocks this row is nested in, as indentation
    expanded: bool = False  # in the tree view: a block's row with its children's rows under it
    dtype: Optional[str] = None  # the layer's own Keras dtype policy (its weights' and outputs' dtype), if it has one
    # (policy, trainable, non-trainable parameters) of each policy its weights are in, when a layer it wraps has
    # a policy of its own (Bidirectional's LSTM given dtype float16); () otherwise: all in `dtype`
    weight_dtypes: Tuple[Tuple[Optional[str], Dim, Dim], ...] = ()

    @property
    def output_shape(self) -> Union[Shape, List[Shape]]:
        """One shape, or a list of them for a layer with several outputs."""
        return self.output_shapes[0] if len(self.output_shapes) == 1 else list(self.output_shapes)


@record
class Report(Record):
    """Every layer's figures and the totals, as `summarize` returns them and every format renders them."""

    name: Optional[str]
    batch: Dim
    inputs: Tuple[InputRow, ...]
    layers: Tuple[LayerRow, ...]
    outputs: Tuple[str, ...]
    totals: Counts
    is_chain: bool
    blocks: Dict[str, Tuple[str, str]] = field(default_factory=dict)  # instance -> (block type, output reference)
    valid_when: Tuple[str, ...] = ()  # conditions on symbols for the figures to hold ('H >= 5')
    costs: Optional["ModelCosts"] = None  # conventions, cost totals and memory, when the analysis computed them
    columns: Optional[Tuple[str, ...]] = None  # the summary's columns when chosen (None: each format's defaults)
    shown: Tuple[str, ...] = ()  # optional figures asked for in the summary's text: "flops", "memory"
    tree: bool = False  # the rows are the tree view: blocks' rows with their children under them (analysis.tree)
    by_type: Tuple["TypeTotals", ...] = ()  # the totals per layer type, when asked for (analysis.totals_by_type)
    bytes_per_parameter: int = 4  # each weight's bytes in the report's dtype (float32 unless the spec or --dtype says)
    # {column: bytes} of the parameters, when layers have dtype policies of their own (each weighed in its own)
    parameter_byte_totals: Optional[Dict[str, Dim]] = None
    framework: str = "keras"  # whose semantics: torch models report their buffers beside the parameters

    @property
    def has_buffers(self) -> bool:
        """Whether the framework keeps buffers apart from parameters (PyTorch's register_buffer)."""
        return self.framework == "torch"

    def parameter_bytes(self, column: str) -> Dim:
        """The bytes of the parameters a column of the totals counts ("params", "trainable_params",
        "non_trainable_params"), as Keras' summary weighs them: count × the dtype's bytes (each layer's own, when
        layers have dtype policies of their own)."""
        if self.parameter_byte_totals is not None:
            return self.parameter_byte_totals[column]
        return prod([getattr(self.totals, column), self.bytes_per_parameter])

    def float32_inputs(self, conventions: "Conventions") -> bool:
        """Whether mixed precision leaves an input in float32 here: one without a declared dtype (costs.itemsize)."""
        return bool(conventions.mixed_precision) and any(row.dtype is None for row in self.inputs)

    def to_dict(self, layers_as_made: bool = False) -> Dict[str, Any]:
        """The JSON report (docs/report.md lists every field); layers_as_made: its "layers" as an iterator
        that makes each layer's mapping when it is reached (a writer need not hold them all)."""

        def shape(value):
            if isinstance(value, list):
                return [shape(item) for item in value]
            return [number(dim) for dim in value]

        costs = self.costs
        # Rows of a repeated layer share their Counts and LayerCosts (the analysis computes them once), so
        # each is written out once; a copy goes into each row.
        written: Dict[int, Dict[str, Any]] = {}

        def figures(value, *options) -> Dict[str, Any]:
            data = written.get(id(value))
            if data is None:
                data = written[id(value)] = value.as_dict(*options)
            return data

        return {
            "name": self.name,
            "inputs": [{"name": row.name, "shape": shape(row.shape),
                        **({"activation_bytes": number(costs.input_bytes[index])} if costs else {})}
                       for index, row in enumerate(self.inputs)],
            "layers": (list if not layers_as_made else iter)(
                {
                    "name": row.name,
                    "type": row.type,
                    "inputs": list(row.inputs),
                    "output_shape": shape(row.output_shape),
                    **figures(row.counts, self.has_buffers),
                    **(figures(row.costs) if row.costs else {}),
                    **({"scope": list(row.scope)} if row.scope else {}),
                    **({"dtype": row.dtype} if row.dtype else {}),
                    **({"shared_with": row.shared_with, "call": row.call} if row.shared_with else {}),
                }
                for row in self.layers
            ),
            "outputs": list(self.outputs),
            **({"by_type": [item.as_dict() for item in self.by_type]} if self.by_type else {}),
            "totals": {**self.totals.as_dict(self.has_buffers), **(costs.totals.as_dict() if costs else {}),
                       **(costs.training.as_dict() if costs and costs.training else {}),
                       **(costs.per_token.as_dict(costs.training is not None) if costs and costs.per_token else {})},
            **({"valid_when": list(self.valid_when)} if self.valid_when else {}),
            **({"memory": costs.memory.as_dict(),
                "conventions": {**costs.conventions.as_dict(costs.memory.attention, costs.per_token is not None),
                                **({"layer_dtypes": LAYER_DTYPES} if self.parameter_byte_totals is not None else {}),
                                **({"inputs": FLOAT32_INPUTS} if self.float32_inputs(costs.conventions) else {})}}
               if costs else {}),
        }


@record
class TypeTotals(Record):
    """One layer type's layers, their counts and (when computed) costs summed, as fvcore's by_operator."""

    type: str
    layers: int  # layers of this type (a layer called several times once; model inputs for InputLayer)
    counts: Counts  # MACs and costs: of every call
    costs: Optional["LayerCosts"] = None

    def as_dict(self) -> Dict[str, Any]:
        costs = {column: number(getattr(self.costs, column)) for column in COST_COLUMNS} if self.costs else {}
        return {"type": self.type, "layers": self.layers, **self.counts.as_dict(), **costs}


# -- costs beyond parameters and MACs (filled by the analysis, with calc/costs.py) ---------------------

COST_COLUMNS = ("flops", "bias_adds", "elementwise_ops", "activation_bytes")


def exact(value: Any) -> Any:
    """A receptive-field figure for JSON: an int, a float for a fraction (upsampling), a string if symbolic."""
    if isinstance(value, Fraction):
        return int(value) if value.denominator == 1 else float(value)
    return number(value)


@dataclass(frozen=True, eq=False, repr=False)
class ReceptiveField(Record):
    """The region of the input one output position depends on, per spatial axis, in input positions
    (Araujo et al., "Computing Receptive Fields of Convolutional Neural Networks", Distill 2019)."""

    axes: Tuple[int, ...]  # the output's spatial axes (batch = 0)
    size: Tuple[Any, ...]  # r: input positions one output position reads
    jump: Tuple[Any, ...]  # input positions between neighbouring output positions (effective stride)
    start: Tuple[Any, ...]  # where the first output position's field starts (negative: in the padding)
    jumps_differ: bool = False  # merged paths reach here with different jumps (the largest field is kept)
    includes_global: bool = False  # a merged path depends on the whole input (e.g. squeeze-and-excitation)

    def as_dict(self) -> Dict[str, Any]:
        flags = {name: True for name in ("jumps_differ", "includes_global") if getattr(self, name)}
        return {"axes": list(self.axes), **{name: [exact(value) for value in getattr(self, name)]
                                            for name in ("size", "jump", "start")}, **flags}


@dataclass(frozen=True, eq=False, repr=False)
class LayerCosts(Record):
    """A layer's FLOP terms, memory and receptive field, under the report's conventions."""

    flops: Dim  # under the report's conventions
    bias_adds: Dim
    elementwise_ops: Dim
    activation_bytes: Dim  # bytes of the layer's outputs (batch included when known)
    receptive_field: Optional[ReceptiveField] = None
    attention: bool = False  # an attention layer: it keeps scores for the backward pass and caches keys and values
    saved_bytes: Dim = 0  # bytes kept for the backward pass beyond the outputs (attention's, unless fused)
    kv_cache_bytes: Dim = 0  # bytes of the keys and values a decoder caches (batch included when known)

    def as_dict(self) -> Dict[str, Any]:
        data = {column: number(getattr(self, column)) for column in COST_COLUMNS}
        if self.attention:
            data.update(saved_bytes=number(self.saved_bytes), kv_cache_bytes=number(self.kv_cache_bytes))
        return {**data, **({"receptive_field": self.receptive_field.as_dict()} if self.receptive_field else {})}

    @staticmethod
    def combined(rows: List[LayerRow], output: Optional["LayerCosts"]) -> "LayerCosts":
        """A collapsed block's: its layers' counts and bytes summed, its output's receptive field."""
        sums = (dim_sum(getattr(row.costs, column) for row in rows) for column in COST_COLUMNS)
        return LayerCosts(*sums, receptive_field=output.receptive_field if output else None,
                          attention=any(row.costs.attention for row in rows),
                          saved_bytes=dim_sum(row.costs.saved_bytes for row in rows),
                          kv_cache_bytes=dim_sum(row.costs.kv_cache_bytes for row in rows))


@record
class Memory(Record):
    """Bytes under the report's dtype (activations under the mixed precision's, when one is given)."""

    parameters: Dim  # every weight, trainable or not
    activations: Dim  # every input and layer output (batch included when known)
    inference_peak: Dim  # the most activation bytes alive at once, outputs freed after their last consumer
    peak_layer: Optional[str]  # the layer running at that peak
    gradients: Dim  # one per trainable parameter
    optimizer_state: Dim  # the optimizer's slots per trainable parameter
    attention: bool = False  # the model has attention layers: the two figures below are shown
    attention_saved: Dim = 0  # attention's scores and probabilities kept for the backward pass (0 when fused)
    kv_cache: Dim = 0  # keys and values a generating decoder caches (causal self-attention, its cross-attention)

    @property
    def cached(self) -> bool:
        """Some layer caches keys and values (a decoder's attention): the KV cache and serving lines are shown."""
        return self.attention and self.kv_cache != 0

    @property
    def inference(self) -> Dim:
        return dim_sum([self.parameters, self.inference_peak])

    @property
    def serving(self) -> Dim:
        """What serving needs: the inference figure and the KV cache beside it (which that figure leaves out)."""
        return dim_sum([self.inference, self.kv_cache])

    @property
    def training(self) -> Dim:
        return dim_sum([self.parameters, self.gradients, self.optimizer_state, self.activations,
                        self.attention_saved])

    def as_dict(self) -> Dict[str, Any]:
        attention = {"attention_saved": number(self.attention_saved), "kv_cache": number(self.kv_cache)}
        return {"parameters": number(self.parameters), "activations": number(self.activations),
                **(attention if self.attention else {}),
                "inference_peak_activations": number(self.inference_peak), "inference_peak_layer": self.peak_layer,
                "inference": number(self.inference),
                **({"serving": number(self.serving)} if self.attention else {}), "gradients": number(self.gradients),
                "optimizer_state": number(self.optimizer_state), "training": number(self.training)}


@record
class Conventions(Record):
    """What the cost figures count, stated in every report so two reports never silently disagree."""

    dtype: str = "float32"
    bytes_per_element: int = 4
    optimizer: str = "adam"
    optimizer_slots: int = 2  # extra copies of each trainable parameter the optimizer keeps
    count_bias: bool = False  # FLOPs include bias additions
    count_elementwise: bool = False  # FLOPs include elementwise operations
    per_batch: bool = False  # MACs and FLOPs for the whole batch, not one example
    batch: Dim = None
    mixed_precision: Optional[str] = None  # activations (and KV cache) in this dtype, the rest in `dtype` (float32)
    activation_itemsize: Optional[int] = None  # bytes per activation element, when mixed_precision says
    attention: str = "materialized"  # attention's scores and probabilities kept for backward; "fused": none
    training_flops: bool = False  # report the training FLOPs per step and 6·N·tokens

    @property
    def bytes_per_activation(self) -> int:
        return self.activation_itemsize or self.bytes_per_element

    @property
    def flops(self) -> str:
        return "2*macs" + " + bias_adds" * self.count_bias + " + elementwise_ops" * self.count_elementwise

    def as_dict(self, attention: bool = False, tokens: bool = False) -> Dict[str, Any]:
        """What each figure assumes; the attention, precision, training-FLOPs and per-token conventions when
        they shape a figure of this report (a model with attention or token ids, or the option given)."""
        data = {"macs": "multiply-accumulates, bias additions excluded", "flops": self.flops,
                "per": "batch" if self.per_batch else "example", "batch": number(self.batch),
                "activations": "per example (the batch is unknown)" if self.batch is None else "whole batch",
                "dtype": self.dtype, "bytes_per_element": self.bytes_per_element, "optimizer": self.optimizer,
                "optimizer_slots": self.optimizer_slots,
                "inference_peak": "outputs freed after their last consumer, layers run in the report's order"}
        if self.mixed_precision:
            data.update(mixed_precision=self.mixed_precision, activation_dtype=self.mixed_precision,
                        activation_bytes_per_element=self.bytes_per_activation,
                        precision=f"parameters, gradients and optimizer states in {self.dtype}; activations, "
                                  f"attention's saved tensors and the KV cache in {self.mixed_precision}")
        if attention or self.attention != "materialized":
            data.update(attention=self.attention, attention_saved=ATTENTION_SAVED[self.attention],
                        kv_cache="2 (keys, values) x batch x key positions x key/value heads x head size, "
                                 "in the activations' dtype, for each attention that generation caches: causal "
                                 "self-attention (use_causal_mask) and a decoder block's cross-attention; "
                                 "encoders none", serving=SERVING)
        if self.training_flops:
            data.update(training_flops=TRAINING_FLOPS, training_flops_6nd=TRAINING_FLOPS_6ND)
        if tokens:
            data.update(flops_per_token=FLOPS_PER_TOKEN)
            if self.training_flops:
                data.update(training_flops_per_token=TRAINING_FLOPS_PER_TOKEN)
        return data


# Under mixed precision, a model's inputs with no declared dtype (costs.itemsize).
FLOAT32_INPUTS = ("inputs without a declared dtype in float32, as Keras' Input (backend.floatx()) and PyTorch "
                  "autocast leave them; declared ones in their dtype")
FLOAT32_INPUTS_NOTE = ", inputs float32"

# What the memory figures count when layers have dtype policies of their own (a spec's per-layer `dtype:`).
LAYER_DTYPES = ("each layer with a dtype policy of its own: its weights (and their gradients and optimizer states) "
                "in the policy's variable dtype, its outputs in its compute dtype (mixed_float16: float32 and float16)")
LAYER_DTYPES_NOTE = ", layers with a dtype of their own in theirs"

ATTENTION_SAVED = {
    "materialized": "each attention layer keeps its scores and their softmax (batch x heads x query positions x "
                    "key positions each) for the backward pass, counted in the training estimate",
    "fused": "a fused kernel (flash attention) keeps no scores: it recomputes them in the backward pass",
}
TRAINING_FLOPS = "3 x the forward FLOPs of the whole batch (backward = 2 x forward), per step"
TRAINING_FLOPS_6ND = ("6 x trainable params x tokens; tokens = the elements of the token-id input (B x T) for a "
                      "model whose first input is integer ids, else the batch's examples")

SERVING = ("parameters + the inference peak of outputs alive + the KV cache (which the inference figure leaves "
           "out)")
FLOPS_PER_TOKEN = ("the forward FLOPs (per example, or per batch with per: batch) / the token positions they cover: "
                   "the elements of the token-id input (T per example, B x T per batch); the average over positions, "
                   "every query attending to every key as in the attention layers' MACs; an int when exact, else a "
                   "float, null when symbols leave no exact quotient")
TRAINING_FLOPS_PER_TOKEN = "training_flops / training_tokens, as flops_per_token (3 x it)"


@dataclass(frozen=True)
class TokenFlops:
    """FLOPs per token of a model whose first input holds token ids (Conventions.as_dict says how)."""

    positions: Dim  # the token positions the forward FLOPs cover: T per example, B·T per batch
    forward: Any  # forward FLOPs ÷ positions: an int, a Fraction when not exact, symbolic, or None
    training: Any = None  # the training step's FLOPs ÷ its tokens, when the training FLOPs are asked for

    def as_dict(self, training: bool) -> Dict[str, Any]:
        return {"flops_per_token": exact(self.forward),
                **({"training_flops_per_token": exact(self.training)} if training else {})}


@record
class ModelCosts(Record):
    """The model's costs: the conventions, the layers' summed costs and the memory estimates."""

    conventions: Conventions
    totals: LayerCosts  # the layers' sums (no receptive field)
    memory: Memory
    input_bytes: Tuple[Dim, ...]  # bytes of each model input, as Report.inputs
    training: Optional["TrainingFlops"] = None  # when the conventions ask for it
    per_token: Optional[TokenFlops] = None  # in a model whose first input holds token ids


@record
class TrainingFlops(Record):
    """FLOPs of one training step, and the 6·N·tokens estimate beside it (Conventions.as_dict says how)."""

    flops: Dim  # 3 × forward FLOPs of the whole batch (per example when the batch is unknown)
    estimate_6nd: Dim  # 6 · trainable params · tokens
    tokens: Dim  # the token ids of the batch (B·T), or its examples
    unit: str  # "tokens" or "examples"

    def as_dict(self) -> Dict[str, Any]:
        return {"training_flops": number(self.flops), "training_flops_6nd": number(self.estimate_6nd),
                "training_" + self.unit: number(self.tokens)}
