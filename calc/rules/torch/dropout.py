"""torch.nn's dropout modules: Dropout, Dropout1d/2d/3d, AlphaDropout, FeatureAlphaDropout (identities at
inference; p is checked as torch checks it)."""

from __future__ import annotations

from typing import Any

from ..base import rule
from ...errors import SpecError
from ..registry import register
from .linear import Identity


@rule
class DropoutNd(Identity):
    """Zeroes elements (or whole channels) with probability p while training.

    output: x;  params: 0;  MACs: 0
    """

    p: float = 0.5
    inplace: Any = False

    def validate(self) -> None:
        if not 0 <= self.p <= 1:
            raise SpecError(f"dropout probability p has to be between 0 and 1, found {self.p}", argument="p")


@register
@rule
class Dropout(DropoutNd):
    __doc__ = DropoutNd.__doc__


@register
@rule
class Dropout1d(DropoutNd):
    __doc__ = DropoutNd.__doc__


@register
@rule
class Dropout2d(DropoutNd):
    __doc__ = DropoutNd.__doc__


@register
@rule
class Dropout3d(DropoutNd):
    __doc__ = DropoutNd.__doc__


@register
@rule
class AlphaDropout(DropoutNd):
    __doc__ = DropoutNd.__doc__


@register
@rule
class FeatureAlphaDropout(DropoutNd):
    __doc__ = DropoutNd.__doc__
