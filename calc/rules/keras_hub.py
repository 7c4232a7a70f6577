"""Keras Hub's generic layers (keras_hub.layers), with Keras Hub's names, arguments and defaults
(keras-hub 0.32.0): position embeddings and encodings, and the transformer encoder and decoder
blocks, whose figures are those of the Keras layers they are built from (MultiHeadAttention,
LayerNormalization, Dense, Dropout, ReversibleEmbedding), composed from those layers' rules.

Keras Hub's layers give their output shape without running call() (compute_output_shape), so a
model summary accepts inputs their call() refuses; the rules refuse them, as a call on real tensors
does (tests/data/rule_cases/keras_hub.yaml marks such cases real_call)."""

from __future__ import annotations

from dataclasses import field
from typing import Any, List, Optional, Tuple

from ..dims import Dim, Shape, dim_sum, format_dim, format_shape, prod
from ..errors import ShapeError
from .arguments import PositiveInt, activation_field
from .attention import GroupQueryAttention, MultiHeadAttention
from .base import PASS_THROUGH, Layer, Tap, Weight, elements, rule
from .core import Dense, ReversibleEmbedding, known_last_axis
from .norm import LayerNormalization, RMSNormalization
from .registry import register

IGNORED = {"ignored": True}  # checked, but changes no shape or count


def sequence_and_features(x: Shape, what: str) -> Tuple[Dim, int]:
    """(sequence length, features): the last two axes, as Keras Hub's position layers read them."""
    if len(x) < 3:
        raise ShapeError(f"{what} needs an input of rank 3 or more (batch, ..., sequence, features), "
                         f"found {format_shape(x)}")
    return x[-2], known_last_axis(x, what)


@register
@rule
class PositionEmbedding(Layer):
    """A learned embedding of each position of the sequence axis (the one
    before the last), to be added to the input; the output is the
    embeddings broadcast to the input's shape.

    output: x
    params: embeddings (sequence_length, features)
    MACs:   0 (a slice of the embeddings, broadcast over the batch)
    The input's sequence may be at most sequence_length long (Keras Hub's call slices the
    embeddings; its symbolic shape does not check it).
    """

    sequence_length: PositiveInt
    initializer: Any = "glorot_uniform"

    def check(self, x: Shape) -> int:
        length, features = sequence_and_features(x, "PositionEmbedding")
        if isinstance(length, int) and length > self.sequence_length:
            raise ShapeError(f"the input's sequence (axis -2) is {format_dim(length)} long, longer than "
                             f"sequence_length {self.sequence_length} (Keras Hub's call fails to slice the embeddings)")
        return features

    def output_shape(self, x: Shape) -> Shape:
        self.check(x)
        return x

    def weights(self, x: Shape) -> List[Weight]:
        return [Weight("embeddings", (self.sequence_length, self.check(x)))]

    def window(self, x: Shape) -> Tuple[Optional[Tap], ...]:
        return PASS_THROUGH  # each position's embedding on its own


@register
@rule
class SinePositionEncoding(Layer):
    """The sinusoidal position encoding of "Attention is All You Need": sines
    on even features, cosines on odd ones, of the position along the
    sequence axis (the one before the last), broadcast to the input's
    shape; no weights.

    output: x
    params: 0
    MACs:   0 (the encoding is computed once per call for one sequence, not per example)
    """

    max_wavelength: Any = 10000

    def output_shape(self, x: Shape) -> Shape:
        sequence_and_features(x, "SinePositionEncoding")
        return x

    def window(self, x: Shape) -> Tuple[Optional[Tap], ...]:
        return PASS_THROUGH


