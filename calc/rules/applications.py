"""The layers keras.applications defines for its own models, by their registered names: ConvNeXt's LayerScale
and StochasticDepth, InceptionResNetV2's CustomScaleLayer."""

from __future__ import annotations

from typing import Any, List, Optional, Tuple

from ..dims import Dim, Shape, prod
from .arguments import PositiveInt
from .base import PASS_THROUGH, Layer, Tap, Weight, elements, rule
from .core import Identity
from .ops import broadcast_shapes
from .registry import register


@register
@rule
class LayerScale(Layer):
    """ConvNeXt's learned per-channel scale (keras.src.applications.convnext): x * gamma, gamma of shape
    (projection_dim,), broadcast against the input as keras.ops does.

    output: the input's shape broadcast with (projection_dim,)
    params: projection_dim (gamma);  MACs: 0;  elementwise: one multiplication per element
    """

    init_values: Any = None
    projection_dim: PositiveInt

    def output_shape(self, x: Shape) -> Shape:
        return broadcast_shapes(x, (self.projection_dim,))

    def weights(self, x: Shape) -> List[Weight]:
        return [Weight("gamma", (self.projection_dim,))]

    def elementwise(self, x: Shape, y: Shape) -> Dim:
        return elements(y)

    def window(self, x: Shape) -> Tuple[Optional[Tap], ...]:
        return PASS_THROUGH


@register
@rule
class StochasticDepth(Identity):
    """ConvNeXt's stochastic depth (keras.src.applications.convnext): drops whole residual branches in training,
    the identity at inference.

    output: the input's shape
    params: 0;  MACs: 0
    """

    drop_path_rate: Any = None


@register
@rule
class CustomScaleLayer(Layer):
    """InceptionResNetV2's scaled residual sum (keras.src.applications.inception_resnet_v2): `inputs: [shortcut,
    residual]`, shortcut + residual * scale, broadcast as keras.ops does.

    output: the two inputs' shapes broadcast
    params: 0;  MACs: 0;  elementwise: a multiplication and an addition per element
    """

    min_inputs = 2
    max_inputs = 2
    scale: Any = None

    def output_shape(self, x: Tuple[Shape, Shape]) -> Shape:
        return broadcast_shapes(*x)

    def elementwise(self, x: Tuple[Shape, Shape], y: Shape) -> Dim:
        return prod([2, elements(y)])

    def window(self, x: Tuple[Shape, Shape]) -> Tuple[Optional[Tap], ...]:
        return PASS_THROUGH
