"""Regularization layers: Dropout and its relatives (identities at inference)."""

from __future__ import annotations

from dataclasses import field
from typing import Any, ClassVar, Dict, Optional, Tuple

from ..dims import Shape, format_shape
from ..errors import SpecError, describe
from .arguments import COMMON_IGNORED, choices
from .base import PASS_THROUGH, Layer, Tap, rule, split_channels
from .registry import register

# Checked as Keras does, but only the error message for a wrong rank depends on it.
DATA_FORMATS = choices("channels_last", "channels_first", ignore_case=True, ignored=True)


@rule
class Noise(Layer):
    """Randomly drops or perturbs inputs in training; the identity in inference.

    output: x;  params: 0;  MACs: 0
    """

    fraction: ClassVar[str] = "rate"  # the argument Keras requires between 0 and 1

    def validate(self) -> None:
        value = getattr(self, self.fraction)
        if not 0 <= value <= 1:
            raise SpecError(
                f"argument '{self.fraction}' must be between 0 and 1, found {value}", argument=self.fraction
            )

    def output_shape(self, x: Shape) -> Shape:
        return x

    def window(self, x: Shape) -> Tuple[Optional[Tap], ...]:
        return PASS_THROUGH


@register
@rule
class Dropout(Noise):
    __doc__ = Noise.__doc__

    rate: float
    noise_shape: Any = None
    seed: Any = None

    def validate(self) -> None:
        super().validate()
        shape = self.noise_shape
        if shape is None:
            return
        if not isinstance(shape, (list, tuple)) or any(
            dim is not None and (not isinstance(dim, int) or isinstance(dim, bool) or dim <= 0) for dim in shape
        ):
            raise SpecError(
                f"argument 'noise_shape' must be a list of positive integers or nulls, found "
                f"{format_shape(shape) if isinstance(shape, (list, tuple)) else describe(shape)}",
                argument="noise_shape",
            )


@register
@rule
class GaussianNoise(Noise):
    __doc__ = Noise.__doc__
    fraction = "stddev"

    stddev: float
    seed: Any = None


@register
@rule
class GaussianDropout(Noise):
    __doc__ = Noise.__doc__

    rate: float
    seed: Any = None


@register
@rule
class AlphaDropout(Noise):
    __doc__ = Noise.__doc__

    rate: float
    noise_shape: Any = None  # Keras stores it unchecked
    seed: Any = None


@rule
class SpatialDropout(Noise):
    """Drops whole channels in training; the identity in inference. Needs a (batch, spatial…, channels) input.

    output: x (of rank spatial + 2);  params: 0;  MACs: 0
    """

    rank: ClassVar[int]

    rate: float
    seed: Any = None

    @classmethod
    def from_args(cls, args: Dict[str, Any]) -> "Layer":
        # Keras' spatial dropouts take no **kwargs: only name and dtype besides their own arguments.
        for key in args:
            if key in COMMON_IGNORED and key != "dtype":
                raise SpecError(
                    f"unknown argument '{key}'; {cls.keras_name()} takes: {', '.join(cls.arguments())}, dtype",
                    argument=key,
                )
        return super().from_args(args)

    def output_shape(self, x: Shape) -> Shape:
        split_channels(x, getattr(self, "data_format", "channels_last"), self.rank)  # 1D has no data_format
        return x


@register
@rule
class SpatialDropout1D(SpatialDropout):
    __doc__ = SpatialDropout.__doc__
    rank = 1


@register
@rule
class SpatialDropout2D(SpatialDropout):
    __doc__ = SpatialDropout.__doc__
    rank = 2

    data_format: str = field(default="channels_last", metadata=DATA_FORMATS)


@register
@rule
class SpatialDropout3D(SpatialDropout):
    __doc__ = SpatialDropout.__doc__
    rank = 3

    data_format: str = field(default="channels_last", metadata=DATA_FORMATS)


@register
@rule
class ActivityRegularization(Layer):
    """Adds l1·Σ|x| + l2·Σx² of its input to the training loss; the identity on the input itself.

    output: x;  params: 0;  MACs: 0
    """

    l1: float = 0.0
    l2: float = 0.0

    def validate(self) -> None:
        for name in ("l1", "l2"):  # Keras' L1L2 regularizer refuses negative factors
            if getattr(self, name) < 0:
                raise SpecError(f"argument '{name}' must be a non-negative number, found {getattr(self, name)}",
                                argument=name)

    def output_shape(self, x: Shape) -> Shape:
        return x

    def window(self, x: Shape) -> Tuple[Optional[Tap], ...]:
        return PASS_THROUGH
