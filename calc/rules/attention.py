"""Attention layers: MultiHeadAttention and GroupQueryAttention (built from EinsumDense
projections, as in Keras) and the parameter-light Attention and AdditiveAttention.

Each takes Keras' call argument return_attention_scores as a layer argument: the scores
are then output 1 (`mha:1`), with the shape a call on real tensors returns.  MultiHeadAttention
and GroupQueryAttention also take the call argument use_causal_mask as a layer argument: a
causal self-attention is a decoder's, whose keys and values generation caches (the KV cache);
any other attention (an encoder's, a cross-attention of a plain Keras model) caches none."""

from __future__ import annotations

import string
from dataclasses import field
from typing import Any, Dict, List, Tuple

from ..dims import Dim, Shape, dim_sum, format_dim, format_shape, prod
from ..errors import ShapeError, SpecError
from .arguments import Axis, PositiveInt, Size, choices, renamed
from .base import SOFTMAX_OPS, Layer, Weight, rule
from .core import EinsumDense, known_last_axis, parse_einsum
from .registry import register

IGNORED = {"ignored": True}  # checked, but changes no shape or count


def agree(dims: Dict[str, Dim], where: str) -> Dim:
    """The one known size among the named `dims` (None if none is known); refuse two different ones.

    >>> agree({"query": 8, "key": None}, "on the last axis")
    8
    """
    known = [dim for dim in dims.values() if dim is not None]
    if any(dim != known[0] for dim in known):
        *first, last = dims
        names = f"{', '.join(first)} and {last}"
        found = ", ".join(f"{name} {format_dim(dim)}" for name, dim in dims.items())
        raise ShapeError(f"{names} must be equal {where}, found {found}")
    return known[0] if known else None


def split_inputs(x: Tuple[Shape, ...]) -> Tuple[Shape, Shape, Shape]:
    """(query, value, key) from [query, value] or [query, value, key]."""
    return x[0], x[1], x[2] if len(x) > 2 else x[1]


def projection(free: int, bound: int, out: int) -> Tuple[str, str]:
    """Keras' _build_proj_equation: an EinsumDense equation and its bias letters.

    >>> projection(2, 1, 2)
    ('abc,cde->abde', 'de')
    """
    letters = string.ascii_lowercase
    free_letters, bound_letters = letters[:free], letters[free:free + bound]
    out_letters = letters[free + bound:free + bound + out]
    return f"{free_letters}{bound_letters},{bound_letters}{out_letters}->{free_letters}{out_letters}", out_letters


Projections = List[Tuple[str, EinsumDense, Shape]]  # (name, EinsumDense, its input shape) for each projection


def refuse_flash_attention_conflicts(layer: Any) -> None:
    """What Keras refuses with flash_attention: dropout (when the layer is made), returning the scores (when
    it is called)."""
    if layer.flash_attention and layer.dropout > 0:
        raise SpecError(f"dropout {layer.dropout} cannot be used with flash_attention (Keras refuses it)",
                        argument="dropout")
    if layer.flash_attention and layer.return_attention_scores:
        raise SpecError("return_attention_scores cannot be used with flash_attention (Keras refuses it when the "
                        "layer is called)", argument="return_attention_scores")


def projection_weights(projections: Projections) -> List[Weight]:
    return [Weight(f"{name}/{weight.name}", weight.shape, weight.trainable)
            for name, layer, shape in projections for weight in layer.weights(shape)]


def projection_macs(projections: Projections, products: Dim) -> Dim:
    """The projections' MACs + the score and weighted-sum products."""
    return dim_sum([products, *(layer.macs(shape, None) for _, layer, shape in projections)])


def projection_bias_adds(projections: Projections) -> Dim:
    """Each projection's bias on each of its output elements (batch excluded)."""
    return dim_sum([layer.analyze(shape).count(parse_einsum(layer.equation)[2])
                    for _, layer, shape in projections if layer.bias_axes is not None])


