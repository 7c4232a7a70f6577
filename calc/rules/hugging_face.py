"""Hugging Face transformers' modules that no Keras layer matches, with the arguments of the model
configuration (config.json) that shape them, composed from the Keras rules they equal in part.

These rules are what `layercalc summary config.json` builds (calc/readers/hf_config.py); their
figures are checked against the per-module parameter counts transformers itself gives for the same
configurations (tests/data/hf, made by tools/hf_reference.py on PyTorch's meta device), not against
Keras, which has no such layers."""

from __future__ import annotations

from typing import Any, List, Tuple

from ..dims import Dim, Shape, format_shape, prod
from ..errors import ShapeError, SpecError
from .arguments import PositiveInt
from .attention import GroupQueryAttention, MultiHeadAttention
from .base import SOFTMAX_OPS, Layer, Weight, rule
from .conv import Conv2D
from .core import known_last_axis
from .registry import register


@register
@rule
class Qwen2Attention(Layer):
    """Qwen2's self-attention (transformers' Qwen2Attention, also Qwen2-MoE's):
    grouped-query attention whose query, key and value projections have
    biases and whose output projection has none.

    Input (batch, T, d); Hq = num_attention_heads, Hkv = num_key_value_heads
    (dividing Hq), h = head_dim.
    output: x
    params: q_proj d·Hq·h + Hq·h, k_proj and v_proj d·Hkv·h + Hkv·h each,
            o_proj Hq·h·d (no bias)
    MACs:   as GroupQueryAttention's of the same sizes: projections
            T·d·(Hq + 2·Hkv)·h + T·Hq·h·d, + Q·Kᵀ and attention·V
            T·T·Hq·h each
    elementwise, saved tensors and KV cache are GroupQueryAttention's (a
    causal one: always a decoder's); bias additions one per query, key and
    value element.
    """

    num_attention_heads: PositiveInt
    num_key_value_heads: PositiveInt
    head_dim: PositiveInt

    def attention(self) -> GroupQueryAttention:
        """GroupQueryAttention of the same sizes without biases: every figure but the biases; causal, as
        transformers' module always is (a decoder's: its keys and values are cached)."""
        return GroupQueryAttention(num_query_heads=self.num_attention_heads, num_key_value_heads=self.num_key_value_heads,
                                   head_dim=self.head_dim, use_bias=False, use_causal_mask=True)

    def validate(self) -> None:
        if self.num_attention_heads % self.num_key_value_heads:
            raise SpecError(f"num_attention_heads {self.num_attention_heads} must be divisible by "
                            f"num_key_value_heads {self.num_key_value_heads}", argument="num_key_value_heads")

    @staticmethod
    def pair(x: Shape) -> Tuple[Shape, Shape]:
        return (x, x)

    def biases(self) -> List[Weight]:
        h = self.head_dim
        return [Weight("q_proj/bias", (self.num_attention_heads, h)), Weight("k_proj/bias", (self.num_key_value_heads, h)),
                Weight("v_proj/bias", (self.num_key_value_heads, h))]

    def output_shape(self, x: Shape) -> Shape:
        known_last_axis(x, "Qwen2Attention")
        return self.attention().output_shape(self.pair(x))

    def weights(self, x: Shape) -> List[Weight]:
        return [*self.attention().weights(self.pair(x)), *self.biases()]

    def macs(self, x: Shape, y: Any) -> Dim:
        return self.attention().macs(self.pair(x), y)

    def bias_adds(self, x: Shape, y: Any) -> Dim:
        return prod([x[1], sum(prod(weight.shape) for weight in self.biases())])

    def elementwise(self, x: Shape, y: Any) -> Dim:
        return self.attention().elementwise(self.pair(x), y)

    def saved_tensors(self, x: Shape, y: Any) -> Dim:
        return self.attention().saved_tensors(self.pair(x), y)

    def kv_cache(self, x: Shape, y: Any) -> Dim:
        return self.attention().kv_cache(self.pair(x), y)


