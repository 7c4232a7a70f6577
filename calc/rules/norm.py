"""Normalization layers: BatchNormalization, LayerNormalization, RMSNormalization, GroupNormalization,
UnitNormalization and Normalization (the preprocessing layer, with its statistics as weights)."""

from __future__ import annotations

from functools import cached_property
from typing import Any, Iterable, List, Optional, Tuple

from ..dims import Dim, Shape, format_shape, prod
from ..errors import ShapeError, SpecError
from .arguments import Array, Axis, LayerConfig, PositiveInt, array_shape
from .base import PASS_THROUGH, WHOLE, Layer, Tap, Weight, elements, rule
from .registry import register
from .wrapped import Wrapped, inside


def normalized_axis(x: Shape, axis: int) -> int:
    """A possibly negative axis as a position in x (0, the batch axis, is allowed, as in Keras)."""
    position = axis + len(x) if axis < 0 else axis
    if not 0 <= position < len(x):
        raise ShapeError(f"axis {axis} is out of range for input {format_shape(x)}", argument="axis")
    return position


def known_size(x: Shape, axis: int) -> int:
    """The size of x on `axis`, which must be known: Keras sizes weights (or statistics) by it."""
    size = x[normalized_axis(x, axis)]
    if size is None:
        raise ShapeError(f"axis {axis} must be known, found None in {format_shape(x)}", argument="axis")
    return size


def as_axes(axis: Axis) -> Tuple[int, ...]:
    """Keras' list of normalized axes: an int alone, or the list sorted as given (-1 sorts before 1)."""
    return (axis,) if isinstance(axis, int) else tuple(sorted(axis))


def as_written(axis: Axis | None) -> str:
    """An axis argument as the spec spells it: [-1, 1], not (-1, 1)."""
    return str(list(axis)) if isinstance(axis, tuple) else str(axis)


def distinct_axes(x: Shape, axis: Axis) -> Tuple[int, ...]:
    """Positions in x of the axes in `axis`, each named once: Keras builds a layer that names one twice
    ([1, 1], or [2, -1] on rank 3), then its reduction fails when run."""
    positions = tuple(normalized_axis(x, a) for a in as_axes(axis))
    if len(set(positions)) < len(positions):
        raise ShapeError(
            f"axis {as_written(axis)} names the same axis of input {format_shape(x)} twice", argument="axis"
        )
    return positions


def statistics_ops(scale: bool, center: bool, rms: bool = False) -> int:
    """Elementwise operations per element of a normalization with per-example statistics: add to the
    mean, subtract it, square, add to the variance, multiply by 1/σ: 5 (root mean square: square, add,
    multiply: 3), + 1 to scale, + 1 to center (per-statistic work, such as the square roots, not counted).

    >>> statistics_ops(True, True), statistics_ops(True, False, rms=True)
    (7, 4)
    """
    return (3 if rms else 5) + scale + center


def reading(x: Shape, axes: Iterable[int]) -> Tuple[Optional[Tap], ...]:
    """A window reading every position of `axes` (statistics over them), each other element on its own."""
    read = set(axes)
    return tuple(WHOLE if index in read else None for index in range(len(x)))


@register
@rule
class BatchNormalization(Layer):
    """Normalizes each channel on `axis` with learned scale and offset.

    output: x
    params: gamma C (scale) + beta C (center), trainable;
            moving_mean C + moving_variance C, non-trainable
    MACs:   0 (folded into the preceding layer at inference)
    """

    axis: int = -1
    momentum: Any = 0.99
    epsilon: Any = 0.001
    center: bool = True
    scale: bool = True
    beta_initializer: Any = "zeros"
    gamma_initializer: Any = "ones"
    moving_mean_initializer: Any = "zeros"
    moving_variance_initializer: Any = "ones"
    beta_regularizer: Any = None
    gamma_regularizer: Any = None
    beta_constraint: Any = None
    gamma_constraint: Any = None
    synchronized: bool = False

    def output_shape(self, x: Shape) -> Shape:
        known_size(x, self.axis)
        return x

    def weights(self, x: Shape) -> List[Weight]:
        channels = (known_size(x, self.axis),)
        weights = []
        if self.scale:
            weights.append(Weight("gamma", channels))
        if self.center:
            weights.append(Weight("beta", channels))
        return weights + [
            Weight("moving_mean", channels, trainable=False),
            Weight("moving_variance", channels, trainable=False),
        ]

    def elementwise(self, x: Shape, y: Shape) -> Dim:
        return prod([2, elements(y)])  # x·a + b, a and b folded per channel from the statistics, γ and β

    def window(self, x: Shape) -> Tuple[Optional[Tap], ...]:
        return PASS_THROUGH  # at inference each element on its own