def scaled_softmax_ops(rows: Dim, key_length: Dim, heads: int, key_dim: int, value_dim: int, gate: bool) -> Dim:
    """The query scaled by 1/√key_dim, the scores' softmax (5 per score), and with a gate its sigmoid and its
    product with the attention output."""
    gated = prod([2, rows, heads, value_dim]) if gate else 0
    return dim_sum([prod([rows, heads, key_dim]), prod([SOFTMAX_OPS, rows, key_length, heads]), gated])


@register
@rule
class MultiHeadAttention(Layer):
    """Multi-head attention of query over value (key = value unless given).

    Inputs [query, value] or [query, value, key], all of one rank, 3 or
    more. H = num_heads, dk = key_dim, dv = value_dim (default key_dim),
    out = output_shape (default: query's last axis); attention runs over
    attention_axes (default: every axis between batch and the last).
    rows, krows: the query's, the key's axes between batch and last;
    Tk: the key's sizes on the attention axes; dq, dkey, dval: the
    query's, key's and value's last axes.
    output: (*query[:-1], *out)
    params: query, key, value kernels (dq|dkey|dval, H, dk|dk|dv) + biases
            (H, dk|dk|dv) (use_bias); output kernel (H, dv, *out) + bias
            out; use_gate adds a gate kernel (dq, H, dv) + bias (H, dv)
    MACs:   projections rows·dq·H·dk + krows·dkey·H·dk + krows·dval·H·dv
            + rows·H·dv·out (+ rows·dq·H·dv for the gate), + Q·Kᵀ
            rows·Tk·H·dk + attention·V rows·Tk·H·dv
    return_attention_scores adds the scores (batch, the query's axes
    that are not attention axes, H, the query's attention axes, the
    key's), as a call returns them (Keras' symbolic shape
    (batch, H, Tq, Tq) is right only for rank 3 and Tk = Tq)
    KV cache: with use_causal_mask (a decoder's self-attention),
    krows·H·(dk + dv) per example; none otherwise
    """

    min_inputs = 2
    max_inputs = 3

    num_heads: PositiveInt
    key_dim: PositiveInt
    value_dim: PositiveInt | None = None
    dropout: float = field(default=0.0, metadata=IGNORED)
    use_bias: bool = True
    output_shape_: Size | None = renamed("output_shape", default=None)
    attention_axes: Axis | None = None
    sliding_window: PositiveInt | None = field(default=None, metadata=IGNORED)
    flash_attention: bool | None = field(default=None, metadata=IGNORED)
    kernel_initializer: Any = "glorot_uniform"
    bias_initializer: Any = "zeros"
    kernel_regularizer: Any = None
    bias_regularizer: Any = None
    activity_regularizer: Any = None
    kernel_constraint: Any = None
    bias_constraint: Any = None
    use_gate: bool = False
    seed: Any = None
    return_attention_scores: bool = False  # a call argument in Keras
    use_causal_mask: bool = False  # a call argument in Keras: a decoder's self-attention, with a KV cache

    def validate(self) -> None:
        refuse_flash_attention_conflicts(self)

    @property
    def heads_value_dim(self) -> int:
        return self.value_dim or self.key_dim

    @property
    def out(self) -> Tuple[int, ...]:
        value = self.output_shape_
        return (value,) if isinstance(value, int) else tuple(value or ())

    def axes(self, x: Tuple[Shape, ...]) -> Tuple[int, ...]:
        """The attention axes, checked against the inputs (what Keras needs to run the layer)."""
        query, value, key = split_inputs(x)
        if value[1:-1] != key[1:-1]:
            raise ShapeError(f"value {format_shape(value)} and key {format_shape(key)} must be equal on every "
                             "axis but the last")
        if len(query) != len(value) or len(query) < 3:
            raise ShapeError(f"query {format_shape(query)} and value {format_shape(value)} must have the same rank, "
                             "3 or more: (batch, ..., features)")
        for name, shape in (("query", query), ("value", value), ("key", key)):
            known_last_axis(shape, f"MultiHeadAttention's {name}")
        rank = len(query)
        given = self.attention_axes
        axes = tuple(range(1, rank - 1)) if given is None else (given,) if isinstance(given, int) else given
        axes = tuple(axis + rank if axis < 0 else axis for axis in axes)
        for axis in axes:
            if not 1 <= axis <= rank - 2 or axes.count(axis) > 1:
                raise ShapeError(f"attention_axes {given} must name distinct axes between the batch and the last "
                                 f"(1 to {rank - 2}) of the inputs, rank {rank}", argument="attention_axes")
        for axis in range(1, rank - 1):
            if axis not in axes:
                agree({"query": query[axis], "key": key[axis]}, f"on axis {axis}, which is not an attention axis")
        return axes

    def projections(self, x: Tuple[Shape, ...]) -> Projections:
        """(name, EinsumDense, its input shape) for each projection Keras builds."""
        query, value, key = split_inputs(x)
        rank = len(query)
        heads = (self.num_heads,)

        def dense(bound: int, out: Tuple[int, ...]) -> EinsumDense:
            equation, bias_axes = projection(rank - 1, bound, len(out))
            return EinsumDense(equation=equation, output_shape_=(None,) * (rank - 2) + out,
                               bias_axes=bias_axes if self.use_bias else None)

        dk, dv = self.key_dim, self.heads_value_dim
        layers = [("query", dense(1, (*heads, dk)), query), ("key", dense(1, (*heads, dk)), key)]
        if self.use_gate:
            layers.append(("gate", dense(1, (*heads, dv)), query))
        layers.append(("value", dense(1, (*heads, dv)), value))
        layers.append(("attention_output", dense(2, self.out or (query[-1],)), (*query[:-1], *heads, dv)))
        return layers

    def output_shape(self, x: Tuple[Shape, ...]) -> Any:
        axes = self.axes(x)
        query, _, key = split_inputs(x)
        output = (*query[:-1], *self.out) if self.out else query
        if not self.return_attention_scores:
            return output
        # Keras' einsum "(batch dims), heads, query attention axes, key attention axes" (_build_attention_equation)
        others = [agree({"query": query[axis], "key": key[axis]}, f"on axis {axis}")
                  for axis in range(1, len(query) - 1) if axis not in axes]
        scores = (query[0], *others, self.num_heads, *(query[axis] for axis in axes), *(key[axis] for axis in axes))
        return [output, scores]

    def weights(self, x: Tuple[Shape, ...]) -> List[Weight]:
        self.axes(x)
        return projection_weights(self.projections(x))

    def lengths(self, x: Tuple[Shape, ...]) -> Tuple[Dim, Dim]:
        """(rows, Tk): the query's positions and the key positions each one attends over."""
        axes = self.axes(x)
        query, _, key = split_inputs(x)
        return prod(query[1:-1]), prod(key[axis] for axis in axes)

    def macs(self, x: Tuple[Shape, ...], y: Any) -> Dim:
        rows, key_length = self.lengths(x)
        products = prod([rows, key_length, self.num_heads, self.key_dim + self.heads_value_dim])
        return projection_macs(self.projections(x), products)

    def bias_adds(self, x: Tuple[Shape, ...], y: Any) -> Dim:
        """Each projection's bias on each of its outputs (use_bias)."""
        self.axes(x)
        return projection_bias_adds(self.projections(x))

    def elementwise(self, x: Tuple[Shape, ...], y: Any) -> Dim:
        """The query scaled by 1/√dk, the scores' softmax (5 per score), and with use_gate the gate's sigmoid
        and its product with the attention output."""
        rows, key_length = self.lengths(x)
        return scaled_softmax_ops(rows, key_length, self.num_heads, self.key_dim, self.heads_value_dim, self.use_gate)

    def saved_tensors(self, x: Tuple[Shape, ...], y: Any) -> Dim:
        """The scores and their softmax, H·rows·Tk each, kept for the backward pass."""
        rows, key_length = self.lengths(x)
        return prod([2, self.num_heads, rows, key_length])

    def key_values(self, x: Tuple[Shape, ...]) -> Dim:
        """Projected keys (H·dk) and values (H·dv) at every key position."""
        self.axes(x)
        _, _, key = split_inputs(x)
        return prod([*key[1:-1], self.num_heads, self.key_dim + self.heads_value_dim])

    def kv_cache(self, x: Tuple[Shape, ...], y: Any) -> Dim:
        """The keys and values a causal self-attention caches for generation (use_causal_mask); none otherwise."""
        return self.key_values(x) if self.use_causal_mask else 0


