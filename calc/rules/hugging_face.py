"""Hugging Face transformers' modules that no Keras layer matches, with the arguments of the model
configuration (config.json) that shape them, composed from the Keras rules they equal in part.

These rules are what `layercalc summary config.json` builds (calc/readers/hf_config.py); their
figures are checked against the per-module parameter counts transformers itself gives for the same
configurations (tests/data/hf, made by tools/hf_reference.py on PyTorch's meta device), not against
Keras, which has no such layers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, List, Tuple

from ..dims import Dim, Shape, prod
from ..errors import SpecError
from .arguments import PositiveInt
from .attention import GroupQueryAttention
from .base import Layer, Weight
from .core import known_last_axis
from .registry import register


@register
@dataclass(frozen=True, kw_only=True)
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
    elementwise, saved tensors and KV cache are GroupQueryAttention's; bias
    additions one per query, key and value element.
    """

    num_attention_heads: PositiveInt
    num_key_value_heads: PositiveInt
    head_dim: PositiveInt

    def attention(self) -> GroupQueryAttention:
        """GroupQueryAttention of the same sizes without biases: every figure but the biases."""
        return GroupQueryAttention(num_query_heads=self.num_attention_heads, num_key_value_heads=self.num_key_value_heads,
                                   head_dim=self.head_dim, use_bias=False)

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