@rule
class FeatureNormalization(Layer):
    """Normalizes over the axes in `axis` (an int or a list naming each axis once) with a learned scale
    and offset of those axes' sizes.

    output: x
    params: gamma (scale or rms_scaling) + beta (center and not rms_scaling), each of the sizes of the
            axes in `axis` (C for axis -1), trainable
    MACs:   0 (normalization statistics and elementwise scaling)
    """

    axis: Axis = -1

    def output_shape(self, x: Shape) -> Shape:
        distinct_axes(x, self.axis)
        return x

    def weight_names(self) -> Tuple[str, ...]:
        raise NotImplementedError

    def weights(self, x: Shape) -> List[Weight]:
        names = self.weight_names()
        if not names:
            return []  # no weight, so the axes' sizes may stay unknown
        shape = tuple(known_size(x, axis) for axis in as_axes(self.axis))
        return [Weight(name, shape) for name in names]

    def elementwise(self, x: Shape, y: Shape) -> Dim:
        names = self.weight_names()
        return prod([statistics_ops("gamma" in names or "scale" in names, "beta" in names, self.rms()), elements(y)])

    def rms(self) -> bool:
        """Whether it scales by the root mean square (no mean subtracted)."""
        return False

    def window(self, x: Shape) -> Tuple[Optional[Tap], ...]:
        return reading(x, distinct_axes(x, self.axis))


@register
@rule
class LayerNormalization(FeatureNormalization):
    __doc__ = FeatureNormalization.__doc__

    epsilon: Any = 0.001
    center: bool = True
    scale: bool = True
    rms_scaling: bool = False
    beta_initializer: Any = "zeros"
    gamma_initializer: Any = "ones"
    beta_regularizer: Any = None
    gamma_regularizer: Any = None
    beta_constraint: Any = None
    gamma_constraint: Any = None

    def weight_names(self) -> Tuple[str, ...]:
        gamma = ("gamma",) if self.scale or self.rms_scaling else ()
        beta = ("beta",) if self.center and not self.rms_scaling else ()
        return gamma + beta

    def rms(self) -> bool:
        return self.rms_scaling


@register
@rule
class RMSNormalization(FeatureNormalization):
    """Divides by the root mean square over the axes in `axis`, then multiplies by a learned scale.

    output: x (Keras multiplies by the scale without reshaping it: its shape must broadcast against
            the input's last axes, e.g. axis -1 or the trailing axes in order)
    params: scale (the sizes of the axes in `axis`, C for axis -1), trainable
    MACs:   0 (normalization statistics and elementwise scaling)
    """

    epsilon: Any = 1e-06

    def weight_names(self) -> Tuple[str, ...]:
        return ("scale",)

    def rms(self) -> bool:
        return True

    def output_shape(self, x: Shape) -> Shape:
        super().output_shape(x)
        # Keras multiplies by the scale with plain broadcasting, so it must fit the input's last axes as it is
        scale = self.weights(x)[0].shape
        last = x[len(x) - len(scale):]
        if any(s != 1 and s != t for s, t in zip(scale, last)):
            raise ShapeError(
                f"the scale of shape {format_shape(scale)} (the sizes of axis {as_written(self.axis)}) does not "
                f"broadcast against the last axes {format_shape(last)} of input {format_shape(x)}",
                argument="axis",
            )
        return x