@register
@rule
class GroupQueryAttention(Layer):
    """Grouped-query attention (Keras' class GroupedQueryAttention): Hq query heads
    in groups of Hq / Hkv, each group sharing one key and one value head.

    Inputs [query, value] or [query, value, key], each (batch, length,
    features); query and value of one width d. Hq = num_query_heads,
    Hkv = num_key_value_heads (dividing Hq), h = head_dim; Tq, Tk: the
    query's and the key's lengths; dkey: the key's width.
    output: query's shape
    params: query kernel (d, Hq, h), key (dkey, Hkv, h), value (d, Hkv, h)
            + biases (Hq|Hkv|Hkv, h) (use_bias); output kernel (Hq, h, d) +
            bias d; use_gate adds a gate kernel (d, Hq, h) + bias (Hq, h)
    MACs:   projections Tq·d·Hq·h + Tk·dkey·Hkv·h + Tk·d·Hkv·h + Tq·Hq·h·d
            (+ Tq·d·Hq·h for the gate), + Q·Kᵀ Tq·Tk·Hq·h + attention·V
            Tq·Tk·Hq·h: Keras repeats each key and value head for the Hq / Hkv
            query heads of its group (copies) and multiplies per query head
    return_attention_scores adds the scores (batch, Hq, Tq, Tk)
    KV cache: with use_causal_mask (a decoder's self-attention),
    2·Tk·Hkv·h per example; none otherwise
    """

    min_inputs = 2
    max_inputs = 3
    keras_class = "GroupedQueryAttention"

    head_dim: PositiveInt
    num_query_heads: PositiveInt
    num_key_value_heads: PositiveInt
    dropout: float = field(default=0.0, metadata=IGNORED)
    use_bias: bool = True
    sliding_window: PositiveInt | None = field(default=None, metadata=IGNORED)
    flash_attention: bool | None = field(default=None, metadata=IGNORED)
    kernel_initializer: Any = "glorot_uniform"
    bias_initializer: Any = "zeros"
    kernel_regularizer: Any = None
    bias_regularizer: Any = None
    activity_regularizer: Any = None
    kernel_constraint: Any = None
    bias_constraint: Any = None
    use_gate: bool = False
    seed: Any = None
    return_attention_scores: bool = False  # a call argument in Keras
    use_causal_mask: bool = False  # a call argument in Keras: a decoder's self-attention, with a KV cache

    def validate(self) -> None:
        if self.num_query_heads % self.num_key_value_heads:
            raise SpecError(f"num_query_heads {self.num_query_heads} must be divisible by num_key_value_heads "
                            f"{self.num_key_value_heads}", argument="num_key_value_heads")
        refuse_flash_attention_conflicts(self)

    def check(self, x: Tuple[Shape, ...]) -> Tuple[Shape, Shape, Shape]:
        """(query, value, key), checked as Keras needs them to run the layer."""
        query, value, key = split_inputs(x)
        if not len(query) == len(value) == len(key) == 3:
            raise ShapeError(f"query {format_shape(query)}, value {format_shape(value)} and key {format_shape(key)} "
                             "must have rank 3: (batch, length, features)")
        features = known_last_axis(query, "GroupQueryAttention's query")
        if value[-1] != features:
            raise ShapeError(f"query and value must be equal on the last axis, found query {format_dim(features)}, "
                             f"value {format_dim(value[-1])}")
        if value[1] != key[1]:
            raise ShapeError(f"value {format_shape(value)} and key {format_shape(key)} must be equal in length "
                             "(axis 1)")
        known_last_axis(key, "GroupQueryAttention's key")
        return query, value, key

    def projections(self, x: Tuple[Shape, ...]) -> Projections:
        """(name, EinsumDense, its input shape) for each projection, with Keras' equations."""
        query, value, key = self.check(x)
        queries, groups, size = self.num_query_heads, self.num_key_value_heads, self.head_dim

        def dense(equation: str, out: Tuple[Dim, ...], bias_axes: str) -> EinsumDense:
            return EinsumDense(equation=equation, output_shape_=out, bias_axes=bias_axes if self.use_bias else None)

        layers = [("query", dense("bqm,muh->bquh", (None, queries, size), "uh"), query),
                  ("key", dense("bkm,mvh->bkvh", (None, groups, size), "vh"), key)]
        if self.use_gate:
            layers.append(("gate", dense("bqm,muh->bquh", (None, queries, size), "uh"), query))
        layers.append(("value", dense("bkm,mvh->bkvh", (None, groups, size), "vh"), value))
        layers.append(("attention_output", dense("bquh,uhm->bqm", (None, query[-1]), "m"),
                       (*query[:-1], queries, size)))
        return layers

    def output_shape(self, x: Tuple[Shape, ...]) -> Any:
        query, _, key = self.check(x)
        if not self.return_attention_scores:
            return query
        return [query, (query[0], self.num_query_heads, query[1], key[1])]

    def weights(self, x: Tuple[Shape, ...]) -> List[Weight]:
        return projection_weights(self.projections(x))

    def macs(self, x: Tuple[Shape, ...], y: Any) -> Dim:
        query, _, key = self.check(x)
        products = prod([query[1], key[1], self.num_query_heads, 2 * self.head_dim])
        return projection_macs(self.projections(x), products)

    def bias_adds(self, x: Tuple[Shape, ...], y: Any) -> Dim:
        """Each projection's bias on each of its outputs (use_bias)."""
        return projection_bias_adds(self.projections(x))

    def elementwise(self, x: Tuple[Shape, ...], y: Any) -> Dim:
        """As MultiHeadAttention's, with Hq heads; repeating the key and value heads is a copy."""
        query, _, key = self.check(x)
        return scaled_softmax_ops(query[1], key[1], self.num_query_heads, self.head_dim, self.head_dim, self.use_gate)

    def saved_tensors(self, x: Tuple[Shape, ...], y: Any) -> Dim:
        """The scores and their softmax, Hq·Tq·Tk each, kept for the backward pass."""
        query, _, key = self.check(x)
        return prod([2, self.num_query_heads, query[1], key[1]])

    def kv_cache(self, x: Tuple[Shape, ...], y: Any) -> Dim:
        """With use_causal_mask, keys and values of the Hkv shared heads (not repeated per query group), h each,
        at every key position; none otherwise."""
        _, _, key = self.check(x)
        return prod([2, key[1], self.num_key_value_heads, self.head_dim]) if self.use_causal_mask else 0