@register
@rule
class RotaryEmbedding(Layer):
    """Rotary position embedding (RoFormer): rotates each pair of features of
    the input by an angle that grows with the position along
    sequence_axis; no weights.

    The feature axis (feature_axis, default -1) must be even; sequence_axis and
    feature_axis must be distinct axes of the input. d: the feature axis' size.
    output: x
    params: 0
    MACs:   0; elementwise x·cos + rotate(x)·sin, 3 per element, and the
            negation of half the features in rotate(x), 1 per pair: 7/2 per
            element (cos and sin are computed once per call, not per example)
    """

    max_wavelength: Any = 10000
    scaling_factor: Any = 1.0
    rope_type: Any = "linear"
    beta_fast: Any = 32.0
    beta_slow: Any = 1.0
    original_max_position_embeddings: Any = 4096
    truncate: Any = True
    sequence_axis: int = 1
    feature_axis: int = -1
    denominator_dim: Any = None

    def feature_axis_of(self, x: Shape) -> int:
        """The feature axis (non-negative), after Keras Hub's checks of the axes and the rotary dimension."""
        rank = len(x)
        sequence_axis = self.sequence_axis + rank if self.sequence_axis < 0 else self.sequence_axis
        feature_axis = self.feature_axis + rank if self.feature_axis < 0 else self.feature_axis
        for name, given, axis in (("sequence_axis", self.sequence_axis, sequence_axis),
                                  ("feature_axis", self.feature_axis, feature_axis)):
            if not 0 <= axis < rank:
                raise ShapeError(f"{name} {given} is out of range for input with rank {rank}", argument=name)
        if sequence_axis == feature_axis:
            raise ShapeError(f"sequence_axis {self.sequence_axis} and feature_axis {self.feature_axis} must be "
                             "different axes", argument="feature_axis")
        features = x[feature_axis]
        if isinstance(features, int) and features % 2:
            raise ShapeError(f"the rotary dimension (the feature axis, {self.feature_axis}) must be even, found "
                             f"{features}")
        return feature_axis

    def output_shape(self, x: Shape) -> Shape:
        self.feature_axis_of(x)
        return x

    def elementwise(self, x: Shape, y: Shape) -> Dim:
        """7 per pair of features: two products and a sum per feature, one negation per pair."""
        feature_axis = self.feature_axis_of(x)
        features = x[feature_axis]
        others = [dim for axis, dim in enumerate(x) if axis not in (0, feature_axis)]
        return prod([7, *others, None if features is None else features // 2])

    def window(self, x: Shape) -> Tuple[Optional[Tap], ...]:
        return PASS_THROUGH  # a position's features rotated among themselves


# -- layers built from other layers ----------------------------------------------------------

Parts = List[Tuple[str, Layer, Any]]  # (Keras Hub's name for the sublayer, its rule, its input)


def part_weights(parts: Parts) -> List[Weight]:
    return [Weight(f"{name}/{weight.name}", weight.shape, weight.trainable)
            for name, rule, x in parts for weight in rule.weights(x)]


def part_sum(parts: Parts, figure: str) -> Dim:
    """The sum over the sublayers of one figure (macs, bias_adds, elementwise, saved_tensors, kv_cache)."""
    return dim_sum([getattr(rule, figure)(x, rule.output_shape(x)) for _, rule, x in parts])


@register
@rule
class TokenAndPositionEmbedding(Layer):
    """A token embedding (a ReversibleEmbedding named token_embedding) plus a
    learned position embedding (a PositionEmbedding named
    position_embedding), added.

    Input: integer ids (batch, ..., sequence), at most sequence_length long.
    V = vocabulary_size, D = embedding_dim, S = sequence_length.
    output: (*x, D)
    params: token_embedding/embeddings (V, D) (+ reverse_embeddings (D, V) with
            tie_weights false), position_embedding/embeddings (S, D)
    MACs:   0 (lookups); elementwise: the sum, one per output element
    """

    vocabulary_size: PositiveInt
    sequence_length: PositiveInt
    embedding_dim: PositiveInt
    tie_weights: bool = True
    embeddings_initializer: Any = "uniform"
    mask_zero: Any = False

    def parts(self, x: Shape) -> Parts:
        token = ReversibleEmbedding(input_dim=self.vocabulary_size, output_dim=self.embedding_dim,
                                    tie_weights=self.tie_weights, mask_zero=self.mask_zero)
        position = PositionEmbedding(sequence_length=self.sequence_length)
        return [("token_embedding", token, x), ("position_embedding", position, token.output_shape(x))]

    def output_shape(self, x: Shape) -> Shape:
        _, (_, position, embedded) = self.parts(x)
        return position.output_shape(embedded)

    def weights(self, x: Shape) -> List[Weight]:
        return part_weights(self.parts(x))

    def elementwise(self, x: Shape, y: Shape) -> Dim:
        return elements(y)

    def window(self, x: Shape) -> Tuple[Optional[Tap], ...]:
        return PASS_THROUGH


@rule
class TransformerBlock(Layer):
    """What Keras Hub's TransformerEncoder and TransformerDecoder share: their
    arguments, and the feed-forward block after the attention blocks."""

    intermediate_dim: PositiveInt
    num_heads: PositiveInt
    dropout: Any = field(default=0, metadata=IGNORED)  # identities at inference
    activation: str | None = field(default="relu", metadata=activation_field().metadata)
    layer_norm_epsilon: Any = 1e-05
    kernel_initializer: Any = "glorot_uniform"
    bias_initializer: Any = "zeros"
    normalize_first: bool = False  # pre-norm: each block normalizes its input, not its residual sum

    def head_dim(self, hidden: int) -> int:
        if hidden // self.num_heads == 0:
            raise ShapeError(f"the attention head size (the input's last axis {hidden} // num_heads "
                             f"{self.num_heads}) cannot be zero: the last axis must be at least num_heads",
                             argument="num_heads")
        return hidden // self.num_heads

    def feedforward(self, x: Shape) -> Parts:
        intermediate = Dense(units=self.intermediate_dim, activation=self.activation)
        return [("feedforward_intermediate_dense", intermediate, x),
                ("feedforward_output_dense", Dense(units=x[-1]), intermediate.output_shape(x))]

    def parts(self, x: Any) -> Parts:
        raise NotImplementedError

    def residual_adds(self, x: Any) -> int:
        raise NotImplementedError

    def sequence(self, x: Any) -> Shape:
        raise NotImplementedError

    def output_shape(self, x: Any) -> Shape:
        self.parts(x)
        return self.sequence(x)

    def weights(self, x: Any) -> List[Weight]:
        return part_weights(self.parts(x))

    def macs(self, x: Any, y: Any) -> Dim:
        return part_sum(self.parts(x), "macs")

    def bias_adds(self, x: Any, y: Any) -> Dim:
        return part_sum(self.parts(x), "bias_adds")

    def elementwise(self, x: Any, y: Any) -> Dim:
        """The sublayers' (attention's scaling and softmax, the norms, the activation) and the residual sums."""
        return dim_sum([part_sum(self.parts(x), "elementwise"),
                        prod([self.residual_adds(x), elements(self.sequence(x))])])

    def saved_tensors(self, x: Any, y: Any) -> Dim:
        return part_sum(self.parts(x), "saved_tensors")


@register
@rule
class TransformerEncoder(TransformerBlock):
    """Keras Hub's transformer encoder block: self-attention, then a
    feed-forward block, each with dropout, a residual sum and a
    LayerNormalization (after the sum; before the block's sublayers with
    normalize_first, pre-norm).

    Input (batch, ..., d). H = num_heads, h = d // H (at least 1),
    I = intermediate_dim; the sublayers, with Keras Hub's names:
    self_attention_layer MultiHeadAttention(H, key_dim h) on [x, x];
    self_attention_layer_norm, feedforward_layer_norm LayerNormalization;
    feedforward_intermediate_dense Dense(I, activation);
    feedforward_output_dense Dense(d).
    output: x
    params: the sublayers': attention 3·(d·H·h + H·h) + H·h·d + d, norms 2·2d,
            Dense d·I + I and I·d + d
    MACs:   the sublayers': attention (as MultiHeadAttention's) + rows·d·I + rows·I·d
    elementwise, bias additions and saved tensors are the sublayers', plus
    the two residual sums (one per output element each); dropout, an
    identity at inference, adds nothing. No KV cache: an encoder's
    self-attention is not causal.
    """

    def sequence(self, x: Shape) -> Shape:
        return x

    def residual_adds(self, x: Shape) -> int:
        return 2

    def parts(self, x: Shape) -> Parts:
        hidden = known_last_axis(x, "TransformerEncoder")
        attention = MultiHeadAttention(num_heads=self.num_heads, key_dim=self.head_dim(hidden))
        norm = LayerNormalization(epsilon=self.layer_norm_epsilon)
        return [("self_attention_layer", attention, (x, x)), ("self_attention_layer_norm", norm, x),
                ("feedforward_layer_norm", norm, x), *self.feedforward(x)]


@register
@rule
class TransformerDecoder(TransformerBlock):
    """Keras Hub's transformer decoder block: causal self-attention, with an
    encoder sequence cross-attention over it, then a feed-forward block;
    each with dropout, a residual sum and a LayerNormalization (after
    the sum; before the block's sublayers with normalize_first).

    Inputs [decoder_sequence] or [decoder_sequence, encoder_sequence]
    (Keras Hub's call(decoder_sequence, encoder_sequence)): the encoder
    sequence adds the cross-attention block. Decoder (batch, T, d),
    encoder (batch, S, e); H = num_heads, h = d // H (at least 1),
    I = intermediate_dim; the sublayers, with Keras Hub's names:
    self_attention MultiHeadAttention(H, key_dim h) on [decoder, decoder];
    cross_attention MultiHeadAttention(H, key_dim h, value_dim h) on
    [x, encoder]; self_attention_layer_norm, cross_attention_layer_norm,
    feedforward_layer_norm LayerNormalization; feedforward_intermediate_dense
    Dense(I, activation); feedforward_output_dense Dense(d).
    output: decoder_sequence's shape
    params: the sublayers': self-attention 3·(d·H·h + H·h) + H·h·d + d,
            cross-attention d·H·h + 2·(e·H·h) + 3·H·h + H·h·d + d, norms
            2d each, Dense d·I + I and I·d + d
    MACs:   the sublayers': the attentions (as MultiHeadAttention's; the
            causal mask hides scores, Keras still computes them all) +
            rows·d·I + rows·I·d
    elementwise, bias additions and saved tensors are the sublayers', plus
    a residual sum per block (one per output element each) and the causal
    mask's two selects per self-attention score (Keras' masked Softmax: before
    and after the softmax); dropout adds nothing at inference.
    KV cache: the keys and values of both attentions, T·H·2h for the
    self-attention and S·H·2h for the cross-attention (Keras Hub's
    self_attention_cache and cross_attention_cache)
    """

    max_inputs = 2

    def sequence(self, x: Tuple[Shape, ...]) -> Shape:
        return x[0]

    def residual_adds(self, x: Tuple[Shape, ...]) -> int:
        return 3 if len(x) > 1 else 2

    def parts(self, x: Tuple[Shape, ...]) -> Parts:
        decoder = x[0]
        if len(decoder) != 3:
            raise ShapeError(f"the decoder sequence must have rank 3 (batch, sequence, features), found "
                             f"{format_shape(decoder)}")
        hidden = known_last_axis(decoder, "TransformerDecoder's decoder sequence")
        head = self.head_dim(hidden)
        norm = LayerNormalization(epsilon=self.layer_norm_epsilon)
        parts: Parts = [("self_attention", MultiHeadAttention(num_heads=self.num_heads, key_dim=head),
                         (decoder, decoder)), ("self_attention_layer_norm", norm, decoder)]
        if len(x) > 1:
            cross = MultiHeadAttention(num_heads=self.num_heads, key_dim=head, value_dim=head)
            parts += [("cross_attention", cross, (decoder, x[1])), ("cross_attention_layer_norm", norm, decoder)]
        return parts + [*self.feedforward(decoder), ("feedforward_layer_norm", norm, decoder)]

    def elementwise(self, x: Tuple[Shape, ...], y: Any) -> Dim:
        decoder = x[0]
        mask_selects = prod([2, self.num_heads, decoder[1], decoder[1]])
        return dim_sum([super().elementwise(x, y), mask_selects])

    def kv_cache(self, x: Tuple[Shape, ...], y: Any) -> Dim:
        """Generation caches the keys and values of the causal self-attention and of the cross-attention alike."""
        return dim_sum([layer.key_values(shape) for _, layer, shape in self.parts(x)
                        if isinstance(layer, MultiHeadAttention)])


@register
@rule
class Qwen3Attention(Layer):
    """Keras Hub's Qwen3 self-attention: grouped-query attention without
    biases whose query and key heads are each RMS-normalized (a scale of
    head_dim, query_dense_layernorm and key_dense_layernorm) before the
    scores.

    Input (batch, T, d); Hq = num_query_heads, Hkv = num_key_value_heads
    (dividing Hq), h = head_dim.
    output: x
    params: GroupQueryAttention's without biases, d·Hq·h + 2·d·Hkv·h + Hq·h·d,
            + the two norms' scales, h each
    MACs:   GroupQueryAttention's of the same sizes
    elementwise: GroupQueryAttention's and the two RMS norms' (on T·Hq·h and
    T·Hkv·h elements); saved tensors and KV cache are GroupQueryAttention's
    (a causal one: always a decoder's).
    """

    num_query_heads: PositiveInt
    num_key_value_heads: PositiveInt
    head_dim: PositiveInt
    rope_max_wavelength: Any = 10000
    rope_scaling_factor: Any = 1
    kernel_initializer: Any = "glorot_uniform"
    dropout: Any = field(default=0.0, metadata=IGNORED)
    layer_norm_epsilon: Any = 1e-05
    sliding_window_size: Any = None

    def attention(self) -> GroupQueryAttention:
        """Causal: a decoder LLM's self-attention, whose keys and values are cached."""
        return GroupQueryAttention(num_query_heads=self.num_query_heads, num_key_value_heads=self.num_key_value_heads,
                                   head_dim=self.head_dim, use_bias=False, use_causal_mask=True)

    def validate(self) -> None:
        self.attention().validate()

    def parts(self, x: Shape) -> Parts:
        """The attention on [x, x], then the norms of the projected query and key heads."""
        if len(x) != 3:
            raise ShapeError(f"Qwen3Attention needs an input of rank 3 (batch, sequence, features), found {format_shape(x)}")
        norm = RMSNormalization(epsilon=self.layer_norm_epsilon)
        return [("attention", self.attention(), (x, x)),
                ("query_dense_layernorm", norm, (*x[:2], self.num_query_heads, self.head_dim)),
                ("key_dense_layernorm", norm, (*x[:2], self.num_key_value_heads, self.head_dim))]

    def output_shape(self, x: Shape) -> Shape:
        return self.attention().output_shape(self.parts(x)[0][2])

    def weights(self, x: Shape) -> List[Weight]:
        (_, attention, pair), *norms = self.parts(x)
        return [*attention.weights(pair), *part_weights(norms)]

    def macs(self, x: Shape, y: Any) -> Dim:
        return part_sum(self.parts(x), "macs")

    def elementwise(self, x: Shape, y: Any) -> Dim:
        return part_sum(self.parts(x), "elementwise")

    def saved_tensors(self, x: Shape, y: Any) -> Dim:
        return part_sum(self.parts(x), "saved_tensors")

    def kv_cache(self, x: Shape, y: Any) -> Dim:
        return part_sum(self.parts(x), "kv_cache")


@register
@rule
class Gemma3InterleaveEmbeddings(Layer):
    """Keras Hub's Gemma3 placement of image embeddings in the text's: the
    vision encoder's tokens scattered into the text embeddings at the
    positions vision_indices gives (the placeholder tokens), inputs
    [image_embeddings, text_embeddings, vision_indices] in the order of
    its call.

    Inputs (images, t, d), t = num_vision_tokens_per_image, images = batch ·
    images per prompt (Keras Hub's layout); (batch, T, d) text; (batch, V)
    indices, one per image token (batch · V = images · t).
    output: the text's shape, (batch, T, d)
    params: 0
    MACs:   0 (copies; elementwise 0)
    """

    num_vision_tokens_per_image: PositiveInt
    min_inputs = 3
    max_inputs = 3

    def output_shape(self, x: Tuple[Shape, ...]) -> Shape:
        images, text, indices = x
        if len(images) != 3 or len(text) != 3 or len(indices) != 2:
            raise ShapeError(f"Gemma3InterleaveEmbeddings needs image embeddings (batch, tokens, features), text "
                             f"embeddings (batch, sequence, features) and indices (batch, tokens), found "
                             f"{', '.join(map(format_shape, x))}")
        tokens = self.num_vision_tokens_per_image
        counts = (images[0], tokens, indices[0], indices[1])
        if images[-1] != text[-1] or images[1] != tokens or (
                all(isinstance(size, int) for size in counts) and images[0] * tokens != indices[0] * indices[1]):
            raise ShapeError(f"the image embeddings {format_shape(images)} must be num_vision_tokens_per_image "
                             f"{tokens} tokens of the text's {format_dim(text[-1])} features per image, one index "
                             f"each in vision_indices {format_shape(indices)}")
        return text
