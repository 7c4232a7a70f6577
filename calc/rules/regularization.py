"""Regularization layers: Dropout and its relatives (identities at inference)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..dims import Shape
from ..errors import SpecError
from . import Layer, register


@register
@dataclass(frozen=True, kw_only=True)
class Dropout(Layer):
    """Randomly zeroes inputs in training; the identity in inference.

    output: x;  params: 0;  MACs: 0
    """

    rate: float
    noise_shape: Any = None
    seed: Any = None

    def validate(self) -> None:
        if not 0 <= self.rate <= 1:
            raise SpecError(f"argument 'rate' must be between 0 and 1, found {self.rate}", argument="rate")

    def output_shape(self, x: Shape) -> Shape:
        return x