@rule
class ScoreAttention(Layer):
    """Attention of query (batch, ..., Tq, dim) over value (batch, ..., Tv, dv),
    scored against key (default: value); 2-D inputs attend across the batch
    (Tv = batch), as Keras' matrix product does.

    output: (*query[:-1], dv); return_attention_scores adds the scores
            (*query[:-1], Tv)
    params: see each layer
    MACs:   scores Tq·Tv·dim (a dot product, or the sum over dim of
            [scale·]tanh(q + k), counted as one multiply-accumulate per term)
            + weighted sum Tq·Tv·dv, times the axes between batch and Tq
    """

    min_inputs = 2
    max_inputs = 3

    def adds_query_and_key(self) -> bool:
        """Scores from tanh(query + key) (broadcast on the last axis) rather than query · key."""
        return True

    def score_dim(self, x: Tuple[Shape, ...]) -> Dim:
        """The length of the score's dot product or sum, after checking the inputs fit together."""
        query, value, key = split_inputs(x)
        if not len(query) == len(value) == len(key) >= 2:
            raise ShapeError(f"query {format_shape(query)}, value {format_shape(value)} and key {format_shape(key)} "
                             "must have the same rank, at least 2")
        for axis in range(1, len(query) - 2):
            agree({"query": query[axis], "value": value[axis], "key": key[axis]}, f"on axis {axis}")
        agree({"key": key[-2], "value": value[-2]}, "in length (axis -2)")
        dq, dk = query[-1], key[-1]
        if self.adds_query_and_key() and (dq == 1 or dk == 1):
            return dq if dk == 1 else dk
        return agree({"query": dq, "key": dk}, "on the last axis")

    def output_shape(self, x: Tuple[Shape, ...]) -> Any:
        self.score_dim(x)
        query, value, key = split_inputs(x)
        output = (*query[:-1], value[-1])
        if not self.return_attention_scores:  # each layer's last argument
            return output
        return [output, (*query[:-1], agree({"key": key[-2], "value": value[-2]}, "in length (axis -2)"))]

    def macs(self, x: Tuple[Shape, ...], y: Shape) -> Dim:
        query, value, key = split_inputs(x)
        return prod([*query[1:-1], key[-2], dim_sum([self.score_dim(x), value[-1]])])

    def elementwise(self, x: Tuple[Shape, ...], y: Shape) -> Dim:
        """The softmax (5 per score) and what each layer adds to the scores' products."""
        query, _, key = split_inputs(x)
        scores = prod([*query[1:-1], key[-2]])
        return dim_sum([prod([SOFTMAX_OPS, scores]), self.score_ops(scores, self.score_dim(x))])

    def score_ops(self, scores: Dim, dim: Dim) -> Dim:
        """Elementwise operations of the scores beyond their multiply-accumulates."""
        return prod([2, scores, dim])  # q + k and tanh for every term

    def saved_tensors(self, x: Tuple[Shape, ...], y: Shape) -> Dim:
        """The scores and their softmax, rows·Tv each; with scores from tanh(q + k), also the tanh of every
        term (rows·Tv·dim), which its gradient reads."""
        query, _, key = split_inputs(x)
        scores = prod([*query[1:-1], key[-2]])
        return dim_sum([prod([2, scores]), prod([scores, self.score_dim(x)]) if self.adds_query_and_key() else 0])