@register
@rule
class T5Attention(Layer):
    """T5's attention (transformers' T5Attention): multi-head attention of
    query over value without biases, heads of d_kv whatever the width, no
    scaling of the scores; the first layer of the encoder and of the decoder
    (has_relative_attention_bias) also learns a bias per head for each of
    relative_attention_num_buckets relative-position buckets, added to the
    scores of every layer.

    Inputs [query, value] (self-attention: [x, x]; cross-attention:
    [x, the encoder's output]), each (batch, length, d); H = num_heads,
    Tq, Tk: the query's and value's lengths.
    output: query's shape
    params: q, k, v (d, H, d_kv) and o (H, d_kv, d), as MultiHeadAttention's
            without biases; + relative_attention_bias (buckets, H)
    MACs:   MultiHeadAttention's (the bias is a lookup); elementwise its
            softmax, and the position bias added to each of H·Tq·Tk scores
            instead of the query's scaling
    KV cache: is_decoder (the decoder stack's attentions, transformers'
    config.is_decoder) caches the keys and values of every key position,
    Tk·H·2·d_kv, for its self-attention and its cross-attention alike
    (transformers' EncoderDecoderCache keeps both); the encoder's, none
    """

    min_inputs = 2
    max_inputs = 2

    num_heads: PositiveInt
    d_kv: PositiveInt
    has_relative_attention_bias: bool = False
    relative_attention_num_buckets: PositiveInt = 32
    is_decoder: bool = False

    def attention(self) -> MultiHeadAttention:
        return MultiHeadAttention(num_heads=self.num_heads, key_dim=self.d_kv, use_bias=False)

    def output_shape(self, x: Tuple[Shape, ...]) -> Shape:
        if len(x[0]) != 3:
            raise ShapeError(f"T5Attention needs inputs of rank 3 (batch, length, features), found "
                             f"{format_shape(x[0])}")
        return self.attention().output_shape(x)

    def weights(self, x: Tuple[Shape, ...]) -> List[Weight]:
        bias = [Weight("relative_attention_bias/embeddings", (self.relative_attention_num_buckets, self.num_heads))]
        return [*self.attention().weights(x), *(bias if self.has_relative_attention_bias else [])]

    def macs(self, x: Tuple[Shape, ...], y: Any) -> Dim:
        return self.attention().macs(x, y)

    def elementwise(self, x: Tuple[Shape, ...], y: Any) -> Dim:
        rows, keys = x[0][1], x[1][1]
        return prod([rows, keys, self.num_heads, SOFTMAX_OPS + 1])

    def saved_tensors(self, x: Tuple[Shape, ...], y: Any) -> Dim:
        return self.attention().saved_tensors(x, y)

    def kv_cache(self, x: Tuple[Shape, ...], y: Any) -> Dim:
        return self.attention().key_values(x) if self.is_decoder else 0


@register
@rule
class OutputBias(Layer):
    """A learned bias added along the last axis: the bias of a masked-LM
    head whose decoder is tied to the token embedding (BERT's
    cls.predictions.bias, RoBERTa's lm_head.bias, DistilBERT's
    vocab_projector.bias), the decoder itself being the embedding's
    reverse call.

    output: x
    params: bias (x[-1],)
    MACs:   0; one bias addition per element
    """

    def output_shape(self, x: Shape) -> Shape:
        known_last_axis(x, "OutputBias")
        return x

    def weights(self, x: Shape) -> List[Weight]:
        return [Weight("bias", (known_last_axis(x, "OutputBias"),))]


