"""torch.nn's attention and transformer layers: MultiheadAttention (kdim, vdim, bias, add_bias_kv,
add_zero_attn, batch_first), TransformerEncoderLayer and TransformerDecoderLayer (norm_first, bias,
dim_feedforward), composed from the MultiheadAttention, Linear and LayerNorm rules, and TransformerEncoder
(num_layers copies of a layer given as an argument, and a norm).

As Keras' attention, a KV cache is a causal self-attention's only: each takes the argument of forward()
that says so (MultiheadAttention's and TransformerEncoderLayer's is_causal, TransformerDecoderLayer's
tgt_is_causal) as a module argument; without it the layer caches nothing."""

from __future__ import annotations

from dataclasses import field
from fractions import Fraction
from functools import cached_property
from typing import Any, ClassVar, List, Tuple

from ...dims import Dim, Shape, dim_sum, format_shape, prod
from ...errors import ShapeError, SpecError
from ..arguments import LayerConfig, PositiveInt, choices
from ..base import SOFTMAX_OPS, Weight, elements, rule
from ..registry import register
from .base import Module, inferred
from .linear import Linear
from .norm import LayerNorm


@register
@rule
class MultiheadAttention(Module):
    """Attention of query over key and value, `inputs: [query, key, value]`, in num_heads heads of
    embed_dim / num_heads.  Layout (N, L, E) with batch_first, else (L, N, E) (axis 0, what a spec calls the
    batch, is then the sequence); (L, E) unbatched.  S' = S (+1 add_bias_kv, +1 add_zero_attn).

    output: the query's shape; the attention weights averaged over the heads (N, L, S') as output 1
    params: in_proj_weight 3E·E (kdim = vdim = E), else q_proj_weight E·E + k_proj_weight E·kdim +
            v_proj_weight E·vdim; + in_proj_bias 3E (bias) + out_proj E·E + E (bias) + bias_k, bias_v E
            each (add_bias_kv)
    MACs:   per axis-0 slice: the projections (query and output 2·E² per query position, key kdim·E and
            value vdim·E per key position) + the scores and their weighted sum 2·E per query and key position
    KV cache: with is_causal (forward()'s, a decoder's self-attention) keys and values 2·E per key position;
            none otherwise
    """

    min_inputs = 3
    max_inputs = 3
    embed_dim: PositiveInt | None = None  # inferred from the query when omitted
    num_heads: PositiveInt
    dropout: float = 0.0
    bias: bool = True
    add_bias_kv: bool = False
    add_zero_attn: bool = False
    kdim: PositiveInt | None = None
    vdim: PositiveInt | None = None
    batch_first: bool = False
    is_causal: bool = False  # an argument of forward(): a decoder's self-attention, with a KV cache

    def validate(self) -> None:
        if self.embed_dim is not None and self.embed_dim % self.num_heads:
            raise SpecError(f"embed_dim {self.embed_dim} must be divisible by num_heads {self.num_heads}",
                            argument="num_heads")

    def sizes(self, x: Tuple[Shape, Shape, Shape]) -> Tuple[int, int, int]:
        """(E, kdim, vdim), checked against the inputs."""
        query, key, value = x
        if not len(query) == len(key) == len(value) or len(query) not in (2, 3):
            raise ShapeError("query, key and value must all be 2D (unbatched) or 3D (batched), found "
                             f"{', '.join(map(format_shape, x))}")
        embed = inferred(self.embed_dim, query[-1], "embed_dim", query, "features on its last axis")
        if embed % self.num_heads:
            raise ShapeError(f"embed_dim {embed} must be divisible by num_heads {self.num_heads}", argument="num_heads")
        kdim = inferred(self.kdim or embed, key[-1], "kdim", key, "features on its last axis")
        vdim = inferred(self.vdim or embed, value[-1], "vdim", value, "features on its last axis")
        if key[:-1] != value[:-1]:
            raise ShapeError(f"key {format_shape(key)} and value {format_shape(value)} must match but for their "
                             "last axis")
        if len(query) == 3:
            batch = 0 if self.batch_first else 1
            if None not in (query[batch], key[batch]) and query[batch] != key[batch]:
                raise ShapeError(f"query {format_shape(query)} and key {format_shape(key)} must have the same "
                                 f"batch (axis {batch})")
        return embed, kdim, vdim

    def lengths(self, x: Tuple[Shape, Shape, Shape]) -> Tuple[Dim, Dim]:
        """(L, S'): query positions and attended key positions."""
        query, key, _ = x
        axis = 1 if len(query) == 3 and self.batch_first else 0
        return query[axis], dim_sum([key[axis], int(self.add_bias_kv), int(self.add_zero_attn)])

    def output_shape(self, x: Tuple[Shape, Shape, Shape]) -> List[Shape]:
        embed, _, _ = self.sizes(x)
        query = x[0]
        length, keys = self.lengths(x)
        if len(query) == 2:
            weights = (length, keys)
        else:
            weights = (query[0 if self.batch_first else 1], length, keys)
        return [(*query[:-1], embed), weights]

    def weights(self, x: Tuple[Shape, Shape, Shape]) -> List[Weight]:
        embed, kdim, vdim = self.sizes(x)
        if kdim == vdim == embed:
            weights = [Weight("in_proj_weight", (3 * embed, embed))]
        else:
            weights = [Weight("q_proj_weight", (embed, embed)), Weight("k_proj_weight", (embed, kdim)),
                       Weight("v_proj_weight", (embed, vdim))]
        weights += [Weight("in_proj_bias", (3 * embed,))] * self.bias
        weights += [Weight("bias_k", (1, 1, embed)), Weight("bias_v", (1, 1, embed))] * self.add_bias_kv
        return weights + [Weight("out_proj.weight", (embed, embed))] + [Weight("out_proj.bias", (embed,))] * self.bias

    def slices(self, x: Tuple[Shape, Shape, Shape]) -> Tuple[Dim, Dim]:
        """(query positions, key positions) in one axis-0 slice: one example's with batch_first, else one
        position of the N sequences (keys S·N/L of them), or one position (unbatched)."""
        query, key, _ = x
        if len(query) == 3 and self.batch_first:
            return query[1], key[1]
        sequences = query[1] if len(query) == 3 else 1
        if key[0] == query[0]:
            return sequences, sequences
        if isinstance(key[0], int) and isinstance(query[0], int) and isinstance(sequences, int):
            keys = Fraction(key[0] * sequences, query[0])
            return sequences, keys.numerator if keys.denominator == 1 else None
        return sequences, None

    def macs(self, x: Tuple[Shape, Shape, Shape], y: Any) -> Dim:
        embed, kdim, vdim = self.sizes(x)
        rows, keys = self.slices(x)
        _, attended = self.lengths(x)
        return dim_sum([prod([rows, 2 * embed, embed]), prod([keys, kdim + vdim, embed]),
                        prod([rows, attended, 2 * embed])])

    def bias_adds(self, x: Tuple[Shape, Shape, Shape], y: Any) -> Dim:
        embed, _, _ = self.sizes(x)
        rows, keys = self.slices(x)
        return prod([dim_sum([prod([rows, 2]), prod([keys, 2])]), embed]) if self.bias else 0

    def elementwise(self, x: Tuple[Shape, Shape, Shape], y: Any) -> Dim:
        """The query scaled by 1/√d and the scores' softmax (5 per score), per head."""
        embed, _, _ = self.sizes(x)
        rows, _ = self.slices(x)
        _, attended = self.lengths(x)
        return dim_sum([prod([rows, embed]), prod([SOFTMAX_OPS, self.num_heads, rows, attended])])

    def saved_tensors(self, x: Tuple[Shape, Shape, Shape], y: Any) -> Dim:
        rows, _ = self.slices(x)
        _, attended = self.lengths(x)
        return prod([2, self.num_heads, rows, attended])

    def kv_cache(self, x: Tuple[Shape, Shape, Shape], y: Any) -> Dim:
        if not self.is_causal:
            return 0
        embed, _, _ = self.sizes(x)
        _, keys = self.slices(x)
        return prod([2, keys, embed])


