"""torch.nn's dropout modules: Dropout, Dropout1d/2d/3d, AlphaDropout, FeatureAlphaDropout (identities at
inference; p is checked as torch checks it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...dims import Shape
from ...errors import SpecError
from ..base import PASS_THROUGH
from ..registry import register
from .base import Module


@dataclass(frozen=True, kw_only=True)
class DropoutNd(Module):
    """Zeroes elements (or whole channels) with probability p while training.

    output: x;  params: 0;  MACs: 0
    """

    p: float = 0.5
    inplace: Any = False

    def validate(self) -> None:
        if not 0 <= self.p <= 1:
            raise SpecError(f"dropout probability p has to be between 0 and 1, found {self.p}", argument="p")

    def output_shape(self, x: Shape) -> Shape:
        return x

    def window(self, x: Shape) -> Any:
        return PASS_THROUGH


@register
@dataclass(frozen=True, kw_only=True)
class Dropout(DropoutNd):
    __doc__ = DropoutNd.__doc__


@register
@dataclass(frozen=True, kw_only=True)
class Dropout1d(DropoutNd):
    __doc__ = DropoutNd.__doc__


@register
@dataclass(frozen=True, kw_only=True)
class Dropout2d(DropoutNd):
    __doc__ = DropoutNd.__doc__


@register
@dataclass(frozen=True, kw_only=True)
class Dropout3d(DropoutNd):
    __doc__ = DropoutNd.__doc__


@register
@dataclass(frozen=True, kw_only=True)
class AlphaDropout(DropoutNd):
    __doc__ = DropoutNd.__doc__


@register
@dataclass(frozen=True, kw_only=True)
class FeatureAlphaDropout(DropoutNd):
    __doc__ = DropoutNd.__doc__