@register
@rule
class GroupNormalization(Layer):
    """Normalizes `groups` groups of the channels on `axis`; groups -1 is one group per channel.

    output: x (the channels C must be known and divisible by groups, groups ≤ C)
    params: gamma C (scale) + beta C (center), trainable
    MACs:   0 (normalization statistics and elementwise scaling)
    """

    groups: int = 32
    axis: int = -1
    epsilon: Any = 0.001
    center: bool = True
    scale: bool = True
    beta_initializer: Any = "zeros"
    gamma_initializer: Any = "ones"
    beta_regularizer: Any = None
    gamma_regularizer: Any = None
    beta_constraint: Any = None
    gamma_constraint: Any = None

    def validate(self) -> None:
        if self.groups <= 0 and self.groups != -1:
            raise SpecError(
                f"argument 'groups' must be a positive integer (or -1 for one group per channel), found {self.groups}",
                argument="groups",
            )

    def channels(self, x: Shape) -> int:
        channels = known_size(x, self.axis)
        groups = channels if self.groups == -1 else self.groups
        if groups > channels:
            raise ShapeError(
                f"groups {groups} cannot be more than the {channels} channels on axis {self.axis}", argument="groups"
            )
        if channels % groups:
            raise ShapeError(
                f"the {channels} channels on axis {self.axis} must be divisible by groups {groups}", argument="groups"
            )
        return channels

    def output_shape(self, x: Shape) -> Shape:
        self.channels(x)
        return x

    def weights(self, x: Shape) -> List[Weight]:
        channels = (self.channels(x),)
        return [Weight(name, channels) for name, used in (("gamma", self.scale), ("beta", self.center)) if used]

    def elementwise(self, x: Shape, y: Shape) -> Dim:
        return prod([statistics_ops(self.scale, self.center), elements(y)])

    def window(self, x: Shape) -> Tuple[Optional[Tap], ...]:
        return reading(x, range(1, len(x)))  # a group's statistics span every position


@register
@rule
class UnitNormalization(Layer):
    """Scales each example to unit L2 norm over the axes in `axis`.

    output: x;  params: 0;  MACs: 0 (a reduction and elementwise scaling)
    """

    axis: Axis = -1

    def output_shape(self, x: Shape) -> Shape:
        distinct_axes(x, self.axis)
        return x

    def elementwise(self, x: Shape, y: Shape) -> Dim:
        return prod([3, elements(y)])  # square, sum, multiply by 1/norm

    def window(self, x: Shape) -> Tuple[Optional[Tap], ...]:
        return reading(x, distinct_axes(x, self.axis))