@rule
class TransformerLayer(Module):
    """Base of the transformer layers: the feed-forward block (linear1 d_model -> dim_feedforward, linear2
    back) and the layer norms, each of their rules' figures."""

    d_model: PositiveInt
    nhead: PositiveInt
    dim_feedforward: PositiveInt = 2048
    dropout: float = 0.1
    activation: str = field(default="relu", metadata=choices("relu", "gelu", ignored=True))
    layer_norm_eps: Any = 1e-05
    batch_first: bool = False
    norm_first: bool = False
    bias: bool = True

    norms: ClassVar[int] = 2  # LayerNorms, one per residual sum

    def attention(self, cached: bool = False) -> MultiheadAttention:
        """The layer's MultiheadAttention; `cached`: one whose keys and values a decoder caches."""
        return MultiheadAttention(embed_dim=self.d_model, num_heads=self.nhead, bias=self.bias,
                                  batch_first=self.batch_first, is_causal=cached)

    def parts(self, x: Shape) -> List[Tuple[str, Any, Any]]:
        """(name, rule, its input) of every module inside, in torch's order of named_modules."""
        raise NotImplementedError

    def feed_forward(self, x: Shape) -> List[Tuple[str, Any, Any]]:
        hidden = (*x[:-1], self.dim_feedforward)
        norm = LayerNorm(normalized_shape=self.d_model, bias=self.bias)
        return [("linear1", Linear(out_features=self.dim_feedforward, bias=self.bias), x),
                ("linear2", Linear(out_features=self.d_model, bias=self.bias), hidden),
                *((f"norm{index}", norm, x) for index in range(1, self.norms + 1))]

    def validate(self) -> None:
        self.attention().validate()

    def output_shape(self, x: Any) -> Shape:
        for _, part, part_input in self.parts(x):
            part.output_shape(part_input)
        return x[0] if isinstance(x, tuple) and isinstance(x[0], tuple) else x

    def weights(self, x: Any) -> List[Weight]:
        return [Weight(f"{name}.{weight.name}", weight.shape, weight.trainable, weight.buffer)
                for name, part, part_input in self.parts(x) for weight in part.weights(part_input)]

    def _sum(self, method: str, x: Any) -> Dim:
        return dim_sum(getattr(part, method)(part_input, part.output_shape(part_input))
                       for _, part, part_input in self.parts(x))

    def macs(self, x: Any, y: Any) -> Dim:
        return self._sum("macs", x)

    def bias_adds(self, x: Any, y: Any) -> Dim:
        return self._sum("bias_adds", x)

    def elementwise(self, x: Any, y: Any) -> Dim:
        """Its parts', the activation (1 per hidden element) and the residual sums (one per output element
        each)."""
        own = x[0] if isinstance(x, tuple) and isinstance(x[0], tuple) else x
        hidden = prod([*own[1:-1], self.dim_feedforward])
        return dim_sum([self._sum("elementwise", x), hidden, prod([self.norms, elements(own)])])

    def saved_tensors(self, x: Any, y: Any) -> Dim:
        return self._sum("saved_tensors", x)

    def kv_cache(self, x: Any, y: Any) -> Dim:
        return self._sum("kv_cache", x)