@register
@rule
class Attention(ScoreAttention):
    __doc__ = ScoreAttention.__doc__.replace(
        "params: see each layer", "params: scale () (use_scale) + concat_score_weight () (score_mode concat)")

    use_scale: bool = False
    score_mode: str = field(default="dot", metadata=choices("dot", "concat"))
    dropout: Any = 0.0
    seed: Any = None
    return_attention_scores: bool = False  # a call argument in Keras

    def adds_query_and_key(self) -> bool:
        return self.score_mode == "concat"

    def score_ops(self, scores: Dim, dim: Dim) -> Dim:
        if self.score_mode == "dot":
            return scores if self.use_scale else 0  # scores · scale
        # q + k, [scale ·], tanh for every term; concat_score_weight · the sum
        return dim_sum([prod([2 + self.use_scale, scores, dim]), scores])

    def weights(self, x: Tuple[Shape, ...]) -> List[Weight]:
        weights = [Weight("scale", ())] if self.use_scale else []
        return weights + ([Weight("concat_score_weight", ())] if self.score_mode == "concat" else [])


@register
@rule
class AdditiveAttention(ScoreAttention):
    __doc__ = ScoreAttention.__doc__.replace("params: see each layer", "params: scale (query_dim,) (use_scale)")

    use_scale: bool = True
    dropout: Any = 0.0
    return_attention_scores: bool = False  # a call argument in Keras

    def weights(self, x: Tuple[Shape, ...]) -> List[Weight]:
        if not self.use_scale:
            return []
        return [Weight("scale", (known_last_axis(x[0], "AdditiveAttention's scale (query's last axis)"),))]