@register
@rule
class Normalization(Layer):
    """Standardizes features with a mean and variance kept per position on the axes in `axis`
    (null: one mean and variance for everything), learned by adapt() or given as `mean` and `variance`.

    output: x (the kept axes must be known)
    params: without mean/variance: mean + variance (the kept axes' sizes, e.g. C) + count (1), all non-trainable;
            with mean/variance given: 0 (they are constants, not weights)
    MACs:   0 (elementwise)
    """

    axis: Axis | None = -1
    mean: Array | None = None
    variance: Array | None = None
    invert: Any = False

    @property
    def axes(self) -> Tuple[int, ...]:
        if self.axis is None:
            return ()
        return (self.axis,) if isinstance(self.axis, int) else tuple(self.axis)

    def validate(self) -> None:
        if (self.mean is None) != (self.variance is None):
            given, missing = ("mean", "variance") if self.variance is None else ("variance", "mean")
            raise SpecError(f"'{given}' is given without '{missing}': give both, or neither", argument=given)
        if self.mean is None:
            return
        mean, variance = array_shape(self.mean), array_shape(self.variance)
        if mean != variance:
            raise SpecError(
                f"'mean' and 'variance' must have the same shape, found {format_shape(mean)} and "
                f"{format_shape(variance)}",
                argument="variance",
            )
        if len(mean) > len(self.axes):
            raise SpecError(
                f"'mean' has rank {len(mean)}; it can be at most the number of axes in 'axis' {as_written(self.axis)}, "
                f"{len(self.axes)}",
                argument="mean",
            )

    def kept(self, x: Shape) -> Tuple[int, ...]:
        """Positions of the kept axes, sorted; their sizes must be known. An axis named twice is kept twice,
        which only works with mean and variance given (Keras fails to reshape its (C, C) statistics)."""
        if self.mean is None:
            distinct_axes(x, self.axes)
        for axis in self.axes:
            known_size(x, axis)
        return tuple(sorted(normalized_axis(x, axis) for axis in self.axes))

    def output_shape(self, x: Shape) -> Shape:
        kept = self.kept(x)
        if self.mean is not None:
            self.check_mean(x, kept)
        return x

    def check_mean(self, x: Shape, kept: Tuple[int, ...]) -> None:
        """Keras aligns mean's axes with the kept axes from the right, then broadcasts it to them."""
        mean = array_shape(self.mean)
        if not mean:
            return
        aligned: List[Dim] = [1] * len(x)
        for offset in range(1, len(mean) + 1):
            aligned[kept[-offset]] = mean[-offset]
        target = tuple(x[d] if d in kept else 1 for d in range(len(x)))
        if prod(aligned) != prod(mean) or any(a not in (1, t) for a, t in zip(aligned, target)):
            raise ShapeError(
                f"'mean' of shape {format_shape(mean)} cannot broadcast to the kept axes of input "
                f"{format_shape(x)}: {format_shape(tuple(aligned))} vs {format_shape(target)}",
                argument="mean",
            )

    def elementwise(self, x: Shape, y: Shape) -> Dim:
        return prod([2, elements(y)])  # subtract the mean, divide by the standard deviation

    def window(self, x: Shape) -> Tuple[Optional[Tap], ...]:
        return PASS_THROUGH  # fixed statistics: each element on its own

    def weights(self, x: Shape) -> List[Weight]:
        if self.mean is not None:
            return []
        shape = tuple(x[d] for d in self.kept(x))
        return [
            Weight("mean", shape, trainable=False),
            Weight("variance", shape, trainable=False),
            Weight("count", (), trainable=False),
        ]


@register
@rule
class SpectralNormalization(Layer):
    """Wraps a layer with a kernel (or an Embedding's embeddings), dividing it by its largest singular value,
    estimated by power iteration in training (at inference the kernel is used as it is).

    output: the wrapped layer's
    params: the wrapped layer's + vector_u (1, the kernel's last axis), non-trainable
    MACs:   the wrapped layer's
    """

    layer: LayerConfig
    power_iterations: PositiveInt = 1

    @cached_property
    def inner(self) -> Wrapped:
        return Wrapped.build(self.layer, "layer")

    def validate(self) -> None:
        self.inner  # noqa: B018 - build the wrapped rule now, so its errors are spec errors

    def output_shape(self, x: Shape) -> Any:
        return self.inner.output_shape(x)

    def weights(self, x: Shape) -> List[Weight]:
        weights = self.inner.weights(x)
        kernel = next((weight for weight in weights if weight.name in ("kernel", "embeddings")), None)
        if kernel is None:
            raise ShapeError(f"{self.inner.type_name} has no kernel nor embeddings to normalize", argument="layer")
        return [*weights, Weight("vector_u", (1, kernel.shape[-1]), trainable=False)]

    def macs(self, x: Shape, y: Any) -> Dim:
        return self.inner.macs(x)

    def bias_adds(self, x: Shape, y: Any) -> Dim:
        return self.inner.bias_adds(x)

    def elementwise(self, x: Shape, y: Any) -> Dim:
        return self.inner.elementwise(x)

    def window(self, x: Shape) -> Optional[Tuple[Optional[Tap], ...]]:
        with inside(self.inner.argument, self.inner.label):
            return self.inner.rule.window(x)