@register
@rule
class TransformerEncoderLayer(TransformerLayer):
    """Self-attention and a feed-forward block, each with a residual sum and a LayerNorm (after, or before
    with norm_first), on (N, L, d_model) with batch_first, else (L, N, d_model).

    output: x
    params: self_attn (MultiheadAttention d_model, nhead, bias) + linear1 d_model·dim_feedforward
            + dim_feedforward + linear2 dim_feedforward·d_model + d_model (bias) + norm1, norm2 2·d_model each
    MACs:   its MultiheadAttention's and two Linears'
    KV cache: with is_causal (forward()'s: a decoder-only stack), self_attn's keys and values; none otherwise
    """

    is_causal: bool = False  # an argument of forward()

    def parts(self, x: Shape) -> List[Tuple[str, Any, Any]]:
        if len(x) not in (2, 3):
            raise ShapeError(f"expected a 2D (unbatched) or 3D (batched) input, found {format_shape(x)}")
        return [("self_attn", self.attention(self.is_causal), (x, x, x)), *self.feed_forward(x)]


@register
@rule
class TransformerDecoderLayer(TransformerLayer):
    """Self-attention over the target, attention over the memory, and a feed-forward block, each with a
    residual sum and a LayerNorm; `inputs: [tgt, memory]`.

    output: tgt's shape
    params: self_attn + multihead_attn (MultiheadAttention d_model, nhead, bias) + linear1 + linear2
            + norm1, norm2, norm3
    MACs:   its two MultiheadAttentions' and two Linears'
    KV cache: with tgt_is_causal (forward()'s), the keys and values of both attentions, the target's and the
            memory's, as a generating decoder caches them (Keras Hub's TransformerDecoder, transformers'
            EncoderDecoderCache); none otherwise
    """

    min_inputs = 2
    max_inputs = 2
    norms = 3

    tgt_is_causal: bool = False  # an argument of forward()

    def parts(self, x: Tuple[Shape, Shape]) -> List[Tuple[str, Any, Any]]:
        target, memory = x
        if len(target) not in (2, 3):
            raise ShapeError(f"expected a 2D (unbatched) or 3D (batched) input, found {format_shape(target)}")
        cached = self.tgt_is_causal
        return [("self_attn", self.attention(cached), (target, target, target)),
                ("multihead_attn", self.attention(cached), (target, memory, memory)), *self.feed_forward(target)]


