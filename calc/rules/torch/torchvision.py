"""torchvision's own modules that its models are built of, beside torch.nn's: LayerNorm2d (ConvNeXt's
LayerNorm over the channels of an NCHW tensor), Permute (torchvision.ops.misc.Permute) and StochasticDepth
(torchvision.ops.StochasticDepth, the identity in eval mode).  Their type is torchvision's class name."""

from __future__ import annotations

from dataclasses import field
from typing import Optional, Tuple

from ...dims import Shape
from ...errors import SpecError
from ..arguments import choices
from ..base import Tap, rule
from ..norm import reading
from ..registry import register
from .base import expect_ranks
from .functional import permute
from .linear import Identity
from .norm import LayerNorm, check_trailing, normalized


@register
@rule
class LayerNorm2d(LayerNorm):
    """torchvision.models.convnext.LayerNorm2d: a LayerNorm over the channels (axis 1) of an (N, C, H, W)
    input, which forward() permutes to channels-last and back; normalized_shape is C.

    output: x
    params: weight C (elementwise_affine) + bias C (and bias)
    MACs:   0 (elementwise arithmetic only)
    """

    def output_shape(self, x: Shape) -> Shape:
        expect_ranks(x, (4,), "(N, C, H, W)")
        check_trailing((*x[:1], *x[2:], x[1]), normalized(self.normalized_shape))  # as forward() permutes it
        return x

    def window(self, x: Shape) -> Tuple[Optional[Tap], ...]:
        return reading(x, (1,))


@register
@rule
class Permute(permute):
    """torchvision.ops.misc.Permute(dims): torch.permute as a module (the batch is axis 0).

    output: (x[dims[0]], x[dims[1]], ...);  params: 0;  MACs: 0
    """


@register
@rule
class StochasticDepth(Identity):
    """torchvision.ops.StochasticDepth(p, mode): drops whole examples ('row') or the whole batch while
    training; the identity in eval mode.

    output: x;  params: 0;  MACs: 0
    """

    p: float
    mode: str = field(metadata=choices("batch", "row"))

    def validate(self) -> None:
        if not 0 <= self.p <= 1:
            raise SpecError(f"drop probability has to be between 0 and 1, but got {self.p}", argument="p")