@register
@rule
class ViTEmbeddings(Layer):
    """ViT's embeddings (transformers' ViTEmbeddings): the image cut into
    patches by a convolution (patch_embeddings.projection), a learned class
    token prepended, learned position embeddings added.

    Input pixel values (batch, C, image_size, image_size), channels first as
    transformers takes them (another size needs interpolate_pos_encoding,
    not modelled); p = patch_size, d = hidden_size, N = (image_size // p)².
    output: (batch, N + 1, d)
    params: cls_token (1, 1, d), position_embeddings (1, N + 1, d),
            patch_embeddings/projection kernel (p, p, C, d) + bias d
    MACs:   the projection's, N·p·p·C·d; elementwise the position sum,
            (N + 1)·d
    """

    image_size: PositiveInt
    patch_size: PositiveInt
    hidden_size: PositiveInt

    def projection(self) -> Conv2D:
        return Conv2D(filters=self.hidden_size, kernel_size=self.patch_size, strides=self.patch_size,
                      data_format="channels_first")

    def patches(self, x: Shape) -> int:
        if len(x) != 4:
            raise ShapeError(f"ViTEmbeddings needs pixel values of rank 4 (batch, channels, height, width), found "
                             f"{format_shape(x)}")
        if x[2] != self.image_size or x[3] != self.image_size:
            raise ShapeError(f"the image {format_shape(x)} must be image_size {self.image_size} high and wide "
                             "(transformers refuses another size without interpolate_pos_encoding)")
        known_last_axis(x[:2], "ViTEmbeddings' channels (axis 1)")
        return (self.image_size // self.patch_size) ** 2

    def output_shape(self, x: Shape) -> Shape:
        return (x[0], self.patches(x) + 1, self.hidden_size)

    def weights(self, x: Shape) -> List[Weight]:
        tokens = self.patches(x) + 1
        return [Weight("cls_token", (1, 1, self.hidden_size)),
                Weight("position_embeddings", (1, tokens, self.hidden_size)),
                *(Weight(f"patch_embeddings/projection/{weight.name}", weight.shape)
                  for weight in self.projection().weights(x))]

    def macs(self, x: Shape, y: Any) -> Dim:
        self.patches(x)
        return self.projection().macs(x, self.projection().output_shape(x))

    def bias_adds(self, x: Shape, y: Any) -> Dim:
        return self.patches(x) * self.hidden_size

    def elementwise(self, x: Shape, y: Any) -> Dim:
        return (self.patches(x) + 1) * self.hidden_size


@rule
class SparseMoeBlock(Layer):
    """A mixture of experts: a router scores E experts for each token, the top k run on it (each
    act(x·gate)·(x·up), then ·down), their outputs summed weighted by the router's normalized scores.

    Input (batch, T, d); E = num_experts, k = num_experts_per_tok, I = the expert size,
    output: x
    params: gate (d, E) (the router), experts/gate_up_proj (E, d, 2·I), experts/down_proj (E, I, d)
    active params per token: d·E + k·3·d·I
    MACs:   T·(d·E + k·3·d·I): the active path, each token through k experts
    """

    def sizes(self) -> Tuple[int, int, int]:
        """(E, k, I)."""
        raise NotImplementedError

    def shared(self) -> int:
        """The shared expert's size (run on every token beside the routed ones); 0 for none."""
        return 0

    def validate(self) -> None:
        experts, chosen, _ = self.sizes()
        if chosen > experts:
            raise SpecError(f"num_experts_per_tok {chosen} cannot exceed the number of experts {experts}",
                            argument="num_experts_per_tok")

    def output_shape(self, x: Shape) -> Shape:
        if len(x) != 3:
            raise ShapeError(f"{type(self).__name__} needs an input of rank 3 (batch, sequence, features), "
                             f"found {format_shape(x)}")
        known_last_axis(x, type(self).__name__)
        return x

    def weights(self, x: Shape) -> List[Weight]:
        d = known_last_axis(x, type(self).__name__)
        experts, _, size = self.sizes()
        weights = [Weight("gate/kernel", (d, experts)), Weight("experts/gate_up_proj", (experts, d, 2 * size)),
                   Weight("experts/down_proj", (experts, size, d))]
        if self.shared():
            shared = self.shared()
            weights += [Weight("shared_expert/gate_proj/kernel", (d, shared)),
                        Weight("shared_expert/up_proj/kernel", (d, shared)),
                        Weight("shared_expert/down_proj/kernel", (shared, d)),
                        Weight("shared_expert_gate/kernel", (d, 1))]
        return weights

    def active_params(self, x: Shape) -> Dim:
        """The router, the k experts a token runs through, and the shared expert with its gate."""
        d = known_last_axis(x, type(self).__name__)
        experts, chosen, size = self.sizes()
        shared = 3 * d * self.shared() + d if self.shared() else 0
        return d * experts + chosen * 3 * d * size + shared

    def macs(self, x: Shape, y: Any) -> Dim:
        """One multiply-accumulate per active weight per token (every active weight is a matrix entry)."""
        self.output_shape(x)
        return prod([x[1], self.active_params(x)])

    def bias_adds(self, x: Shape, y: Any) -> Dim:
        return 0

    def elementwise(self, x: Shape, y: Any) -> Dim:
        """Per token: the router's softmax over E (5 each), in each chosen expert the activation and the
        product of I elements and the weighting and sum of d; the shared expert's activation and product,
        its gate's sigmoid, weighting and sum."""
        d = known_last_axis(x, type(self).__name__)
        experts, chosen, size = self.sizes()
        shared = 2 * self.shared() + 1 + 2 * d if self.shared() else 0
        return prod([x[1], SOFTMAX_OPS * experts + chosen * (2 * size + 2 * d) + shared])


@register
@rule
class MixtralSparseMoeBlock(SparseMoeBlock):
    __doc__ = SparseMoeBlock.__doc__.replace("E = num_experts", "E = num_local_experts").replace(
        "the expert size,", "the expert size (intermediate_size); Mixtral's MoE block.")

    num_local_experts: PositiveInt
    num_experts_per_tok: PositiveInt
    intermediate_size: PositiveInt

    def sizes(self) -> Tuple[int, int, int]:
        return self.num_local_experts, self.num_experts_per_tok, self.intermediate_size


@register
@rule
class Qwen2MoeSparseMoeBlock(SparseMoeBlock):
    __doc__ = SparseMoeBlock.__doc__.replace("the expert size,", "the expert size (moe_intermediate_size), "
                                             "S = shared_expert_intermediate_size; Qwen2-MoE's MoE block, "
                                             "with a shared expert run on every token, gated by "
                                             "sigmoid(x·shared_expert_gate).").replace(
        "experts/down_proj (E, I, d)", "experts/down_proj (E, I, d), shared_expert gate_proj\n"
        "            and up_proj (d, S), down_proj (S, d), shared_expert_gate (d, 1)").replace(
        "d·E + k·3·d·I", "d·E + k·3·d·I + 3·d·S + d")

    num_experts: PositiveInt
    num_experts_per_tok: PositiveInt
    moe_intermediate_size: PositiveInt
    shared_expert_intermediate_size: PositiveInt

    def sizes(self) -> Tuple[int, int, int]:
        return self.num_experts, self.num_experts_per_tok, self.moe_intermediate_size

    def shared(self) -> int:
        return self.shared_expert_intermediate_size