@register
@rule
class TransformerEncoder(Module):
    """num_layers copies of encoder_layer (`{type: TransformerEncoderLayer, d_model: 512, nhead: 8}`), then
    the optional norm (`{type: LayerNorm, normalized_shape: 512}`).

    output: x
    params: num_layers · encoder_layer's (layers.0., layers.1., ...) + norm's
    MACs:   num_layers · encoder_layer's + norm's
    """

    encoder_layer: LayerConfig
    num_layers: PositiveInt
    norm: LayerConfig | None = None
    enable_nested_tensor: Any = True
    mask_check: Any = True

    @cached_property
    def parts(self) -> List[Any]:
        from ..wrapped import Wrapped

        layers = [Wrapped.build(self.encoder_layer, "encoder_layer", "torch")]
        return layers + ([Wrapped.build(self.norm, "norm", "torch")] if self.norm is not None else [])

    def validate(self) -> None:
        self.parts  # noqa: B018 - built now, so errors point at the argument

    def output_shape(self, x: Shape) -> Shape:
        for part in self.parts:
            part.output_shape(x)
        return x

    def weights(self, x: Shape) -> List[Weight]:
        layer, *norm = self.parts
        weights = [weight for index in range(self.num_layers) for weight in layer.weights(x, f"layers.{index}.")]
        return weights + [weight for part in norm for weight in part.weights(x, "norm.")]

    def _sum(self, method: str, x: Shape) -> Dim:
        layer, *norm = self.parts
        return dim_sum([prod([self.num_layers, getattr(layer, method)(x)]), *(getattr(part, method)(x)
                                                                                for part in norm)])

    def macs(self, x: Shape, y: Shape) -> Dim:
        return self._sum("macs", x)

    def bias_adds(self, x: Shape, y: Shape) -> Dim:
        return self._sum("bias_adds", x)

    def elementwise(self, x: Shape, y: Shape) -> Dim:
        return self._sum("elementwise", x)

    def saved_tensors(self, x: Shape, y: Shape) -> Dim:
        layer, *_ = self.parts
        return prod([self.num_layers, layer.rule.saved_tensors(x, x)])

    def kv_cache(self, x: Shape, y: Shape) -> Dim:
        layer, *_ = self.parts
        return prod([self.num_layers, layer.rule.kv_cache(x, x)])
